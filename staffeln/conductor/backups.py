"""The backup engine: start queued tasks, poll them, clean up.

Intent is written before every side effect: a task is ``starting`` (with
its uuid, which also goes into the backup's metadata) before the create call
is sent, and ``cleanup`` before a delete. A create whose outcome is unknown
leaves the task ``starting``; :mod:`.recovery` finds its backup by that
marker, or lets it be created again once Cinder can no longer be making it.

One backup's trouble never holds up another's: a call made for one backup
is not retried in place; a backup that cannot start now (quota used up, no
token for its project, its volume busy) goes back to the queue with a
reason and a ``retry_after``, and the pass moves on.
"""

import datetime
import functools
import threading

from oslo_log import log as logging

from staffeln.actions import catalog as policy_catalog
from staffeln.cloud import records
from staffeln.common import exception
from staffeln.common import failpoints
from staffeln.common import notifications
from staffeln.conductor import admission
from staffeln.conductor import cleanup
from staffeln.db import api as db_api
from staffeln.db import api_claims
from staffeln.db import api_quotas
from staffeln.db import api_strays
from staffeln.db import states
from staffeln.rules import schedule

LOG = logging.getLogger(__name__)

State = records.BackupState
#: What starting a task came to (else why the caps refused it).
STARTED = 'started'
NOT_CREATED = 'not created'
#: How far apart Staffeln's and Cinder's clocks may be: the poll lists the
#: backups created since the oldest start less this.
CLOCK_SKEW = datetime.timedelta(minutes=15)
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


class BackupEngine(cleanup.Cleanup):

    def __init__(self, conf, cloud, clock, notifier=None):
        self.conf = conf
        self.group = conf.conductor
        self.cloud = cloud
        self.clock = clock
        self.notifier = notifier or notifications.Notifier.disabled()
        self.host = conf.host
        self.caps = api_claims.Caps(self.group.max_in_flight,
                                    self.group.max_in_flight_per_project)
        #: Set when the conductor stops: passes end at the next task.
        self.stopping = threading.Event()
        #: Each project's quota, read once per discovery interval.
        self.quota_cache: dict[str, tuple] = {}
        check_name_template(self.group.backup_name_template)

    # ------------------------------------------------------------ helpers

    def claim(self, context, task, status: str) -> bool:
        now = self.clock.now()
        return db_api.claim_task(context, task.id, status, self.host, now,
                                 now + self.group.claim_timeout)

    def _metadata(self, task) -> dict:
        return {self.group.automated_metadata_key: 'True',
                self.group.task_metadata_key: task.uuid}

    def _backoff(self, task) -> datetime.timedelta:
        """How long a task waits after a refusal that may soon clear."""
        steps = max(task.attempts, 1)
        return min(self.group.poll_interval * 2 ** min(steps, 10),
                   self.group.retry_interval)

    # ------------------------------------------------------------ start

    def start_queued(self, context) -> int:
        """Send the create call of queued tasks, within caps and quotas.

        Tasks are claimed in batches as large as the free slots; the caps
        are checked again, in the database, as each one starts.
        """
        queued = admission.fair_order(
            db_api.list_startable(context, self.clock.now()))
        if not queued:
            return 0
        slots = admission.Slots(db_api.count_in_flight(context),
                                self.group.max_in_flight,
                                self.group.max_in_flight_per_project)
        quotas = admission.QuotaBook(
            _RecordingQuotas(self.cloud,
                             functools.partial(self._record_quota, context)),
            self.quota_cache, self.clock.now(),
            self.group.discovery_interval)
        catalog = policy_catalog.load(context, self.conf, include_deleted=True)
        started = 0
        while queued and not slots.full() and not self.stopping.is_set():
            batch, queued = slots.pick(queued)
            if not batch:
                break
            started += self._start_batch(context, batch, slots, quotas,
                                         catalog)
        return started

    def _start_batch(self, context, batch: list, slots, quotas,
                     catalog) -> int:
        now = self.clock.now()
        claimed = set(api_claims.claim_tasks(
            context, [t.id for t in batch], self.host, now,
            now + self.group.claim_timeout))
        started = 0
        for number, task in enumerate(batch):
            if task.id not in claimed:
                continue  # another conductor has it
            if self.stopping.is_set() or slots.full():
                self._release(context, batch[number:], claimed)
                break
            if not (self._now_allowed(context, task, catalog)
                    and self._admit(context, task, quotas)):
                continue
            outcome = self._start(context, task)
            if outcome == STARTED:
                slots.take(task.project_id)
                quotas.charge(task.project_id, task.size_gb or 0)
                started += 1
            elif outcome == NOT_CREATED:
                quotas.forget(task.project_id)
            else:
                db_api.release_task(context, task.id, self.host)
                slots.refused(task.project_id, outcome)
        return started

    def _release(self, context, tasks: list, claimed: set) -> None:
        for task in tasks:
            if task.id in claimed:
                db_api.release_task(context, task.id, self.host)

    def _record_quota(self, context, project_id: str, quota: dict) -> None:
        """Keep the quota just read for the metrics; never fail for it."""
        try:
            api_quotas.record_quota(context, project_id, quota,
                                    self.clock.now())
        except Exception as exc:
            LOG.warning('Cannot record the quota of project %s: %s',
                        project_id, exc)

    def _now_allowed(self, context, task, catalog) -> bool:
        """Whether the claimed task may start now.

        Its project and its server must not be paused, and its policy's
        window must be open unless the backup was asked for (on demand).
        """
        now = self.clock.now()
        paused = catalog.paused_reason(task.project_id, task.server_id)
        if paused:
            self.hold(context, task, states.QUEUED, paused,
                      self.group.poll_interval)
            return False
        policy = catalog.by_id.get(task.policy_id)
        if task.on_demand or policy is None or \
                policy.timetable.window_open(now):
            return True
        opens = policy.timetable.next_opening(now, task.volume_id,
                                              policy.name)
        self.hold(context, task, states.QUEUED,
                  f'waits for the window {policy.timetable.window} '
                  f'({policy.timetable.timezone}) of policy {policy.name}',
                  opens - now)
        return False

    def _admit(self, context, task, quotas: admission.QuotaBook) -> bool:
        """Whether the project's quota lets the claimed task start now."""
        try:
            refusal = quotas.refusal(task.project_id, task.size_gb or 0)
        except exception.ProjectUnavailable as exc:
            refusal = str(exc)
        except exception.CloudError as exc:
            LOG.warning('Cannot read the quota of project %s, task %s '
                        'waits: %s', task.project_id, task.uuid, exc)
            db_api.release_task(context, task.id, self.host)
            return False
        if refusal:
            self.hold(context, task, states.QUEUED, refusal,
                      self.group.retry_interval)
            return False
        return True

    def _start(self, context, task) -> str:
        """Start a claimed task within the caps.

        :data:`STARTED` once Cinder took the create call and it is
        recorded; :data:`NOT_CREATED` when the task started but has no
        backup (held, failed, or taken over); or why the caps did not let
        it start (:mod:`staffeln.db.api_claims`).
        """
        now = self.clock.now()
        refused = api_claims.start_task(
            context, task.id, self.host, now, self.caps, started_at=now,
            attempts=task.attempts + 1,
            claim_expires_at=now + self.group.claim_timeout)
        if refused == api_claims.LOST:
            return NOT_CREATED
        if refused:
            return refused
        failpoints.hit('before_create')
        task = db_api.get_task(context, task.id)
        if task.backup_type == schedule.INCREMENTAL:
            task = self._follow_cinder(context, task)
        return STARTED if self._create(context, task) else NOT_CREATED

    def _follow_cinder(self, context, task):
        """A full backup instead of an incremental Cinder would misplace.

        Cinder puts an incremental on the volume's newest available
        backup. When that is not the task's parent (another policy's
        backup of the volume came between), the chain would not be the
        one Staffeln records: the task makes a full backup instead.
        """
        newest = db_api.newest_good_task(context, task.volume_id)
        if newest is not None and newest.id == task.parent_id:
            return task
        LOG.info('Task %s makes a full backup of volume %s: its newest '
                 'backup (task %s) is not the parent of its chain',
                 task.uuid, task.volume_id, newest.uuid if newest else None)
        db_api.update_task(context, task.id, states.STARTING,
                           now=self.clock.now(), owner=self.host,
                           backup_type=schedule.FULL, parent_id=None)
        return db_api.get_task(context, task.id)

    def _create(self, context, task) -> bool:
        """Send the create call of a ``starting`` task and record it."""
        name = backup_name(self.group.backup_name_template, task,
                           self.clock.now())
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
                               now=self.clock.now(), owner=self.host,
                               backup_type=schedule.FULL, parent_id=None)
            return self._create(context, db_api.get_task(context, task.id))
        except exception.CloudError as exc:
            self._create_failed(context, task, exc)
            return False
        failpoints.hit('after_create')
        return self.record_created(context, task, backup.id, name)

    def _create_failed(self, context, task,
                       exc: exception.CloudError) -> None:
        """What a create call that did not make a backup leaves."""
        if isinstance(exc, (exception.QuotaExceeded,
                            exception.ProjectUnavailable)):
            self.hold(context, task, states.STARTING, str(exc),
                      self.group.retry_interval)
        elif isinstance(exc, exception.VolumeBusy) or not exc.delivered:
            self.hold(context, task, states.STARTING, str(exc),
                      self._backoff(task))
        elif exc.ambiguous:
            # The backup may exist: the task stays starting, and recovery
            # looks for it by its marker.
            LOG.warning('Creating the backup of task %s may have failed, '
                        'it will be checked: %s', task.uuid, exc)
            db_api.update_task(context, task.id, states.STARTING,
                               now=self.clock.now(), owner=self.host,
                               reason=str(exc)[:2000], claimed_by=None,
                               claim_expires_at=None)
        else:
            self.fail(context, task, states.STARTING, str(exc))

    def record_created(self, context, task, backup_id: str,
                       name: str | None) -> bool:
        """Record the task's backup; a conductor that lost the task can't.

        A conductor that froze past its claim and then got an answer finds
        the task taken by another: its backup is recorded as a stray, for
        the task to adopt (if it has no backup yet) or to be deleted.
        """
        now = self.clock.now()
        if not db_api.transition(
                context, task.id, states.STARTING, states.CREATING, now=now,
                owner=self.host, backup_id=backup_id, backup_name=name,
                reason=None, claimed_by=None, claim_expires_at=None):
            LOG.warning('Task %s was taken over while its backup %s was '
                        'created; the backup is recorded as a stray',
                        task.uuid, backup_id)
            api_strays.add_stray(
                context, backup_id, task.uuid, task.project_id,
                task.volume_id, f'created by {self.host} after it lost the '
                f'task', now)
            return False
        failpoints.hit('after_record')
        LOG.info('Started %s backup %s of volume %s (project %s, task %s)',
                 task.backup_type, backup_id, task.volume_id,
                 task.project_id, task.uuid)
        self.notifier.backup_create_start(db_api.get_task(context, task.id))
        return True

    def hold(self, context, task, expected: str, reason: str,
             wait: datetime.timedelta) -> None:
        """Put a claimed task back in the queue until ``wait`` has passed.

        It is logged when the reason changes, not at every try, and it
        does not count as an attempt.
        """
        now = self.clock.now()
        values = dict(now=now, owner=self.host, reason=reason[:2000],
                      retry_after=now + wait, claimed_by=None,
                      claim_expires_at=None)
        if expected == states.STARTING:
            done = db_api.transition(context, task.id, states.STARTING,
                                     states.QUEUED,
                                     attempts=max(task.attempts - 1, 0),
                                     **values)
        else:
            done = db_api.update_task(context, task.id, expected, **values)
        if done and reason != task.reason:
            LOG.warning('Backup of volume %s (project %s, task %s) waits '
                        'until %s: %s', task.volume_id, task.project_id,
                        task.uuid, values['retry_after'].isoformat(), reason)

    def fail(self, context, task, expected: str, reason: str) -> None:
        if db_api.transition(context, task.id, expected, states.FAILED,
                             now=self.clock.now(), owner=self.host,
                             reason=reason[:2000],
                             finished_at=self.clock.now(), claimed_by=None,
                             claim_expires_at=None):
            LOG.warning('Backup task %s of volume %s (project %s) failed: '
                        '%s', task.uuid, task.volume_id, task.project_id,
                        reason)
            self.notifier.backup_create_error(
                db_api.get_task(context, task.id))

    # ------------------------------------------------------------ poll

    def poll(self, context) -> dict:
        """Detect finished backups: one listing of the recent backups.

        Cinder lists newest first, and the listing stops at the backups
        older than the oldest one being made (less :data:`CLOCK_SKEW`),
        so finding the finished backups costs a page per ``page_size``
        backups started since, not one read per backup. A backup missing
        from the listing is read on its own; one that cannot be read now
        is looked at again by the next poll and holds up no other.
        """
        creating = db_api.list_tasks(context, status=states.CREATING)
        counts = {'available': 0, 'failed': 0}
        if not creating:
            return counts
        since = min(t.started_at for t in creating) - CLOCK_SKEW
        listed = {b.id: b for b in self.cloud.list_backups_since(since)}
        servers_done = set()
        for task in creating:
            outcome = self._poll_one(context, task, listed.get(task.backup_id))
            if outcome:
                counts[outcome] += 1
            if outcome and task.server_id:
                servers_done.add(task.server_id)
        self._mark_servers(context, servers_done)
        return counts

    def _poll_one(self, context, task, backup) -> str | None:
        now = self.clock.now()
        if backup is None:
            try:
                backup = self.cloud.get_backup(task.backup_id, retry=False)
            except exception.NotFound:
                return self._to_cleanup(context, task,
                                        'the backup vanished from Cinder')
            except exception.CloudError as exc:
                LOG.info('Cannot read backup %s now (task %s): %s',
                         task.backup_id, task.uuid, exc)
                return None
        if backup.state is State.CREATING:
            if now - task.started_at > self.group.backup_timeout:
                return self._to_cleanup(context, task, (
                    f'timed out: still creating after '
                    f'{self.group.backup_timeout}'))
            return None
        if backup.state is not State.AVAILABLE:
            reason = (f'Cinder: {backup.fail_reason or "error"}'
                      if backup.state is State.ERROR
                      else f'backup went to status {backup.status}')
            return self._to_cleanup(context, task, reason)
        failpoints.hit('before_finish')
        if not db_api.transition(
                context, task.id, states.CREATING, states.AVAILABLE,
                now=now, finished_at=now, size_gb=backup.size,
                backup_type=(schedule.INCREMENTAL if backup.is_incremental
                             else schedule.FULL)):
            return None
        LOG.info('Backup %s of volume %s is available (task %s)',
                 task.backup_id, task.volume_id, task.uuid)
        self.notifier.backup_create_end(db_api.get_task(context, task.id))
        return 'available'

    def _to_cleanup(self, context, task, reason: str) -> str | None:
        if not db_api.transition(context, task.id, states.CREATING,
                                 states.CLEANUP, now=self.clock.now(),
                                 reason=reason, finished_at=self.clock.now()):
            return None
        LOG.warning('Backup %s of volume %s (task %s) failed: %s',
                    task.backup_id, task.volume_id, task.uuid, reason)
        self.notifier.backup_create_error(db_api.get_task(context, task.id))
        return 'failed'

    def _mark_servers(self, context, servers: set) -> None:
        """Write the time of the last good backup on servers that are done.

        A server is written once all its volumes' backups ended, not while
        another of them is still queued or being made.
        """
        key = self.group.last_backup_time_key
        if not key or not servers:
            return
        for server_id, when in db_api.servers_done(context,
                                                   servers).items():
            value = when.strftime('%Y-%m-%dT%H:%M:%SZ')
            try:
                self.cloud.set_server_metadata(server_id, key, value,
                                               retry=False)
            except exception.CloudError as exc:
                LOG.warning('Cannot set %s on server %s: %s', key,
                            server_id, exc)


class _RecordingQuotas:
    """The cloud as the quota book reads it, recording each quota read.

    The metrics show the last quota read from the database.
    """

    def __init__(self, cloud, record):
        self._cloud = cloud
        self._record = record

    def get_backup_quota(self, project_id: str, **kwargs) -> dict:
        quota = self._cloud.get_backup_quota(project_id, **kwargs)
        self._record(project_id, quota)
        return quota
