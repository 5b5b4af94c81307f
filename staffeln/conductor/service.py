"""The conductor daemon: periodic loops under oslo.service (threading)."""

from oslo_log import log as logging
from oslo_service import service

from staffeln.common import context as staffeln_context
from staffeln.common import exception

LOG = logging.getLogger(__name__)


class ConductorService(service.Service):
    """Runs the discovery and backup loops until stopped.

    Every state change is one database UPDATE, so stopping between two
    steps (SIGTERM) leaves no half-written state.
    """

    def __init__(self, conf, manager):
        super().__init__()
        self.conf = conf
        self.manager = manager
        self.context = staffeln_context.get_admin_context()

    def start(self):
        super().start()
        LOG.info('Conductor %s starting', self.conf.host)
        self.manager.engine.recover(self.context, startup=True)
        group = self.conf.conductor
        self.tg.add_timer(group.discovery_interval, self._guard,
                          0, self._discover)
        self.tg.add_timer(group.poll_interval, self._guard,
                          0, self._backups)

    def _discover(self):
        queued, _ = self.manager.discover_and_schedule(self.context)
        LOG.info('Discovery queued %d backups', len(queued))
        self.manager.report(self.context)

    def _backups(self):
        self.manager.backup_step(self.context)

    def _guard(self, step):
        """Keep a loop alive through the failure of one of its runs."""
        try:
            step()
        except exception.CloudError as exc:
            LOG.warning('%s did not finish: %s', step.__name__, exc)
        except Exception:
            LOG.exception('%s failed', step.__name__)

    def stop(self, graceful=True):
        LOG.info('Conductor %s stopping', self.conf.host)
        super().stop(graceful=graceful)
