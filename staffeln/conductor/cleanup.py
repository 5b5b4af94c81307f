"""Deleting the Cinder backups of failed tasks, once Cinder allows."""

from oslo_log import log as logging

from staffeln.cloud import records
from staffeln.common import exception
from staffeln.db import api as db_api
from staffeln.db import states

LOG = logging.getLogger(__name__)

State = records.BackupState


class Cleanup:
    """The cleanup step of :class:`~staffeln.conductor.backups.BackupEngine`.

    It uses the engine's ``cloud``, ``clock`` and ``group``.
    """

    def cleanup(self, context) -> int:
        """Delete the Cinder backups of failed tasks, once Cinder allows.

        A backup still being made (one that outlived ``backup_timeout``)
        cannot be deleted: it is looked at again until Cinder ends it, then
        deleted; the task fails once Cinder no longer has it.
        """
        done = 0
        now = self.clock.now()
        for task in db_api.list_tasks(context, status=states.CLEANUP):
            if task.retry_after and task.retry_after > now:
                continue
            if self._clean(context, task):
                done += 1
        return done

    def _clean(self, context, task) -> bool:
        now = self.clock.now()
        backup = None
        if task.backup_id:
            try:
                backup = self.cloud.get_backup(task.backup_id, retry=False)
            except exception.NotFound:
                backup = None
            except exception.CloudError as exc:
                return self._clean_later(context, task, str(exc))
        if backup is not None and backup.state.deletable:
            try:
                self.cloud.delete_backup(task.project_id, task.backup_id)
            except exception.NotFound:
                pass
            except exception.CloudError as exc:
                return self._clean_later(context, task, str(exc))
            backup = None
        if backup is None or backup.state is State.DELETING:
            # Cinder took the delete: nothing of the task is left to do.
            return db_api.transition(context, task.id, states.CLEANUP,
                                     states.FAILED, now=now,
                                     retry_after=None)
        note = (f'the backup is {backup.status} in Cinder; it is deleted '
                f'once Cinder lets it')
        if backup.state is State.ERROR_DELETING:
            note = ('Cinder could not delete the backup (error_deleting); an '
                    'admin must reset its status to error')
        return self._clean_later(context, task, note)

    def _clean_later(self, context, task, note: str | None) -> bool:
        """Look at a cleanup task again after the poll interval."""
        now = self.clock.now()
        values = dict(now=now, retry_after=now + self.group.poll_interval)
        if note and note not in (task.reason or ''):
            LOG.warning('Failed backup %s of volume %s (task %s) is not '
                        'deleted yet: %s', task.backup_id, task.volume_id,
                        task.uuid, note)
            values['reason'] = f'{task.reason}; {note}'[:2000]
        db_api.update_task(context, task.id, states.CLEANUP, **values)
        return False
