"""Restore drills: restore a volume's latest good backup, check it, delete it.

A backup nobody restored is a hope. A drill picks the volume drilled the
longest ago (never drilled first), restores its latest good Staffeln backup
to a new volume of the same project (Cinder's create-volume-from-backup),
waits until that volume is available, checks its status and size, records
the verdict and the time to restore (RTO), and deletes the restored volume.

Crash safety follows the backups': the drill's row is written before
Cinder is asked (``requested``), and the restored volume's name carries the
drill's uuid, so a conductor that restarts finds the volume of an
interrupted drill by name and carries on. A drill is done only once Cinder
no longer has its restored volume, whatever happened before.

Drills never hold back backups: one starts only when no backup is waiting
to start and the backups in flight leave room under ``[conductor]
max_in_flight``, and at most ``[drills] max_in_flight`` restore at once.
"""

import datetime

from oslo_log import log as logging

from staffeln.common import exception
from staffeln.common import failpoints
from staffeln.common import text
from staffeln.db import api as db_api
from staffeln.db import api_drills

LOG = logging.getLogger(__name__)

#: Cinder statuses in which a volume is deleted without force.
DELETABLE = ('available', 'error', 'error_restoring', 'error_extending',
             'error_managing')


class Drills:
    """Starts and advances restore drills; one :meth:`run` is one pass."""

    def __init__(self, conf, cloud, clock, notifier=None):
        self.conf = conf
        self.cloud = cloud
        self.clock = clock
        self.notifier = notifier

    @property
    def group(self):
        return self.conf.drills

    def volume_name(self, drill) -> str:
        return f'{self.group.name_prefix}{drill.uuid}'

    def run(self, context, start: bool = True) -> list:
        """Advance every open drill, then start the drills that are due.

        Returns the drills started in this pass.
        """
        for drill in api_drills.open_drills(context):
            try:
                self.advance(context, drill)
            except exception.CloudError as exc:
                LOG.warning('Drill %s of volume %s waits: %s', drill.uuid,
                            drill.volume_id, exc)
        if not (start and self.group.enabled):
            return []
        return self.start_due(context)

    def advance(self, context, drill) -> None:
        if drill.status == api_drills.REQUESTED:
            self._find(context, drill)
        elif drill.status == api_drills.RESTORING:
            self._check(context, drill)
        elif drill.status == api_drills.DELETING:
            self._delete(context, drill)

    # ------------------------------------------------------------- start

    def _room(self, context) -> int:
        """How many drills may start now without holding back a backup."""
        if db_api.list_startable(context, self.clock.now()):
            return 0
        backups = sum(db_api.count_in_flight(context).values())
        if backups >= self.conf.conductor.max_in_flight:
            return 0
        return self.group.max_in_flight - api_drills.count_in_flight(context)

    def start_due(self, context) -> list:
        room = self._room(context)
        if room <= 0:
            return []
        now = self.clock.now()
        started = []
        for volume_id in api_drills.due_volumes(context, now,
                                                self.group.period, room):
            task = db_api.newest_good_task(context, volume_id)
            if task is None:
                continue
            drill = api_drills.create_drill(context, {
                'project_id': task.project_id, 'volume_id': volume_id,
                'volume_name': text.clip(task.volume_name),
                'backup_id': task.backup_id, 'size_gb': task.size_gb or 0,
                'sent_at': now}, now)
            LOG.info('Drill %s restores backup %s of volume %s (project %s)',
                     drill.uuid, drill.backup_id, volume_id,
                     drill.project_id)
            failpoints.hit('drill_before_restore')
            self._restore(context, drill)
            started.append(drill)
        return started

    def _restore(self, context, drill) -> None:
        """Ask Cinder for the restored volume; never asked twice."""
        try:
            volume = self.cloud.create_volume_from_backup(
                drill.project_id, drill.backup_id,
                name=self.volume_name(drill),
                metadata={'staffeln_drill': drill.uuid})
        except exception.ProjectUnavailable as exc:
            self._end(context, drill, api_drills.REQUESTED,
                      api_drills.ABORTED, str(exc))
            return
        except exception.CloudError as exc:
            if exc.ambiguous:
                # Cinder may have made it: looked for by name later.
                LOG.warning('Drill %s: no clear answer from Cinder, the '
                            'volume is looked for later: %s', drill.uuid, exc)
                return
            self._end(context, drill, api_drills.REQUESTED,
                      api_drills.FAILED, f'Cinder refused the restore: {exc}')
            return
        failpoints.hit('drill_after_restore')
        self._restoring(context, drill, volume['id'])

    def _restoring(self, context, drill, volume_id: str) -> None:
        api_drills.update_drill(context, drill.id, api_drills.REQUESTED,
                                self.clock.now(), status=api_drills.RESTORING,
                                restored_volume_id=volume_id)

    def _find(self, context, drill) -> None:
        """The volume of a drill whose restore call had no clear answer."""
        found = self.cloud.list_volumes_named(self.volume_name(drill))
        if found:
            keep, *extra = sorted(found, key=lambda v: v.id)
            for volume in extra:
                LOG.warning('Drill %s: deleting a second restored volume %s',
                            drill.uuid, volume.id)
                self.cloud.delete_volume(drill.project_id, volume.id)
            LOG.info('Drill %s found its restored volume %s', drill.uuid,
                     keep.id)
            self._restoring(context, drill, keep.id)
            return
        settle = self.conf.conductor.create_settle_time
        if self.clock.now() - drill.sent_at < settle:
            return
        self._end(context, drill, api_drills.REQUESTED, api_drills.ABORTED,
                  'the restore never reached Cinder (the conductor stopped '
                  'or lost its answer)')

    # ------------------------------------------------------------- check

    def _check(self, context, drill) -> None:
        volume = self.cloud.get_volume(drill.restored_volume_id, retry=False)
        now = self.clock.now()
        if volume is None:
            self._end(context, drill, api_drills.RESTORING,
                      api_drills.FAILED, 'the restored volume disappeared')
            return
        if volume.status == 'available':
            outcome, reason = api_drills.PASSED, None
            if volume.size != drill.size_gb:
                outcome = api_drills.FAILED
                reason = (f'the restored volume has {volume.size} GB, the '
                          f'backup {drill.size_gb} GB')
            rto = (now - drill.sent_at).total_seconds()
        elif (volume.status or '').startswith('error'):
            outcome, rto = api_drills.FAILED, None
            reason = f'the restored volume is {volume.status}'
        elif now - drill.sent_at >= self.group.timeout:
            outcome, rto = api_drills.FAILED, None
            reason = (f'the restored volume was still {volume.status} after '
                      f'{_duration(self.group.timeout)}')
        else:
            return
        if not api_drills.update_drill(
                context, drill.id, api_drills.RESTORING, now,
                status=api_drills.DELETING, outcome=outcome, reason=reason,
                rto_s=rto, checked_at=now):
            return
        log = LOG.info if outcome == api_drills.PASSED else LOG.error
        log('Drill %s of volume %s %s%s', drill.uuid, drill.volume_id,
            outcome, f' in {rto:.0f} s' if rto is not None else
            f': {reason}')
        failpoints.hit('drill_after_check')
        self._delete(context, api_drills.get_drill(context, drill.id))

    # ------------------------------------------------------------ delete

    def _delete(self, context, drill) -> None:
        """Delete the restored volume; the drill is done once it is gone."""
        volume = self.cloud.get_volume(drill.restored_volume_id, retry=False)
        if volume is None:
            if api_drills.update_drill(
                    context, drill.id, api_drills.DELETING, self.clock.now(),
                    status=api_drills.DONE, finished_at=self.clock.now()):
                self._notify(api_drills.get_drill(context, drill.id))
            return
        if volume.status in DELETABLE:
            failpoints.hit('drill_before_delete')
            self.cloud.delete_volume(drill.project_id, volume.id)
            failpoints.hit('drill_after_delete')
        elif volume.status != 'deleting':
            LOG.warning('Drill %s: restored volume %s is %s and cannot be '
                        'deleted yet', drill.uuid, volume.id, volume.status)

    def _end(self, context, drill, expected: str, outcome: str,
             reason: str) -> None:
        """A drill that left no volume behind: done with its verdict."""
        now = self.clock.now()
        if api_drills.update_drill(context, drill.id, expected, now,
                                   status=api_drills.DONE, outcome=outcome,
                                   reason=reason[:2000], checked_at=now,
                                   finished_at=now):
            LOG.error('Drill %s of volume %s %s: %s', drill.uuid,
                      drill.volume_id, outcome, reason)
            self._notify(api_drills.get_drill(context, drill.id))

    def _notify(self, drill) -> None:
        if self.notifier is not None:
            self.notifier.drill_end(drill)

    def wait(self, context) -> None:
        """Pass until no drill is open (run-once), within a drill's time.

        No restored volume outlives the run.
        """
        interval = self.conf.conductor.run_once_poll_interval.total_seconds()
        deadline = self.clock.now() + self.group.timeout + \
            self.conf.conductor.create_settle_time
        while api_drills.open_drills(context) and \
                self.clock.now() < deadline:
            self.clock.sleep(interval)
            self.run(context, start=False)


def _duration(value: datetime.timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 3600 == 0:
        return f'{seconds // 3600} h'
    return f'{seconds // 60} min'
