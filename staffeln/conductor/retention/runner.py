"""One retention run: record problems, plan, delete what is due."""

from oslo_log import log as logging

from staffeln.common import clock as clock_mod
from staffeln.common import notifications
from staffeln.conductor.retention import deleting
from staffeln.conductor.retention import planning
from staffeln.db import api_retention

LOG = logging.getLogger(__name__)


class Retention(planning.Planner):
    """Plans and runs retention for every volume Staffeln backed up."""

    def __init__(self, conf, cloud, clock: clock_mod.Clock,
                 notifier=None):
        super().__init__(conf, cloud, clock)
        self.deleter = deleting.Deleter(
            conf, cloud, clock, notifier or notifications.Notifier.disabled())

    def run(self, context) -> planning.RetentionResult:
        result = planning.RetentionResult()
        started = self.clock.now()
        volumes = api_retention.volume_settings(context)
        self.record_problems(context, volumes, result)
        jobs = self.due(context, result, volumes)
        del volumes
        if jobs:
            self.deleter.delete(context, jobs, result, started)
        LOG.info('Retention: %d backups kept, %d deleted, %d vanished, %d '
                 'still being deleted, %d refused, %d deferred, %d in '
                 'error_deleting', result.kept, len(result.deleted),
                 len(result.vanished), len(result.pending),
                 len(result.refused), len(result.deferred),
                 len(result.stuck))
        return result
