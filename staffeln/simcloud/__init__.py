"""A simulated OpenStack cloud (Keystone v3, Nova, Cinder v3 subsets).

It is served over real HTTP and driven by the real openstacksdk, for the
functional tests, the demo and the benchmarks. Start with
:class:`staffeln.simcloud.fixture.SimCloudFixture` in tests, or the
``staffeln-simcloud`` console script (:mod:`staffeln.simcloud.server`).

Layout: ``state`` (the :class:`~staffeln.simcloud.state.Cloud`), ``models``,
``index`` (newest-first paging), ``identity``/``compute``/``volumes``/
``backups``/``quotas``/``listing`` (each service's rules), ``keystone``/
``nova``/``cinder`` (+ ``cinder_views``, ``versions``) (the HTTP APIs),
``control`` (``/_sim``), ``faults``, ``app``, ``server``, ``seed``,
``fixture``.
"""
