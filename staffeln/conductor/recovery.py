"""Recovery: what a crash, a frozen conductor or a lost answer left behind.

A task's uuid is written into its backup's metadata (the task marker): it is
the create call's idempotency key. A task left ``starting`` (its create call
may or may not have reached Cinder) is resolved here:

* Cinder has backups with its marker: the task adopts exactly one (the
  best: available, then being made, oldest first) and every other one
  becomes a stray;
* Cinder has none and may still be making one (the call was sent less than
  ``[conductor] create_settle_time`` ago): the task waits;
* Cinder has none and can no longer be making one: the task is queued again
  (or fails after three attempts).

Strays (:class:`staffeln.db.models.StrayBackup`) are adopted by their task
when it has no backup yet, and deleted otherwise. A sweep of every backup
in Cinder finds the backups with a marker that no task or stray knows (an
answer lost so long that its task moved on); only markers of this
deployment's tasks are touched.
"""

from oslo_log import log as logging

from staffeln.cloud import records
from staffeln.common import exception
from staffeln.db import api as db_api
from staffeln.db import api_strays
from staffeln.db import states

LOG = logging.getLogger(__name__)

State = records.BackupState
#: Create calls of one task that may have reached Cinder, at most.
MAX_ATTEMPTS = 3
#: Which of several backups of one task to keep: lowest first.
_PREFERENCE = {State.AVAILABLE: 0, State.CREATING: 1}


class Recovery:
    """Resolves ``starting`` tasks and stray backups for a backup engine."""

    def __init__(self, engine):
        self.engine = engine
        self.cloud = engine.cloud
        self.clock = engine.clock
        self.group = engine.group

    @property
    def host(self) -> str:
        return self.engine.host

    def _marker(self, backup) -> str | None:
        return backup.metadata.get(self.group.task_metadata_key)

    # ------------------------------------------------------------ tasks

    def recover(self, context, startup: bool = False) -> int:
        """Resolve ``starting`` tasks that nobody is working on.

        At start-up, this conductor's own claims are stale (it was not
        running); otherwise only tasks whose claim expired or was released
        are taken.
        """
        if startup:
            for task in db_api.list_tasks(context, status=states.ACTIVE):
                if task.claimed_by == self.host:
                    db_api.release_task(context, task.id, self.host)
        resolved = 0
        for task in db_api.list_tasks(context, status=states.STARTING):
            if self.engine.claim(context, task, states.STARTING):
                resolved += self._resolve(context, task)
        return resolved

    def _resolve(self, context, task) -> int:
        try:
            backups = self.cloud.list_backups(volume_id=task.volume_id)
        except exception.CloudError as exc:
            LOG.warning('Cannot look for the backup of task %s: %s',
                        task.uuid, exc)
            db_api.release_task(context, task.id, self.host)
            return 0
        found = [b for b in backups if self._marker(b) == task.uuid]
        if found:
            self._adopt(context, task, found)
            return 1
        settled = task.started_at + self.group.create_settle_time
        if self.clock.now() < settled:
            LOG.info('No backup of task %s in Cinder yet; it is looked for '
                     'until %s before another is created', task.uuid,
                     settled.isoformat())
            db_api.release_task(context, task.id, self.host)
            return 0
        if task.attempts >= MAX_ATTEMPTS:
            self.engine.fail(context, task, states.STARTING, (
                f'no backup after {task.attempts} attempts: '
                f'{task.reason or "interrupted"}'))
        else:
            LOG.info('Task %s has no backup in Cinder; queueing it again',
                     task.uuid)
            db_api.transition(context, task.id, states.STARTING,
                              states.QUEUED, now=self.clock.now(),
                              owner=self.host, claimed_by=None,
                              claim_expires_at=None)
        return 1

    def _adopt(self, context, task, found: list) -> None:
        found.sort(key=lambda b: (_PREFERENCE.get(b.state, 2),
                                  b.created_at is None, b.created_at, b.id))
        keep, extra = found[0], found[1:]
        now = self.clock.now()
        for backup in extra:
            api_strays.add_stray(
                context, backup.id, task.uuid, task.project_id,
                task.volume_id, f'a second backup of task {task.uuid}, '
                f'which keeps {keep.id}', now)
        LOG.info('Adopting backup %s created for task %s before an '
                 'interruption%s', keep.id, task.uuid,
                 f' ({len(extra)} more are strays)' if extra else '')
        self.engine.record_created(context, task, keep.id, keep.name)

    # ------------------------------------------------------------ strays

    def release_strays(self, context) -> int:
        """Adopt or delete the stray backups; returns how many are done."""
        done = 0
        now = self.clock.now()
        for stray in api_strays.list_strays(context):
            if stray.retry_after and stray.retry_after > now:
                continue
            try:
                done += self._release(context, stray)
            except exception.CloudError as exc:
                LOG.warning('Stray backup %s is looked at again later: %s',
                            stray.backup_id, exc)
        return done

    def _release(self, context, stray) -> int:
        if stray.status == api_strays.FOUND:
            task = db_api.get_task_by_uuid(context, stray.task_uuid)
            if task is not None and task.backup_id == stray.backup_id:
                api_strays.forget_stray(context, stray.backup_id)
                return 1
            if task is not None and not task.backup_id and \
                    self._adopt_stray(context, task, stray):
                return 1
            if not api_strays.update_stray(
                    context, stray.backup_id, api_strays.FOUND,
                    now=self.clock.now(), status=api_strays.DELETING):
                return 0
        return self._delete(context, stray)

    def _adopt_stray(self, context, task, stray) -> bool:
        """A task with no backup yet takes its stray as its backup."""
        if task.status == states.QUEUED:
            if not self.engine.claim(context, task, states.QUEUED):
                return False
            now = self.clock.now()
            if not db_api.transition(
                    context, task.id, states.QUEUED, states.STARTING,
                    now=now, owner=self.host, started_at=now):
                return False
        elif task.status != states.STARTING or not self.engine.claim(
                context, task, states.STARTING):
            return False
        api_strays.forget_stray(context, stray.backup_id)
        return self.engine.record_created(
            context, db_api.get_task(context, task.id), stray.backup_id,
            None)

    def _delete(self, context, stray) -> int:
        now = self.clock.now()
        try:
            backup = self.cloud.get_backup(stray.backup_id, retry=False)
        except exception.NotFound:
            api_strays.update_stray(context, stray.backup_id,
                                    api_strays.DELETING, now=now,
                                    status=api_strays.DELETED, deleted_at=now)
            LOG.info('Stray backup %s (task %s) is deleted',
                     stray.backup_id, stray.task_uuid)
            return 1
        if backup.state.deletable:
            self.cloud.delete_backup(stray.project_id, stray.backup_id)
            LOG.info('Deleting stray backup %s (task %s): %s',
                     stray.backup_id, stray.task_uuid, stray.reason)
        elif backup.state is State.ERROR_DELETING:
            LOG.warning('Stray backup %s (task %s) is in error_deleting; an '
                        'admin must reset its status to error',
                        stray.backup_id, stray.task_uuid)
        api_strays.update_stray(
            context, stray.backup_id, api_strays.DELETING, now=now,
            retry_after=now + self.group.poll_interval)
        return 0

    # ------------------------------------------------------------ sweep

    def sweep(self, context) -> int:
        """Record as strays the marked backups no task or stray knows.

        One listing of every project's backups. Returns how many strays it
        found.
        """
        known = api_strays.known_backup_ids(context)
        found = 0
        for backup in self.cloud.list_backups():
            marker = self._marker(backup)
            if not marker or backup.id in known:
                continue
            if backup.state is State.DELETED:
                continue
            task = db_api.get_task_by_uuid(context, marker)
            if task is None:
                LOG.warning('Backup %s carries the task marker %s, which no '
                            'task of this deployment has; it is left alone',
                            backup.id, marker)
                continue
            if api_strays.add_stray(
                    context, backup.id, marker, task.project_id,
                    task.volume_id, 'found by the sweep: its task has no '
                    'record of it', self.clock.now()):
                found += 1
        if found:
            LOG.warning('The sweep found %d backups with a task marker that '
                        'no task records; they are adopted or deleted',
                        found)
        return found
