"""Deleting due backups, children before parents, the way Cinder accepts.

Cinder refuses to delete a backup while an incremental backup of it exists,
even one being deleted. So a run deletes the newest incrementals of a
chain, waits up to ``[retention] delete_wait`` for Cinder to finish, and
goes on up the chain; whatever is left is done by the next run.

Each delete follows the task state machine: the task becomes ``deleting``
(intent, claimed by this conductor; the delete hook lets a backup whose
task is ``deleting`` be deleted) before the delete call, and ``deleted``
once the backup is gone. A delete Cinder refuses puts the task back to
``available`` with the reason and a ``retry_after``, so it is tried again by
the next run and not in a loop. Just before each delete the backup is
read, and what happens next depends on its state in Cinder (one handler per
:class:`~staffeln.cloud.records.BackupState`): one that vanished is
recorded as deleted, one that is busy waits, and a task left ``deleting`` by
an earlier run is finished, sent again, or reported when Cinder left the
backup in ``error_deleting``.
"""

import dataclasses
import datetime
import enum

from oslo_log import log as logging

from staffeln.cloud import records
from staffeln.common import clock as clock_mod
from staffeln.common import exception
from staffeln.conductor.retention import planning
from staffeln.db import api as db_api
from staffeln.db import states

LOG = logging.getLogger(__name__)

State = records.BackupState


class Outcome(enum.Enum):
    """What an attempt to delete one due backup came to."""

    #: The delete was sent (or Cinder is deleting it already): wait.
    SENT = 'sent'
    #: The backup is gone from Cinder.
    GONE = 'gone'
    #: Nothing more this run (deferred, refused, stuck).
    DONE = 'done'
    #: Its children are being deleted: look again after the next poll.
    RECHECK = 'recheck'


@dataclasses.dataclass
class _Run:
    """The state of one run's deletes."""

    result: planning.RetentionResult
    started: datetime.datetime
    deadline: datetime.datetime
    #: Delete calls sent so far.
    sent: int = 0


class Deleter:
    """Deletes the due backups of one retention run."""

    def __init__(self, conf, cloud, clock: clock_mod.Clock, notifier):
        self.conf = conf
        self.group = conf.retention
        self.cloud = cloud
        self.clock = clock
        self.notifier = notifier
        self.host = conf.host
        self._handlers = {
            State.DELETING: self._being_deleted,
            State.ERROR_DELETING: self._in_error_deleting,
            State.AVAILABLE: self._deletable,
            State.ERROR: self._deletable,
            State.CREATING: self._busy,
            State.BUSY: self._busy,
            State.DELETED: self._vanished,
        }

    def delete(self, context, jobs: dict, result: planning.RetentionResult,
               started: datetime.datetime) -> None:
        """Delete children before parents, waiting for Cinder between."""
        run = _Run(result, started, started + self.group.delete_wait)
        waiting = dict(sorted(jobs.items(),
                              key=lambda kv: (kv[1].rank, kv[0])))
        inflight: dict[int, planning.DueBackup] = {}
        gone: set[int] = set()
        while True:
            rechecks = 0
            for task_id, job in list(waiting.items()):
                if any(child not in gone for child in job.after):
                    continue
                outcome = self._attempt(context, job, run)
                if outcome is Outcome.RECHECK:
                    rechecks += 1
                    continue
                del waiting[task_id]
                if outcome is Outcome.SENT:
                    inflight[task_id] = job
                elif outcome is Outcome.GONE:
                    gone.add(task_id)
            if not inflight and not rechecks:
                break
            if self.clock.now() >= run.deadline:
                break
            self.clock.sleep(
                self.group.delete_poll_interval.total_seconds())
            gone |= self._poll(context, inflight, result)
        self._leave(context, waiting, inflight, gone, result)

    def _leave(self, context, waiting: dict, inflight: dict, gone: set,
               result: planning.RetentionResult) -> None:
        """What the run did not finish is left to the next one."""
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

    # ------------------------------------------------------------ attempt

    def _attempt(self, context, job: planning.DueBackup,
                 run: _Run) -> Outcome:
        """Check one backup in Cinder and send its delete if it may go."""
        result = run.result
        if job.status == states.AVAILABLE:
            refusal = self._not_now(job, run)
            if refusal:
                return self._defer(result, job, refusal)
        elif not job.claimed:
            now = self.clock.now()
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
            backup = self.cloud.get_backup(job.backup_id, retry=False)
        except exception.NotFound:
            return self._gone(context, job, result)
        except exception.CloudError as exc:
            self._release(context, job)
            return self._defer(result, job, f'cannot read the backup: {exc}')
        return self._handlers[backup.state](context, job, run, backup)

    def _not_now(self, job: planning.DueBackup, run: _Run) -> str | None:
        """Why a good backup that is due is not deleted in this run."""
        retry_after = clock_mod.as_utc(job.retry_after)
        if retry_after and retry_after > self.clock.now():
            return (f'Cinder refused to delete it ({job.reason}); tried '
                    f'again after {planning.when(retry_after)}')
        limit = self.group.max_deletes_per_run
        if limit and run.sent >= limit:
            return f'the limit of {limit} deletes per run is reached'
        return None

    def _being_deleted(self, context, job, run, backup) -> Outcome:
        # By an earlier run, or by an admin: wait for it like for ours.
        if job.status == states.AVAILABLE and not self._intent(
                context, job, 'Cinder is deleting it'):
            return self._defer(run.result, job, 'changed during the run')
        return Outcome.SENT

    def _in_error_deleting(self, context, job, run, backup) -> Outcome:
        self._stuck(context, job, run.result)
        return Outcome.DONE

    def _busy(self, context, job, run, backup) -> Outcome:
        self._release(context, job)
        return self._defer(run.result, job, (
            f'the backup is {backup.status} in Cinder; tried again next '
            f'run'))

    def _vanished(self, context, job, run, backup) -> Outcome:
        return self._gone(context, job, run.result)

    def _deletable(self, context, job, run, backup) -> Outcome:
        result = run.result
        if backup.has_dependent_backups:
            if job.after and self.clock.now() < run.deadline:
                return Outcome.RECHECK
            self._release(context, job)
            return self._defer(result, job, (
                'Cinder reports incremental backups of it that Staffeln '
                'did not make'))
        limit = self.group.max_deletes_per_run
        if limit and run.sent >= limit:
            self._release(context, job)
            return self._defer(result, job, (
                f'the limit of {limit} deletes per run is reached'))
        if job.status == states.AVAILABLE and not self._intent(
                context, job, f'retention: {job.why}'):
            return self._defer(result, job, 'changed during the run')
        return self._send(context, job, run)

    def _send(self, context, job, run) -> Outcome:
        try:
            self.cloud.delete_backup(job.project_id, job.backup_id)
        except exception.NotFound:
            return self._gone(context, job, run.result)
        except exception.CloudError as exc:
            if exc.ambiguous:
                # The delete may have been accepted: the task stays
                # deleting and the next run looks at the backup again.
                db_api.update_task(context, job.id, states.DELETING,
                                   reason=f'delete may have failed: {exc}',
                                   now=self.clock.now())
                self._release(context, job)
                run.result.errors.append(
                    f'deleting backup {job.backup_id} (task {job.uuid}) '
                    f'may have failed; checked again next run: {exc}')
                return Outcome.DONE
            self._refused(context, job, run, exc)
            return Outcome.DONE
        run.sent += 1
        LOG.info('Deleting backup %s of volume %s (project %s, task %s): '
                 '%s', job.backup_id, job.volume_id, job.project_id,
                 job.uuid, job.why)
        return Outcome.SENT

    def _intent(self, context, job: planning.DueBackup, reason: str) -> bool:
        """Record the intent to delete: the task becomes ``deleting``."""
        now = self.clock.now()
        expires = (now + self.group.delete_wait
                   + self.conf.conductor.claim_timeout)
        if not db_api.transition(context, job.id, states.AVAILABLE,
                                 states.DELETING, reason=reason[:2000],
                                 retry_after=None, claimed_by=self.host,
                                 claim_expires_at=expires,
                                 now=self.clock.now()):
            return False
        job.status = states.DELETING
        job.claimed = True
        return True

    # ------------------------------------------------------------ poll

    def _poll(self, context, inflight: dict,
              result: planning.RetentionResult) -> set[int]:
        """The deletes that finished: one listing, one read per finish."""
        if not inflight:
            return set()
        try:
            still = {b.id for b in self.cloud.list_backups(
                status=State.DELETING)}
        except exception.CloudError as exc:
            LOG.warning('Cannot list the backups being deleted: %s', exc)
            return set()
        finished = set()
        for task_id, job in list(inflight.items()):
            if job.backup_id in still:
                continue
            try:
                backup = self.cloud.get_backup(job.backup_id, retry=False)
            except exception.NotFound:
                del inflight[task_id]
                self._finish(context, job, result)
                finished.add(task_id)
                continue
            except exception.CloudError as exc:
                LOG.warning('Cannot read backup %s being deleted: %s',
                            job.backup_id, exc)
                continue
            if backup.state is State.DELETING:
                continue
            del inflight[task_id]
            if backup.state is State.ERROR_DELETING:
                self._stuck(context, job, result)
                continue
            self._ended_otherwise(context, job, backup, result)
        return finished

    def _ended_otherwise(self, context, job, backup, result) -> None:
        """Cinder gave up and put the backup back: sent again next run."""
        reason = (f'Cinder ended the delete with status {backup.status}; '
                  f'sent again next run')
        db_api.update_task(context, job.id, states.DELETING, reason=reason,
                           now=self.clock.now())
        self._release(context, job)
        result.deferred.append((job, reason))

    # ------------------------------------------------------------ outcomes

    def _defer(self, result, job: planning.DueBackup,
               reason: str) -> Outcome:
        LOG.info('Backup %s (task %s) is due but not deleted now: %s',
                 job.backup_id, job.uuid, reason)
        result.deferred.append((job, reason))
        return Outcome.DONE

    def _release(self, context, job: planning.DueBackup) -> None:
        if job.claimed:
            db_api.release_task(context, job.id, self.host)
            job.claimed = False

    def _finish(self, context, job: planning.DueBackup, result) -> None:
        """The backup is gone from Cinder: the task is ``deleted``."""
        if not db_api.transition(context, job.id, states.DELETING,
                                 states.DELETED, owner=self.host,
                                 deleted_at=self.clock.now(),
                                 claimed_by=None, claim_expires_at=None,
                                 now=self.clock.now()):
            LOG.warning('Task %s changed while its backup %s was deleted',
                        job.uuid, job.backup_id)
            return
        task = db_api.get_task(context, job.id)
        LOG.info('Deleted backup %s of volume %s (project %s, task %s)',
                 task.backup_id, task.volume_id, task.project_id, task.uuid)
        result.deleted.append(task)
        self.notifier.backup_delete_end(task)

    def _gone(self, context, job: planning.DueBackup, result) -> Outcome:
        """The backup is not in Cinder (any more)."""
        if job.status == states.DELETING:
            self._finish(context, job, result)
            return Outcome.GONE
        if not self._intent(context, job, 'vanished from Cinder'):
            return self._defer(result, job, 'changed during the run')
        if db_api.transition(context, job.id, states.DELETING,
                             states.DELETED, owner=self.host,
                             deleted_at=self.clock.now(), claimed_by=None,
                             claim_expires_at=None, now=self.clock.now()):
            LOG.warning('Backup %s of volume %s (project %s, task %s) '
                        'vanished from Cinder', job.backup_id,
                        job.volume_id, job.project_id, job.uuid)
            result.vanished.append(db_api.get_task(context, job.id))
        return Outcome.GONE

    def _refused(self, context, job: planning.DueBackup, run: _Run,
                 exc: exception.CloudError) -> None:
        """Cinder refused: back to ``available``, tried again next run."""
        retry_after = run.started + self.group.retention_interval / 2
        reason = f'Cinder refused to delete it: {exc}'
        db_api.transition(context, job.id, states.DELETING,
                          states.AVAILABLE, owner=self.host,
                          reason=reason[:2000], retry_after=retry_after,
                          claimed_by=None, claim_expires_at=None,
                          now=self.clock.now())
        job.status = states.AVAILABLE
        job.claimed = False
        job.reason = reason
        LOG.warning('Cinder refused to delete backup %s (task %s, project '
                    '%s); tried again after %s: %s', job.backup_id,
                    job.uuid, job.project_id, planning.when(retry_after),
                    exc)
        run.result.refused.append((job, reason))

    def _stuck(self, context, job: planning.DueBackup, result) -> None:
        """Cinder left the backup in ``error_deleting``."""
        if job.status == states.AVAILABLE:
            self._intent(context, job, '')
        reason = ('Cinder could not delete the backup (error_deleting); '
                  'once an admin resets its status to error, the next '
                  'run deletes it')
        db_api.update_task(context, job.id, states.DELETING, reason=reason,
                           now=self.clock.now())
        self._release(context, job)
        LOG.warning('Backup %s (task %s, project %s): %s', job.backup_id,
                    job.uuid, job.project_id, reason)
        result.stuck.append((job, reason))
