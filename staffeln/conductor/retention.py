"""Retention: delete the backups the policy no longer keeps, safely.

A run plans every volume with :mod:`retention_policy` and then deletes the
backups that are due in an order Cinder accepts: a backup only once every
backup that depends on it is gone from Cinder (Cinder refuses to delete a
backup while an incremental backup of it exists, even one being deleted).
So a run deletes the newest incrementals of a chain, waits up to
``[retention] delete_wait`` for Cinder to finish, and goes on up the chain;
whatever is left is done by the next run.

Each delete follows the task state machine: the task becomes ``deleting``
(intent, claimed by this conductor; the delete hook lets a backup whose task
is ``deleting`` be deleted) before the delete call, and ``deleted`` once the
backup is gone. A delete Cinder refuses puts the task back to ``available``
with the reason and a ``retry_after``, so it is tried again by the next run
and not in a loop. Just before each delete, the backup is read: one that
vanished is recorded as deleted, one that is busy (restoring, creating) or
that Cinder says has incremental backups Staffeln did not make waits, and a
task left ``deleting`` by an earlier run is finished, sent again, or
reported when Cinder left the backup in ``error_deleting``.

Only backups of Staffeln's own tasks are ever deleted. Backups of failed
tasks are the backup engine's (its cleanup step), not retention's.
"""

import dataclasses
import datetime
import sys
from typing import Any

from oslo_log import log as logging

from staffeln.common import clock as clock_mod
from staffeln.common import duration
from staffeln.common import exception
from staffeln.conductor import retention_policy as rp
from staffeln.db import api as db_api
from staffeln.db import api_retention
from staffeln.db import states

LOG = logging.getLogger(__name__)

#: Cinder statuses in which a backup can be deleted.
DELETABLE = ('available', 'error')


@dataclasses.dataclass
class Problem:
    """A server's retention override that was not taken as it stood."""

    project_id: str
    volume_id: str
    server_id: str | None
    server_name: str | None
    message: str


@dataclasses.dataclass
class RetentionResult:
    """What one retention run did."""

    #: Tasks whose backup retention deleted (gone from Cinder).
    deleted: list = dataclasses.field(default_factory=list)
    #: Tasks whose backup had vanished from Cinder: recorded as deleted.
    vanished: list = dataclasses.field(default_factory=list)
    #: Tasks whose delete Cinder was still doing when the run ended.
    pending: list = dataclasses.field(default_factory=list)
    #: (task, reason): deletes Cinder refused; tried again next run.
    refused: list = dataclasses.field(default_factory=list)
    #: (task, reason): due backups this run did not delete, and why.
    deferred: list = dataclasses.field(default_factory=list)
    #: (task, reason): backups Cinder left in error_deleting.
    stuck: list = dataclasses.field(default_factory=list)
    #: Problems with servers' retention overrides.
    problems: list = dataclasses.field(default_factory=list)
    #: Failures of the run itself.
    errors: list = dataclasses.field(default_factory=list)
    #: How many good backups the policy keeps.
    kept: int = 0
    #: Due backups left to later runs by ``max_deletes_per_run``.
    later: int = 0

    @property
    def ok(self) -> bool:
        return not (self.errors or self.refused or self.stuck)


@dataclasses.dataclass
class VolumePlan:
    volume_id: str
    #: The volume's row (None if Staffeln never recorded the volume).
    volume: Any
    #: The volume's live tasks (rows of api_retention.TASK_COLUMNS).
    tasks: list
    verdicts: list
    policy: rp.Policy
    exists: bool


@dataclasses.dataclass(slots=True, eq=False)
class DueBackup:
    """A backup this run means to delete (or finish deleting).

    It carries the few fields of its task that deleting needs, and stands
    for the task in :class:`RetentionResult` lists; a run may hold many.
    """

    id: int
    uuid: str
    project_id: str
    volume_id: str
    backup_id: str | None
    #: The task's status as this run knows it.
    status: str
    retry_after: datetime.datetime | None
    #: The reason recorded on the task (why a delete was refused).
    reason: str | None
    #: Why retention deletes it.
    why: str
    #: Tasks that depend on it and must be gone first.
    after: tuple = ()
    rank: int = 0
    claimed: bool = False


@dataclasses.dataclass
class _Run:
    """The state of one run's deletes."""

    result: RetentionResult
    started: datetime.datetime
    deadline: datetime.datetime
    #: Delete calls sent so far.
    sent: int = 0


# What an attempt to delete a job's backup came to.
_SENT, _GONE, _DONE, _RECHECK = 'sent', 'gone', 'done', 'recheck'


class Retention:
    """Plans and runs retention for every volume Staffeln backed up."""

    def __init__(self, conf, cloud, clock: clock_mod.Clock,
                 notifier=None):
        self.conf = conf
        self.group = conf.retention
        self.cloud = cloud
        self.clock = clock
        self.notifier = notifier
        self.host = conf.host
        self.default, self.bounds = rp.from_conf(self.group)
        self._check_config()

    def _check_config(self) -> None:
        low, high = self.bounds.min_retention, self.bounds.max_retention
        if low > high:
            raise exception.ConfigurationError(
                f'[retention] min_retention ({duration.format(low)}) is '
                f'longer than max_retention ({duration.format(high)})')
        if not low <= self.default.retention <= high:
            raise exception.ConfigurationError(
                f'[retention] retention_time '
                f'({duration.format(self.default.retention)}) is not '
                f'within min_retention ({duration.format(low)}) and '
                f'max_retention ({duration.format(high)})')
        for rule in rp.beyond_ceiling(self.default.keep, high):
            LOG.warning('[retention] keep_%s=%d reaches past max_retention '
                        '%s: backups older than that are not kept by it',
                        rule, getattr(self.default.keep, rule),
                        duration.format(high))

    # ------------------------------------------------------------ planning

    def _resolver(self):
        cache: dict[tuple, rp.Resolved] = {}

        def resolve(volume) -> rp.Resolved:
            raw = (volume.retention if volume is not None else None) or {}
            key = (raw.get(rp.RETENTION_KEY), raw.get(rp.KEEP_KEY))
            if key not in cache:
                cache[key] = rp.resolve(
                    {rp.RETENTION_KEY: key[0], rp.KEEP_KEY: key[1]},
                    self.default, self.bounds)
            return cache[key]
        return resolve

    def _still_existing(self, context, errors: list) -> set[str]:
        """Volumes marked gone that Cinder still has.

        Discovery marks a volume gone when it is no longer attached to an
        opted-in server; the floor protects the last good backup of any
        volume that still exists. Without a cloud, or when Cinder cannot
        be asked, every such volume is taken to exist.
        """
        gone = api_retention.gone_volumes_with_backups(context)
        if not gone or self.cloud is None:
            return set(gone)
        try:
            listed = {v.id for v in self.cloud.list_volumes()}
        except exception.CloudError as exc:
            errors.append(f'cannot tell which volumes still exist, so the '
                          f'last good backups of volumes no longer backed '
                          f'up are kept: {exc}')
            return set(gone)
        return {volume_id for volume_id in gone if volume_id in listed}

    def iter_plan(self, context, project_id: str | None = None,
                  volumes: dict | None = None,
                  errors: list | None = None,
                  columns: tuple = api_retention.PLAN_COLUMNS):
        """The plan of every volume with backups, one volume at a time.

        The tasks are database rows with ``columns``; the policy engine
        takes them as they are.
        """
        now = self.clock.now()
        if volumes is None:
            volumes = api_retention.volume_policies(context, project_id)
        existing = self._still_existing(
            context, errors if errors is not None else [])
        resolve = self._resolver()
        for volume_id, tasks in api_retention.task_groups(
                context, project_id, columns):
            volume = volumes.get(volume_id)
            exists = (volume is None or volume.gone_at is None
                      or volume_id in existing)
            policy = resolve(volume).policy
            yield VolumePlan(volume_id, volume, tasks,
                             rp.plan(tasks, policy, now, exists),
                             policy, exists)

    def policy_problems(self, context, project_id: str | None = None,
                        volumes: dict | None = None) -> list[Problem]:
        """Problems with the overrides of volumes Staffeln backs up."""
        if volumes is None:
            volumes = api_retention.volume_policies(context, project_id)
        resolve = self._resolver()
        problems = []
        for volume in sorted(volumes.values(),
                             key=lambda v: (v.project_id, v.id)):
            if volume.gone_at is not None:
                continue
            for message in resolve(volume).problems:
                problems.append(Problem(volume.project_id, volume.id,
                                        volume.server_id,
                                        volume.server_name, message))
        return problems

    def preview(self, context, project_id: str | None = None,
                errors: list | None = None) -> list:
        """What the next run would decide; changes nothing.

        ``(task, keep, reason)`` for every good backup and every backup
        being deleted, volume by volume, newest first. Problems that keep
        the plan from being exact are appended to ``errors``.
        """
        now = self.clock.now()
        out = []
        for plan in self.iter_plan(context, project_id, errors=errors,
                                   columns=api_retention.TASK_COLUMNS):
            tasks = {t.id: t for t in plan.tasks}
            for verdict in plan.verdicts:
                task = tasks[verdict.id]
                reason = verdict.reason
                if (not verdict.keep and task.status == states.AVAILABLE
                        and task.retry_after
                        and clock_mod.as_utc(task.retry_after) > now):
                    reason += (f'; waits until {_when(task.retry_after)} '
                               f'({task.reason})')
                out.append((task, verdict.keep, reason))
        return out

    # ------------------------------------------------------------ running

    def run(self, context) -> RetentionResult:
        """One retention run: record problems, plan, delete what is due."""
        result = RetentionResult()
        started = self.clock.now()
        volumes = api_retention.volume_policies(context)
        self._record_problems(context, volumes, result)
        jobs = self.due(context, result, volumes)
        del volumes
        if jobs:
            self._delete(context, jobs, result, started)
        LOG.info('Retention: %d backups kept, %d deleted, %d vanished, %d '
                 'still being deleted, %d refused, %d deferred, %d in '
                 'error_deleting', result.kept, len(result.deleted),
                 len(result.vanished), len(result.pending),
                 len(result.refused), len(result.deferred),
                 len(result.stuck))
        return result

    def due(self, context, result: RetentionResult,
            volumes: dict | None = None) -> dict:
        """The backups to delete (and to finish deleting), by task id.

        Only these are held in memory; kept backups are counted in
        ``result.kept``. With ``max_deletes_per_run``, volumes are taken
        whole until that many backups are held; the due backups of the
        other volumes are counted in ``result.later`` and planned again
        by the next run.
        """
        limit = self.group.max_deletes_per_run
        jobs: dict[int, DueBackup] = {}
        for plan in self.iter_plan(context, volumes=volumes,
                                   errors=result.errors):
            due = [v for v in plan.verdicts if not v.keep]
            result.kept += len(plan.verdicts) - len(due)
            if not due:
                continue
            if limit and len(jobs) >= limit:
                result.later += len(due)
                continue
            tasks = {t.id: t for t in plan.tasks}
            project_id = sys.intern(plan.tasks[0].project_id)
            for verdict in due:
                task = tasks[verdict.id]
                jobs[task.id] = DueBackup(
                    task.id, task.uuid, project_id, plan.volume_id,
                    task.backup_id,
                    (states.DELETING if task.status == states.DELETING
                     else states.AVAILABLE),
                    task.retry_after, task.reason, verdict.reason,
                    tuple(verdict.after), verdict.rank)
        return jobs

    def _record_problems(self, context, volumes: dict,
                         result: RetentionResult) -> None:
        """Report override problems where an operator and a tenant look.

        In the log, in the result, and in the volume's ``policy_errors``
        that the project's digest shows.
        """
        result.problems = self.policy_problems(context, volumes=volumes)
        by_volume: dict[str, list[str]] = {}
        for problem in result.problems:
            LOG.warning('Retention override of server %s (volume %s, '
                        'project %s): %s', problem.server_id,
                        problem.volume_id, problem.project_id,
                        problem.message)
            by_volume.setdefault(problem.volume_id, []).append(
                problem.message)
        changes = {}
        for volume in volumes.values():
            if volume.gone_at is not None:
                continue
            text = merge_policy_errors(volume.policy_errors,
                                       by_volume.get(volume.id, []))
            if text != volume.policy_errors:
                changes[volume.id] = text
        if changes:
            api_retention.set_policy_errors(context, changes)

    def _delete(self, context, jobs: dict, result: RetentionResult,
                started: datetime.datetime) -> None:
        """Delete children before parents, waiting for Cinder between."""
        run = _Run(result, started, started + self.group.delete_wait)
        waiting = dict(sorted(jobs.items(),
                              key=lambda kv: (kv[1].rank, kv[0])))
        inflight: dict[int, DueBackup] = {}
        gone: set[int] = set()
        while True:
            rechecks = 0
            for task_id, job in list(waiting.items()):
                if any(child not in gone for child in job.after):
                    continue
                outcome = self._attempt(context, job, run)
                if outcome == _RECHECK:
                    rechecks += 1
                    continue
                del waiting[task_id]
                if outcome == _SENT:
                    inflight[task_id] = job
                elif outcome == _GONE:
                    gone.add(task_id)
            if not inflight and not rechecks:
                break
            if self.clock.now() >= run.deadline:
                break
            self.clock.sleep(self.group.delete_poll_interval)
            gone |= self._poll(context, inflight, result)
        for job in inflight.values():
            self._release(context, job)
            result.pending.append(job)
        for job in waiting.values():
            self._release(context, job)
            blockers = sorted(set(job.after) - gone)
            if blockers:
                reason = (f'waits for incremental task {blockers[0]} to be '
                          f'deleted first')
            else:
                reason = ('Cinder still reports incremental backups of it; '
                          'tried again next run')
            result.deferred.append((job, reason))

    def _attempt(self, context, job: DueBackup, run: _Run) -> str:
        """Check one backup in Cinder and send its delete if it may go."""
        result = run.result
        now = self.clock.now()
        limit = self.group.max_deletes_per_run
        if job.status == states.AVAILABLE:
            retry_after = clock_mod.as_utc(job.retry_after)
            if retry_after and retry_after > now:
                return self._defer(result, job, (
                    f'Cinder refused to delete it ({job.reason}); tried '
                    f'again after {_when(retry_after)}'))
            if limit and run.sent >= limit:
                return self._defer(result, job, (
                    f'the limit of {limit} deletes per run is reached'))
        elif not job.claimed:
            expires = now + self.group.delete_wait + \
                self.conf.conductor.claim_timeout
            if not db_api.claim_task(context, job.id, states.DELETING,
                                     self.host, now, expires):
                return self._defer(result, job,
                                   'another conductor is deleting it')
            job.claimed = True
        if not job.backup_id:
            return self._gone(context, job, result)
        try:
            backup = self.cloud.get_backup(job.backup_id)
        except exception.NotFound:
            return self._gone(context, job, result)
        except exception.CloudError as exc:
            self._release(context, job)
            return self._defer(result, job, f'cannot read the backup: {exc}')
        if backup.status == 'deleting':
            # Being deleted already (by an earlier run, or by an admin):
            # wait for it like for one of ours.
            if job.status == states.AVAILABLE and not self._intent(
                    context, job, 'Cinder is deleting it'):
                return self._defer(result, job, 'changed during the run')
            return _SENT
        if backup.status == 'error_deleting':
            self._stuck(context, job, result)
            return _DONE
        if backup.status not in DELETABLE:
            self._release(context, job)
            return self._defer(result, job, (
                f'the backup is {backup.status} in Cinder; tried again '
                f'next run'))
        if backup.has_dependent_backups:
            if job.after and self.clock.now() < run.deadline:
                return _RECHECK
            self._release(context, job)
            return self._defer(result, job, (
                'Cinder reports incremental backups of it that Staffeln '
                'did not make'))
        if limit and run.sent >= limit:
            self._release(context, job)
            return self._defer(result, job, (
                f'the limit of {limit} deletes per run is reached'))
        if job.status == states.AVAILABLE and not self._intent(
                context, job, f'retention: {job.why}'):
            return self._defer(result, job, 'changed during the run')
        try:
            self.cloud.delete_backup(job.project_id, job.backup_id)
        except exception.NotFound:
            return self._gone(context, job, result)
        except exception.CloudError as exc:
            if exc.ambiguous:
                # The delete may have been accepted: the task stays
                # deleting and the next run looks at the backup again.
                db_api.update_task(context, job.id, states.DELETING,
                                   reason=f'delete may have failed: {exc}')
                self._release(context, job)
                result.errors.append(
                    f'deleting backup {job.backup_id} (task {job.uuid}) '
                    f'may have failed; checked again next run: {exc}')
                return _DONE
            self._refused(context, job, run, exc)
            return _DONE
        run.sent += 1
        LOG.info('Deleting backup %s of volume %s (project %s, task %s): '
                 '%s', job.backup_id, job.volume_id, job.project_id,
                 job.uuid, job.why)
        return _SENT

    def _intent(self, context, job: DueBackup, reason: str) -> bool:
        """Record the intent to delete: the task becomes ``deleting``."""
        now = self.clock.now()
        expires = (now + self.group.delete_wait
                   + self.conf.conductor.claim_timeout)
        if not db_api.transition(context, job.id, states.AVAILABLE,
                                 states.DELETING, reason=reason[:2000],
                                 retry_after=None, claimed_by=self.host,
                                 claim_expires_at=expires):
            return False
        job.status = states.DELETING
        job.claimed = True
        return True

    def _poll(self, context, inflight: dict,
              result: RetentionResult) -> set[int]:
        """The deletes that finished: one listing, one read per finish."""
        if not inflight:
            return set()
        try:
            still = {b.id for b in self.cloud.list_backups(
                status='deleting')}
        except exception.CloudError as exc:
            LOG.warning('Cannot list the backups being deleted: %s', exc)
            return set()
        finished = set()
        for task_id, job in list(inflight.items()):
            if job.backup_id in still:
                continue
            try:
                backup = self.cloud.get_backup(job.backup_id)
            except exception.NotFound:
                del inflight[task_id]
                self._finish(context, job, result)
                finished.add(task_id)
                continue
            except exception.CloudError as exc:
                LOG.warning('Cannot read backup %s being deleted: %s',
                            job.backup_id, exc)
                continue
            if backup.status == 'deleting':
                continue
            del inflight[task_id]
            if backup.status == 'error_deleting':
                self._stuck(context, job, result)
                continue
            # Cinder gave up and put the backup back: send it again on the
            # next run.
            db_api.update_task(context, task_id, states.DELETING,
                               reason=f'Cinder ended the delete with status '
                                      f'{backup.status}; sent again next run')
            self._release(context, job)
            result.deferred.append((job, (
                f'Cinder ended the delete with status {backup.status}; '
                f'sent again next run')))
        return finished

    # ------------------------------------------------------------ outcomes

    def _defer(self, result: RetentionResult, job: DueBackup,
               reason: str) -> str:
        LOG.info('Backup %s (task %s) is due but not deleted now: %s',
                 job.backup_id, job.uuid, reason)
        result.deferred.append((job, reason))
        return _DONE

    def _release(self, context, job: DueBackup) -> None:
        if job.claimed:
            db_api.release_task(context, job.id, self.host)
            job.claimed = False

    def _finish(self, context, job: DueBackup,
                result: RetentionResult) -> None:
        """The backup is gone from Cinder: the task is ``deleted``."""
        if not db_api.transition(context, job.id, states.DELETING,
                                 states.DELETED, owner=self.host,
                                 deleted_at=self.clock.now(),
                                 claimed_by=None, claim_expires_at=None):
            LOG.warning('Task %s changed while its backup %s was deleted',
                        job.uuid, job.backup_id)
            return
        task = db_api.get_task(context, job.id)
        LOG.info('Deleted backup %s of volume %s (project %s, task %s)',
                 task.backup_id, task.volume_id, task.project_id, task.uuid)
        result.deleted.append(task)
        if self.notifier is not None:
            self.notifier.backup_delete_end(task)

    def _gone(self, context, job: DueBackup, result: RetentionResult) -> str:
        """The backup is not in Cinder (any more)."""
        if job.status == states.DELETING:
            self._finish(context, job, result)
            return _GONE
        if not self._intent(context, job, 'vanished from Cinder'):
            return self._defer(result, job, 'changed during the run')
        if db_api.transition(context, job.id, states.DELETING,
                             states.DELETED, owner=self.host,
                             deleted_at=self.clock.now(), claimed_by=None,
                             claim_expires_at=None):
            LOG.warning('Backup %s of volume %s (project %s, task %s) '
                        'vanished from Cinder', job.backup_id,
                        job.volume_id, job.project_id,
                        job.uuid)
            result.vanished.append(db_api.get_task(context, job.id))
        return _GONE

    def _refused(self, context, job: DueBackup, run: _Run,
                 exc: exception.CloudError) -> None:
        """Cinder refused: back to ``available``, tried again next run."""
        retry_after = run.started + datetime.timedelta(
            seconds=self.group.retention_interval / 2)
        reason = f'Cinder refused to delete it: {exc}'
        db_api.transition(context, job.id, states.DELETING,
                          states.AVAILABLE, owner=self.host,
                          reason=reason[:2000], retry_after=retry_after,
                          claimed_by=None, claim_expires_at=None)
        job.status = states.AVAILABLE
        job.claimed = False
        job.reason = reason
        LOG.warning('Cinder refused to delete backup %s (task %s, project '
                    '%s); tried again after %s: %s', job.backup_id,
                    job.uuid, job.project_id, _when(retry_after), exc)
        run.result.refused.append((job, reason))

    def _stuck(self, context, job: DueBackup, result: RetentionResult) -> None:
        """Cinder left the backup in ``error_deleting``."""
        if job.status == states.AVAILABLE:
            self._intent(context, job, '')
        reason = ('Cinder could not delete the backup (error_deleting); '
                  'once an admin resets its status to error, the next '
                  'run deletes it')
        db_api.update_task(context, job.id, states.DELETING, reason=reason)
        self._release(context, job)
        LOG.warning('Backup %s (task %s, project %s): %s', job.backup_id,
                    job.uuid, job.project_id, reason)
        result.stuck.append((job, reason))


def merge_policy_errors(current: str | None,
                        problems: list[str]) -> str | None:
    """A volume's ``policy_errors`` with its retention problems replaced.

    Other lines (discovery's backup_interval problems) are kept.
    """
    lines = [line for line in (current or '').splitlines()
             if line.strip() and not line.startswith(
                 (rp.RETENTION_KEY, rp.KEEP_KEY))]
    lines.extend(problems)
    return '\n'.join(lines) or None


def _when(value: datetime.datetime) -> str:
    return clock_mod.as_utc(value).strftime('%Y-%m-%d %H:%M:%SZ')
