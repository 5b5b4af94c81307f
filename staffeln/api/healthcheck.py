"""``GET /healthcheck``: oslo.middleware's health check, plus the database.

The delete hook cannot answer without the database, so the API is unhealthy
(503) whenever the database cannot be read. The backends of ``[healthcheck]
backends`` (disable_by_file, ...) still apply.
"""

from oslo_middleware import healthcheck
from oslo_middleware.healthcheck import pluginbase
from stevedore import extension
import webob.exc

from staffeln.common import context as staffeln_context
from staffeln.common import exception
from staffeln.db import api as db_api


class DatabaseCheck(pluginbase.HealthcheckBaseExtension):
    """Healthy when Staffeln's tables can be read."""

    def healthcheck(self, server_port):
        try:
            db_api.ping(staffeln_context.get_admin_context())
        except exception.DatabaseUnavailable as exc:
            return pluginbase.HealthcheckResult(
                available=False, reason='database unavailable',
                details=str(exc.__cause__ or exc))
        return pluginbase.HealthcheckResult(available=True,
                                            reason='database OK')


class Healthcheck(healthcheck.Healthcheck):
    """oslo.middleware's health check application with the database check.

    The database check is always on: it is not a stevedore plugin an
    operator could forget to list in ``[healthcheck] backends``.
    """

    def __init__(self, conf):
        # A request the middleware ignores (a source outside
        # [healthcheck] allowed_source_ranges) gets a 404.
        super().__init__(webob.exc.HTTPNotFound(), conf)
        check = DatabaseCheck(self.oslo_conf, self.conf)
        self._backends.extensions.append(
            extension.Extension('staffeln_database', None, DatabaseCheck,
                                check))
