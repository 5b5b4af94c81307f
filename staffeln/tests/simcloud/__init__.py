"""A simulated OpenStack cloud (Keystone v3, Nova, Cinder v3, Glance v2).

It is served over real HTTP and driven by the real openstacksdk, for the
functional tests, the demo and the benchmarks. It is a test tool: no module
of the product imports it. Start it with
:class:`staffeln.tests.simcloud.fixture.SimCloudFixture` in a test, or as a
process with ``python -m staffeln.tests.simcloud`` (see :mod:`.server`).

Layout, one package per service, each with its HTTP API and its rules:

* ``keystone/``: ``api`` (the HTTP API) and ``rules`` (domains, projects,
  users, roles, assignments, tokens);
* ``nova/``: ``api``, ``rules`` (servers, metadata, tags) and ``images``
  (the createImage action: volume snapshots and an image record);
* ``cinder/``: ``api``, ``views`` (JSON by microversion), ``volumes``,
  ``backups``, ``quotas`` and ``listing`` (Cinder's list semantics);
* ``glance/``: ``api`` and ``rules`` (show, list and delete images).

Shared by them: ``state`` (the :class:`~.state.Cloud` they share),
``models``, ``index`` (newest-first paging), ``ids``, ``context`` (caller
and microversion), ``errors``, ``faults`` (injected faults), ``versions``,
``web`` (request helpers), ``control`` (``/_sim``), ``app``, ``server``,
``seed`` and ``fixture``.
"""
