"""The conductor's steps, and one whole cycle for ``run-once``."""

import dataclasses

from oslo_log import log as logging

from staffeln.actions import catalog as policy_catalog
from staffeln.cloud import client as cloud_client
from staffeln.common import exception
from staffeln.common import failpoints
from staffeln.common import notifications
from staffeln.common import text
from staffeln.conductor import backups
from staffeln.conductor import discovery
from staffeln.conductor import drills
from staffeln.conductor import guard
from staffeln.conductor import recovery
from staffeln.conductor import report
from staffeln.conductor.retention import planning as retention_planning
from staffeln.conductor.retention import runner as retention_runner
from staffeln.conductor import webhooks
from staffeln.db import api as db_api
from staffeln.db import api_drills
from staffeln.db import api_policies
from staffeln.db import states
from staffeln.rules import schedule

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class CycleResult:
    """What one cycle did, for the operator."""

    queued: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)
    errors: list = dataclasses.field(default_factory=list)
    tasks: list = dataclasses.field(default_factory=list)
    reports: list = dataclasses.field(default_factory=list)
    retention: retention_planning.RetentionResult | None = None
    drills: list = dataclasses.field(default_factory=list)

    @property
    def failed(self) -> list:
        return [t for t in self.tasks
                if t.status in (states.FAILED, states.CLEANUP)]

    @property
    def ok(self) -> bool:
        return (not self.errors and not self.failed and
                all(r.status != report.FAILED for r in self.reports) and
                not (self.retention and self.retention.errors) and
                all(d.outcome != api_drills.FAILED
                    for d in self.drills))


class Manager:
    """Runs discovery, scheduling, backups and reports against one DB."""

    def __init__(self, conf, cloud, clock, notifier=None, reporter=None,
                 webhooks=None):
        self.conf = conf
        self.cloud = cloud
        self.clock = clock
        self.notifier = notifier
        self.reporter = reporter
        self.webhooks = webhooks
        self.engine = backups.BackupEngine(conf, cloud, clock, notifier)
        self.recovery = recovery.Recovery(self.engine)
        self.retainer = retention_runner.Retention(conf, cloud, clock,
                                                   notifier)
        self.drills = drills.Drills(conf, cloud, clock, notifier)
        self.guard = guard.Guard()

    @classmethod
    def build(cls, conf, clock) -> 'Manager':
        """A manager with the real cloud, notifier and reporter."""
        cloud = cloud_client.Cloud(conf)
        notifier = notifications.Notifier(conf)
        reporter = report.Reporter(conf, cloud, clock, notifier)
        return cls(conf, cloud, clock, notifier, reporter,
                   webhooks.Webhooks(conf, clock))

    def report(self, context) -> list:
        """Send the digests that are due; hand the webhooks over."""
        results = [] if self.reporter is None else self.reporter.run(context)
        if self.webhooks is not None:
            self.guard.run('webhooks', self.webhooks.run, context)
        return results

    def retention(self, context) -> retention_planning.RetentionResult:
        """Record stray backups, then delete what retention lets go."""
        self.guard.run('sweep', self.recovery.sweep, context)
        return self.retainer.run(context)

    def drill(self, context, wait: bool = False) -> list:
        """One pass of the restore drills; the drills it started.

        With ``wait`` (run-once), passes go on until no drill is open, so
        that no restored volume outlives the run.
        """
        started = self.guard.run('drills', self.drills.run, context) or []
        if wait:
            self.guard.run('drills', self.drills.wait, context)
        return [api_drills.get_drill(context, d.id) for d in started]

    def discover_and_schedule(self, context) -> tuple[list, list]:
        """One discovery and scheduling pass; returns (queued, candidates).

        The decisions are :func:`staffeln.rules.schedule.plan`'s; this is
        the one place that queues what it decides.
        """
        now = self.clock.now()
        candidates, rows = self._plan(context, now)
        db_api.save_volumes(
            context, [dict(id=c.volume.id, **c.record()) for c in candidates],
            now)
        db_api.mark_volumes_gone(
            context, {c.volume.id for c in candidates}, now)
        plans: dict[str, list] = {c.volume.id: [] for c in candidates}
        for candidate, policy, decision in rows:
            if decision is not None:
                plans[candidate.volume.id].append(
                    (policy.id, decision.next_due, decision.reason))
        api_policies.save_volume_policies(context, plans)
        due = [(c, d) for c, _, d in rows if d is not None and d.due]
        for candidate, decision in due:
            LOG.info('Queueing a %s backup of volume %s (project %s, policy '
                     '%s): %s', decision.backup_type, candidate.volume.id,
                     candidate.volume.project_id, decision.policy_id,
                     decision.reason)
        queued = db_api.create_tasks(
            context, [_task_values(c, d, now) for c, d in due]) if due else []
        return queued, candidates

    def plan(self, context) -> list:
        """What the next discovery would decide, without changing anything.

        ``(candidate, policy, decision)`` rows; the policy and the decision
        are None for a volume that is skipped.
        """
        return self._plan(context, self.clock.now())[1]

    def _plan(self, context, now) -> tuple[list, list]:
        catalog = policy_catalog.load(context, self.conf)
        candidates = discovery.discover(self.cloud, self.conf, catalog, now)
        eligible = [c.volume.id for c in candidates if c.eligible]
        histories = db_api.volume_histories(context, eligible)
        first_seen = db_api.first_seen(context, eligible)
        return candidates, schedule.plan(candidates, histories, first_seen,
                                         now)

    def backup_step(self, context, startup: bool = False) -> None:
        """Recover, poll, start and clean up: the backup loop's body.

        Each step runs whatever the one before it met: a poll that cannot
        list the backups does not keep queued backups from starting.
        """
        run = self.guard.run
        run('recovery', self.recovery.recover, context, startup)
        run('poll', self.engine.poll, context)
        run('start', self.engine.start_queued, context)
        run('cleanup', self.engine.cleanup, context)
        run('strays', self.recovery.release_strays, context)

    def run_once(self, context, wait: bool = True) -> CycleResult:
        """One whole cycle in the foreground.

        Discover and schedule, then start and poll backups until every task
        of the cycle has ended (backups that outlive ``backup_timeout`` are
        failed by the poll), then the remaining steps.
        """
        result = CycleResult()
        self.backup_step(context, startup=True)
        try:
            queued, candidates = self.discover_and_schedule(context)
        except exception.CloudError as exc:
            LOG.error('Discovery failed: %s', exc)
            result.errors.append(f'discovery failed: {exc}')
            return result
        failpoints.hit('after_schedule')
        result.queued = queued
        result.skipped = [c for c in candidates if not c.eligible]
        # This cycle's tasks, and any an earlier cycle left unfinished.
        ids = sorted({t.id for t in queued} | {
            t.id for t in db_api.list_tasks(
                context, status=(states.QUEUED, states.STARTING,
                                 states.CREATING))})
        interval = self.conf.conductor.run_once_poll_interval.total_seconds()
        # Tasks that never start (a cap held by other work, a quota that
        # cannot be read) must not keep run-once waiting for ever.
        deadline = self.clock.now() + 2 * self.conf.conductor.backup_timeout
        while True:
            self.backup_step(context)
            pending = [t for t in (db_api.get_task(context, i) for i in ids)
                       if _pending(t, self.clock.now())]
            if not wait or not pending:
                break
            if self.clock.now() >= deadline:
                result.errors.append(
                    f'{len(pending)} backups had not finished when '
                    f'run-once stopped waiting')
                break
            self.clock.sleep(interval)
        result.tasks = [db_api.get_task(context, i) for i in ids]
        try:
            result.retention = self.retention(context)
        except exception.CloudError as exc:
            LOG.error('Retention failed: %s', exc)
            result.errors.append(f'retention failed: {exc}')
        result.drills = self.drill(context, wait=wait)
        self.backup_step(context)
        result.reports = self.report(context)
        self.cloud.end_cycle()
        return result


def _pending(task, now) -> bool:
    """Whether run-once waits for the task.

    It waits for a task being made, or one that may start now; a task held
    back for a while (for its quota, say) is not waited for.
    """
    if task.status == states.QUEUED:
        return task.retry_after is None or task.retry_after <= now
    return task.status in (states.STARTING, states.CREATING)


def _task_values(candidate, decision, now) -> dict:
    """The row of the task that makes the backup ``decision`` asks for."""
    return {
        'project_id': candidate.volume.project_id,
        'volume_id': candidate.volume.id,
        'volume_name': text.clip(candidate.volume.name),
        'server_id': candidate.server.id,
        'server_name': text.clip(candidate.server.name),
        'backup_type': decision.backup_type,
        'parent_id': decision.parent_id,
        'policy_id': decision.policy_id,
        'size_gb': candidate.volume.size,
        'status': states.QUEUED,
        'created_at': now,
    }
