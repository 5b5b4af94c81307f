"""Staffeln's one adapter to OpenStack, built on openstacksdk.

This package is the only code that speaks openstacksdk or keystoneauth.
The rest of Staffeln gets plain records (:mod:`.records`) and the
exceptions of :mod:`staffeln.common.exception`; Cinder's statuses, HTTP
codes and error texts are interpreted here (:mod:`.errors`,
:mod:`.records`).

* :mod:`.client`: :class:`~.client.Cloud`, the operations Staffeln needs;
* :mod:`.calls`: calls with retries, and paginated listings;
* :mod:`.nova`, :mod:`.cinder`, :mod:`.glance`, :mod:`.keystone`: the
  operations of each service;
* :mod:`.connection`: service and project-scoped connections.
"""
