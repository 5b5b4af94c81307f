"""The backup engine: start queued tasks, poll them, clean up, recover.

Intent is written before every side effect: a task is ``starting`` (with
its uuid, which also goes into the backup's metadata) before the create call
is sent, and ``deleting``/``cleanup`` before a delete. After a crash, a
``starting`` task is resolved by looking for its backup by that marker: the
backup is adopted if it exists, and the task is queued again if not.
"""

import datetime

from oslo_log import log as logging

from staffeln.cloud import records
from staffeln.common import exception
from staffeln.common import failpoints
from staffeln.common import notifications
from staffeln.conductor import admission
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.rules import schedule

LOG = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
DESCRIPTIONS = {schedule.FULL: 'Full backup by Staffeln',
                schedule.INCREMENTAL: 'Incremental backup by Staffeln'}


def check_name_template(template: str) -> None:
    """Raise ConfigurationError unless ``template`` formats a name."""
    sample = type('Task', (), {
        'volume_name': 'volume', 'volume_id': 'id', 'server_name': 'server',
        'server_id': 'id', 'project_id': 'id', 'backup_type': 'full'})
    try:
        backup_name(template, sample, datetime.datetime.now())
    except (KeyError, IndexError, ValueError) as exc:
        raise exception.ConfigurationError(
            f'[conductor] backup_name_template {template!r} is not valid: '
            f'{exc!r}; the fields are volume_name, volume_id, server_name, '
            f'server_id, project_id, backup_type and timestamp')


def backup_name(template: str, task, now: datetime.datetime) -> str:
    fields = {
        'volume_name': task.volume_name or task.volume_id,
        'volume_id': task.volume_id,
        'server_name': task.server_name or '',
        'server_id': task.server_id or '',
        'project_id': task.project_id,
        'backup_type': task.backup_type,
        'timestamp': now.strftime('%Y%m%dT%H%M%SZ'),
    }
    return template.format(**fields)[:255]


class BackupEngine:

    def __init__(self, conf, cloud, clock, notifier=None):
        self.conf = conf
        self.group = conf.conductor
        self.cloud = cloud
        self.clock = clock
        self.notifier = notifier or notifications.Notifier.disabled()
        self.host = conf.host
        check_name_template(self.group.backup_name_template)

    # ------------------------------------------------------------ helpers

    def _claim(self, context, task, status: str) -> bool:
        now = self.clock.now()
        return db_api.claim_task(context, task.id, status, self.host, now,
                                 now + self.group.claim_timeout)

    def _metadata(self, task) -> dict:
        return {self.group.automated_metadata_key: 'True',
                self.group.task_metadata_key: task.uuid}

    # ------------------------------------------------------------ start

    def start_queued(self, context) -> int:
        """Send the create call of queued tasks, within caps and quotas."""
        queued = db_api.list_tasks(context, status=states.QUEUED)
        if not queued:
            return 0
        slots = admission.Slots(db_api.count_in_flight(context),
                                self.group.max_in_flight,
                                self.group.max_in_flight_per_project)
        quotas = admission.QuotaBook(self.cloud)
        started = 0
        for task in admission.fair_order(queued):
            if slots.full():
                break
            if not slots.free(task.project_id):
                continue
            if not self._claim(context, task, states.QUEUED):
                continue  # another conductor has it
            try:
                refusal = quotas.refusal(task.project_id, task.size_gb or 0)
            except exception.CloudError as exc:
                LOG.warning('Cannot read the quota of project %s, task %s '
                            'waits: %s', task.project_id, task.uuid, exc)
                db_api.release_task(context, task.id, self.host)
                continue
            if refusal:
                self._fail(context, task, states.QUEUED, refusal)
                continue
            slots.take(task.project_id)
            if self._start(context, task):
                quotas.charge(task.project_id, task.size_gb or 0)
                started += 1
            else:
                quotas.forget(task.project_id)
        return started

    def _start(self, context, task) -> bool:
        now = self.clock.now()
        if not db_api.transition(
                context, task.id, states.QUEUED, states.STARTING,
                owner=self.host, started_at=now,
                attempts=task.attempts + 1,
                claim_expires_at=now + self.group.claim_timeout,
                now=self.clock.now()):
            return False
        failpoints.hit('before_create')
        return self._create(context, db_api.get_task(context, task.id))

    def _create(self, context, task) -> bool:
        """Send the create call of a ``starting`` task and record it."""
        now = self.clock.now()
        name = backup_name(self.group.backup_name_template, task, now)
        try:
            backup = self.cloud.create_backup(
                task.project_id, task.volume_id, name,
                DESCRIPTIONS[task.backup_type],
                incremental=task.backup_type == schedule.INCREMENTAL,
                force=True, metadata=self._metadata(task))
        except exception.NoParentBackup:
            LOG.info('Cinder has no parent for an incremental backup of '
                     'volume %s; task %s makes a full backup instead',
                     task.volume_id, task.uuid)
            db_api.update_task(context, task.id, states.STARTING,
                               owner=self.host, backup_type=schedule.FULL,
                               parent_id=None, now=self.clock.now())
            return self._create(context, db_api.get_task(context, task.id))
        except exception.CloudError as exc:
            if exc.ambiguous:
                # The backup may exist: leave the task starting, and the
                # recovery step looks for it by its marker.
                LOG.warning('Creating the backup of task %s may have '
                            'failed, it will be checked: %s', task.uuid, exc)
                db_api.update_task(context, task.id, states.STARTING,
                                   owner=self.host, reason=str(exc),
                                   claimed_by=None, claim_expires_at=None,
                                   now=self.clock.now())
                return False
            self._fail(context, task, states.STARTING, str(exc))
            return False
        failpoints.hit('after_create')
        return self._record_created(context, task, backup.id, name)

    def _record_created(self, context, task, backup_id: str,
                        name: str | None) -> bool:
        if not db_api.transition(
                context, task.id, states.STARTING, states.CREATING,
                backup_id=backup_id, backup_name=name, reason=None,
                claimed_by=None, claim_expires_at=None, now=self.clock.now()):
            LOG.error('Task %s changed while its backup %s was created',
                      task.uuid, backup_id)
            return False
        failpoints.hit('after_record')
        LOG.info('Started %s backup %s of volume %s (project %s, task %s)',
                 task.backup_type, backup_id, task.volume_id,
                 task.project_id, task.uuid)
        self.notifier.backup_create_start(db_api.get_task(context, task.id))
        return True

    def _fail(self, context, task, expected: str, reason: str) -> None:
        if db_api.transition(context, task.id, expected, states.FAILED,
                             reason=reason, finished_at=self.clock.now(),
                             claimed_by=None, claim_expires_at=None,
                             now=self.clock.now()):
            LOG.warning('Backup task %s of volume %s (project %s) failed: '
                        '%s', task.uuid, task.volume_id, task.project_id,
                        reason)
            self.notifier.backup_create_error(
                db_api.get_task(context, task.id))

    # ------------------------------------------------------------ poll

    def poll(self, context) -> dict:
        """Detect finished backups: one listing plus one read per finish."""
        creating = db_api.list_tasks(context, status=states.CREATING)
        counts = {'available': 0, 'failed': 0}
        if not creating:
            return counts
        still = {b.id for b in self.cloud.list_backups(
            status=records.BackupState.CREATING)}
        now = self.clock.now()
        servers_done = {}
        for task in creating:
            if task.backup_id in still:
                if now - task.started_at > self.group.backup_timeout:
                    self._to_cleanup(context, task, states.CREATING, (
                        f'timed out: still creating after '
                        f'{self.group.backup_timeout}'))
                    counts['failed'] += 1
                continue
            try:
                backup = self.cloud.get_backup(task.backup_id)
            except exception.NotFound:
                self._to_cleanup(context, task, states.CREATING,
                                 'the backup vanished from Cinder')
                counts['failed'] += 1
                continue
            if backup.state is records.BackupState.AVAILABLE:
                failpoints.hit('before_finish')
                if db_api.transition(
                        context, task.id, states.CREATING, states.AVAILABLE,
                        finished_at=now, size_gb=backup.size,
                        backup_type=(schedule.INCREMENTAL
                                     if backup.is_incremental
                                     else schedule.FULL),
                        now=self.clock.now()):
                    counts['available'] += 1
                    LOG.info('Backup %s of volume %s is available (task %s)',
                             task.backup_id, task.volume_id, task.uuid)
                    if task.server_id:
                        servers_done[task.server_id] = now
                    self.notifier.backup_create_end(
                        db_api.get_task(context, task.id))
            elif backup.state is records.BackupState.ERROR:
                self._to_cleanup(context, task, states.CREATING,
                                 f'Cinder: {backup.fail_reason or "error"}')
                counts['failed'] += 1
            elif backup.state is not records.BackupState.CREATING:
                self._to_cleanup(context, task, states.CREATING,
                                 f'backup went to status {backup.status}')
                counts['failed'] += 1
        self._mark_servers(servers_done)
        return counts

    def _to_cleanup(self, context, task, expected: str, reason: str) -> None:
        if db_api.transition(context, task.id, expected, states.CLEANUP,
                             reason=reason, finished_at=self.clock.now(),
                             now=self.clock.now()):
            LOG.warning('Backup %s of volume %s (task %s) failed: %s',
                        task.backup_id, task.volume_id, task.uuid, reason)
            self.notifier.backup_create_error(
                db_api.get_task(context, task.id))

    def _mark_servers(self, servers: dict) -> None:
        key = self.group.last_backup_time_key
        if not key:
            return
        for server_id, when in servers.items():
            value = when.strftime('%Y-%m-%dT%H:%M:%SZ')
            try:
                self.cloud.set_server_metadata(server_id, key, value)
            except exception.CloudError as exc:
                LOG.warning('Cannot set %s on server %s: %s', key,
                            server_id, exc)

    # ------------------------------------------------------------ cleanup

    def cleanup(self, context) -> int:
        """Delete the Cinder backups of failed tasks, once Cinder allows."""
        done = 0
        now = self.clock.now()
        for task in db_api.list_tasks(context, status=states.CLEANUP):
            if task.retry_after and task.retry_after > now:
                continue
            if task.backup_id:
                try:
                    self.cloud.delete_backup(task.project_id, task.backup_id)
                except exception.NotFound:
                    pass
                except exception.CloudError as exc:
                    LOG.info('Cannot delete failed backup %s yet (task %s): '
                             '%s', task.backup_id, task.uuid, exc)
                    db_api.update_task(
                        context, task.id, states.CLEANUP,
                        retry_after=now + datetime.timedelta(
                            seconds=self.group.poll_interval),
                        now=self.clock.now())
                    continue
            if db_api.transition(context, task.id, states.CLEANUP,
                                 states.FAILED, now=self.clock.now()):
                done += 1
        return done

    # ------------------------------------------------------------ recover

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
            if not self._claim(context, task, states.STARTING):
                continue
            try:
                backups = self.cloud.list_backups(volume_id=task.volume_id)
            except exception.CloudError as exc:
                LOG.warning('Cannot look for the backup of task %s: %s',
                            task.uuid, exc)
                db_api.release_task(context, task.id, self.host)
                continue
            marker = self.group.task_metadata_key
            found = [b for b in backups if b.metadata.get(marker) == task.uuid]
            if found:
                LOG.info('Adopting backup %s created for task %s before an '
                         'interruption', found[0].id, task.uuid)
                self._record_created(context, task, found[0].id,
                                     found[0].name)
            elif task.attempts >= MAX_ATTEMPTS:
                self._fail(context, task, states.STARTING, (
                    f'no backup after {task.attempts} attempts: '
                    f'{task.reason or "interrupted"}'))
            else:
                LOG.info('Task %s has no backup in Cinder; queueing it '
                         'again', task.uuid)
                db_api.transition(context, task.id, states.STARTING,
                                  states.QUEUED, claimed_by=None,
                                  claim_expires_at=None, now=self.clock.now())
            resolved += 1
        return resolved
