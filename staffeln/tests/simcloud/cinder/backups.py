"""Cinder's backup rules: ownership, incrementals, quota and the lifecycle.

A backup belongs to the project of the token that creates it and is charged
to that project's quota; an incremental's parent is the latest ``available``
backup of the same volume in that project. The backup service's work takes
``cloud.backup_duration`` seconds of clock time.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
import datetime
import json
import math
from typing import Any

from staffeln.tests.simcloud.cinder import listing
from staffeln.tests.simcloud.cinder import volumes as volumes_mod
from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import faults
from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import state

BACKUP_USER_FILTERS = ('name', 'status', 'volume_id')
BACKUP_METADATA = (3, 43)
BACKUP_AZ = (3, 51)
BACKUP_SORT_NAME = (3, 37)
#: POST /volumes reads ``backup_id`` from this microversion on.
VOLUME_FROM_BACKUP = (3, 47)
AVAILABILITY_ZONES = ('nova',)
BACKUP_SERVICE = 'cinder.backup.drivers.posix.PosixBackupDriver'
CHUNK_BYTES = 1999994880  # posix driver backup_file_size
_GIB = 1024 ** 3
_ADMIN_FILTERS = ('project_id', 'user_id', 'parent_id', 'snapshot_id',
                  'availability_zone', 'container')


def backup_not_found(backup_id: str) -> errors.NotFound:
    return errors.NotFound(f'Backup {backup_id} could not be found.')


def _invalid_backup(reason: str) -> errors.BadRequest:
    return errors.BadRequest(f'Invalid backup: {reason}')


def _invalid_volume(reason: str) -> errors.BadRequest:
    return errors.BadRequest(f'Invalid volume: {reason}')


def _policy(action: str) -> errors.Forbidden:
    return errors.Forbidden(
        f"Policy doesn't allow {action} to be performed.")


def _filter(filters: Mapping[str, str]):
    checks = []
    for key, value in filters.items():
        if key in ('project_id', 'volume_id'):
            continue  # served by the indexes
        attr = {'display_name': 'name'}.get(key, key)
        if attr in ('name', 'status') + _ADMIN_FILTERS:
            checks.append(lambda b, a=attr, v=value: getattr(b, a) == v)
    if not checks:
        return None
    return lambda b: all(check(b) for check in checks)


class BackupService:
    def __init__(self, cloud: state.Cloud,
                 volumes: volumes_mod.VolumeService) -> None:
        self.cloud = cloud
        self.volumes = volumes

    def get(self, ctx: ctx_mod.RequestContext,
            backup_id: str) -> models.Backup:
        backup = self.cloud.backups.get(backup_id)
        if backup is None or not ctx.owns(backup.project_id):
            raise backup_not_found(backup_id)
        return backup

    def list(self, ctx: ctx_mod.RequestContext, params: Mapping[str, str],
             version: ctx_mod.Version = (3, 0)) -> list[models.Backup]:
        aliases = {'name': 'display_name'} if version >= BACKUP_SORT_NAME \
            else {}
        query = listing.parse(params, ctx, BACKUP_USER_FILTERS, aliases)
        if 'name' in query.filters:
            query.filters['display_name'] = query.filters.pop('name')
        return listing.page(self.cloud.backups, query, ctx,
                            backup_not_found, where=_filter(query.filters),
                            indexed=('project_id', 'volume_id'))

    # -- create --------------------------------------------------------------
    def create(self, ctx: ctx_mod.RequestContext, body: Any,
               version: ctx_mod.Version) -> models.Backup:
        spec = _create_spec(body, version)
        project_id = ctx.project_id or ''
        volume = self.volumes.get(ctx, spec['volume_id'])
        snapshot = None
        if spec.get('snapshot_id'):
            snapshot = self.volumes.get_snapshot(ctx, spec['snapshot_id'])
            if snapshot.volume_id != volume.id:
                raise _invalid_volume(
                    f'Volume {volume.id} does not match with '
                    f'snapshot.volume_id {snapshot.volume_id}.')
            if snapshot.status != 'available':
                raise errors.BadRequest(
                    'Invalid snapshot: Snapshot to be backed up must be '
                    'available, but the current status is '
                    f'"{snapshot.status}".')
        elif volume.status not in ('available', 'in-use'):
            raise _invalid_volume(
                'Volume to be backed up must be available or in-use, but '
                f'the current status is "{volume.status}".')
        elif volume.status == 'in-use' and not spec['force']:
            raise _invalid_volume(
                'Backing up an in-use volume must use the force flag.')

        self.cloud.quotas.reserve_backup(project_id, volume.size)
        parent = None
        if spec['incremental']:
            parent = self._parent(volume.id, project_id, snapshot)
            if parent is None:
                self.cloud.quotas.use(project_id, backups=-1,
                                      backup_gigabytes=-volume.size)
                raise _invalid_backup(
                    'No backups available to do an incremental backup.')

        now = self.cloud.now()
        backup = models.Backup(
            id=self.cloud.ids.uuid(), project_id=project_id,
            user_id=ctx.user_id, volume_id=volume.id, size=volume.size,
            created_at=now, updated_at=now,
            data_timestamp=snapshot.created_at if snapshot else now,
            name=spec.get('name'), description=spec.get('description'),
            container=spec.get('container'),
            parent_id=parent.id if parent else None,
            snapshot_id=snapshot.id if snapshot else None,
            metadata=dict(spec.get('metadata') or {}),
            # The scheduler picks the backup service's zone at once.
            availability_zone=spec.get('availability_zone') or 'nova')
        if parent is not None:
            parent.child_ids.add(backup.id)
        if snapshot is not None:
            snapshot.status = 'backing-up'
        else:
            volume.previous_status = volume.status
            volume.status = 'backing-up'
        outcome = self.cloud.backup_outcomes.take(volume.id)
        if outcome is not None:
            backup.outcome = outcome.kind
            backup.outcome_reason = outcome.reason
        self.cloud.backups.add(backup)
        self.cloud.sample_creating()
        if backup.outcome != 'stuck':
            self.cloud.schedule(self.cloud.backup_duration,
                                lambda due: self._created(backup, due))
        return backup

    def _parent(self, volume_id: str, project_id: str,
                snapshot: models.Snapshot | None) -> models.Backup | None:
        """The latest available backup of the volume in the project."""
        candidates = list(self.cloud.backups.newest_first(
            {'volume_id': volume_id, 'project_id': project_id}))
        if not candidates:
            return None
        floor = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)

        def stamp(b: models.Backup) -> datetime.datetime:
            good = b.status == 'available' and (
                snapshot is None or b.data_timestamp < snapshot.created_at)
            return b.data_timestamp if good else floor
        latest = max(candidates, key=stamp)
        return latest if latest.status == 'available' else None

    def _created(self, backup: models.Backup,
                 due: datetime.datetime) -> None:
        if self.cloud.backups.get(backup.id) is not backup or (
                backup.status != 'creating'):
            return
        failed = backup.outcome == 'error'
        self._release_source(backup, failed)
        backup.updated_at = due
        if failed:
            backup.status = 'error'
            backup.fail_reason = backup.outcome_reason
            return
        backup.status = 'available'
        backup.container = backup.container or (
            f'{backup.id[0:2]}/{backup.id[2:4]}/{backup.id}')
        # A full backup writes every chunk; an incremental of a volume the
        # simulator never changes writes none.
        backup.object_count = 0 if backup.parent_id else math.ceil(
            backup.size * _GIB / CHUNK_BYTES)
        parent = self.cloud.backups.get(backup.parent_id or '')
        if parent is not None:
            parent.num_dependent_backups += 1
        self.cloud.emit('backup', 'backup.create.end', backup)

    def _release_source(self, backup: models.Backup, failed: bool) -> None:
        if backup.snapshot_id:
            snapshot = self.cloud.snapshots.get(backup.snapshot_id)
            if snapshot is not None and snapshot.status == 'backing-up':
                snapshot.status = 'available'
            return
        volume = self.cloud.volumes.get(backup.volume_id)
        if volume is not None and volume.status == 'backing-up':
            volume.status = volume.previous_status or 'available'
            volume.previous_status = ('error_backing-up' if failed
                                      else 'backing-up')

    # -- delete --------------------------------------------------------------
    def delete(self, ctx: ctx_mod.RequestContext, backup_id: str,
               force: bool = False) -> None:
        backup = self.get(ctx, backup_id)
        if force and not ctx.is_admin:
            raise _policy('volume_extension:backup_admin_actions:'
                          'force_delete')
        if not force and backup.status not in ('available', 'error'):
            raise _invalid_backup('Backup status must be available or error')
        if any(ctx.owns(self.cloud.backups.get(c).project_id)
               for c in backup.child_ids if c in self.cloud.backups):
            raise _invalid_backup('Incremental backups exist for this '
                                  'backup.')
        backup.status = 'deleting'
        backup.updated_at = self.cloud.now()
        outcome = self.cloud.delete_outcomes.take(backup.volume_id)
        self.cloud.schedule(self.cloud.backup_delete_duration,
                            lambda due: self._deleted(backup, due, outcome))

    def _deleted(self, backup: models.Backup, due: datetime.datetime,
                 outcome: faults.Outcome | None) -> None:
        if self.cloud.backups.get(backup.id) is not backup or (
                backup.status != 'deleting'):
            return
        if outcome is not None:
            backup.status = 'error_deleting'
            backup.updated_at = due
            return
        self.cloud.backups.remove(backup)
        self.cloud.quotas.use(backup.project_id, backups=-1,
                              backup_gigabytes=-backup.size)
        if backup.parent_id:
            parent = self.cloud.backups.get(backup.parent_id)
            if parent is not None:
                parent.child_ids.discard(backup.id)
                if parent.num_dependent_backups > 0:
                    parent.num_dependent_backups -= 1
        backup.status = 'deleted'
        backup.deleted_at = backup.updated_at = due
        self.cloud.deleted_backups[backup.id] = backup
        self.cloud.emit('backup', 'backup.delete.end', backup)

    # -- actions -------------------------------------------------------------
    def restore(self, ctx: ctx_mod.RequestContext, backup_id: str,
                body: Any) -> dict[str, Any]:
        spec = body.get('restore') if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            raise errors.BadRequest(
                "Invalid input for field/attribute restore. Value: None. "
                "None is not of type 'object'")
        backup = self.get(ctx, backup_id)
        if backup.status != 'available':
            raise _invalid_backup('Backup status must be available')
        if spec.get('volume_id'):
            volume = self.volumes.get(ctx, spec['volume_id'])
        else:
            volume = self.cloud.add_volume(
                ctx.project_id or '', size=backup.size, user_id=ctx.user_id,
                name=spec.get('name') or f'restore_backup_{backup.id}',
                description='auto-created_from_restore_from_backup')
        if volume.status != 'available':
            raise _invalid_volume('Volume to be restored to must be '
                                  'available')
        if backup.size > volume.size:
            raise _invalid_volume(
                f'volume size {volume.size} is too small to restore backup '
                f'of size {backup.size}.')
        backup.status = 'restoring'
        backup.restore_volume_id = volume.id
        volume.status = 'restoring-backup'

        def restored(due: datetime.datetime) -> None:
            if backup.status == 'restoring':
                backup.status = 'available'
                backup.restore_volume_id = None
                backup.updated_at = due
            if volume.status == 'restoring-backup':
                volume.status = 'available'
                volume.updated_at = due
        self.cloud.schedule(self.cloud.restore_duration, restored)
        return {'backup_id': backup.id, 'volume_id': volume.id,
                'volume_name': volume.name}

    def create_volume(self, ctx: ctx_mod.RequestContext, body: Any,
                      version: ctx_mod.Version) -> models.Volume:
        """``POST /volumes``: an empty volume, or one from a backup (3.47).

        Below 3.47 ``backup_id`` is ignored, as Cinder ignores it. A
        volume from a backup is ``creating`` (its backup ``restoring``)
        until the backup service has written it.
        """
        spec = body.get('volume') if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            raise errors.BadRequest(
                "Invalid input for field/attribute volume. Value: None. "
                "None is not of type 'object'")
        backup = None
        if version >= VOLUME_FROM_BACKUP and spec.get('backup_id'):
            backup = self.get(ctx, spec['backup_id'])
            if backup.status != 'available':
                raise _invalid_backup("Originating backup status must be "
                                      "one of 'available' values")
        size = spec.get('size')
        if size is None and backup is not None:
            size = backup.size
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise errors.BadRequest(
                f"Invalid input received: Volume size '{size}' must be an "
                f"integer and greater than 0")
        if backup is not None and size < backup.size:
            raise errors.BadRequest(
                f'Invalid input received: Volume size {size}GB cannot be '
                f'smaller than the backup size {backup.size}GB. It must be '
                f'>= backup size.')
        zone = spec.get('availability_zone') or AVAILABILITY_ZONES[0]
        if zone not in AVAILABILITY_ZONES:
            raise errors.BadRequest(f"Availability zone '{zone}' is "
                                    f"invalid.")
        self.cloud.quotas.check_volume(ctx.project_id or '', size)
        volume = self.cloud.add_volume(
            ctx.project_id or '', size=size, user_id=ctx.user_id,
            name='', description=spec.get('description'),
            status='creating' if backup is not None else 'available',
            metadata=spec.get('metadata'))
        volume.availability_zone = zone
        volume.name = spec.get('name')
        if backup is None:
            return volume
        volume.backup_id = backup.id
        backup.status = 'restoring'
        backup.restore_volume_id = volume.id
        outcome = self.cloud.restore_outcomes.take(backup.id)

        def restored(due: datetime.datetime) -> None:
            if backup.status == 'restoring':
                backup.status = 'available'
                backup.restore_volume_id = None
                backup.updated_at = due
            if volume.status == 'creating':
                volume.status = 'error' if outcome else 'available'
                volume.updated_at = due
        self.cloud.schedule(self.cloud.restore_duration, restored)
        return volume

    def export_record(self, ctx: ctx_mod.RequestContext,
                      backup_id: str) -> dict[str, str]:
        backup = self.get(ctx, backup_id)
        if not ctx.is_admin:
            raise _policy('backup:export-import')
        if backup.status != 'available':
            raise _invalid_backup(
                f'Backup status must be available and not {backup.status}.')
        record = {
            'id': backup.id, 'size': backup.size, 'status': backup.status,
            'volume_id': backup.volume_id, 'user_id': backup.user_id,
            'project_id': backup.project_id, 'container': backup.container,
            'display_name': backup.name,
            'display_description': backup.description,
            'parent_id': backup.parent_id,
            'object_count': backup.object_count,
            'availability_zone': backup.availability_zone,
            'service': BACKUP_SERVICE, 'metadata': backup.metadata,
            'data_timestamp': backup.data_timestamp.isoformat(),
            'snapshot_id': backup.snapshot_id,
        }
        url = base64.b64encode(json.dumps(record).encode()).decode()
        return {'backup_service': BACKUP_SERVICE, 'backup_url': url}

    def import_record(self, ctx: ctx_mod.RequestContext,
                      body: Any) -> models.Backup:
        if not ctx.is_admin:
            raise _policy('backup:backup-import')
        spec = body.get('backup-record') if isinstance(body, dict) else None
        if not isinstance(spec, dict) or not spec.get('backup_url'):
            raise errors.BadRequest(
                "Invalid input for field/attribute backup-record. Value: "
                f"{spec!r}. 'backup_url' is a required property")
        try:
            record = json.loads(base64.b64decode(spec['backup_url']))
        except ValueError:
            raise errors.BadRequest(
                'Invalid input received: Can\'t parse backup record.'
            ) from None
        if 'id' not in record:
            raise errors.BadRequest('Invalid input received: Provided '
                                    'backup record is missing an id')
        if 'size' not in record:
            raise errors.BadRequest('Invalid input received: Provided backup '
                                    'record is missing size attribute')
        if record['id'] in self.cloud.backups:
            raise _invalid_backup('Backup already exists in database.')
        project_id = ctx.project_id or ''
        self.cloud.quotas.reserve_backup(project_id, int(record['size']))
        self.cloud.deleted_backups.pop(record['id'], None)
        now = self.cloud.now()
        backup = models.Backup(
            id=record['id'], project_id=project_id, user_id=ctx.user_id,
            volume_id=record.get('volume_id') or '', size=int(record['size']),
            created_at=now, updated_at=now, data_timestamp=now,
            name=record.get('display_name'),
            description=record.get('display_description'),
            container=record.get('container'),
            metadata=dict(record.get('metadata') or {}))
        self.cloud.backups.add(backup)
        self.cloud.schedule(self.cloud.backup_duration,
                            lambda due: self._created(backup, due))
        return backup

    def update(self, ctx: ctx_mod.RequestContext, backup_id: str, body: Any,
               version: ctx_mod.Version) -> models.Backup:
        spec = body.get('backup') if isinstance(body, dict) else None
        allowed = {'name', 'description'}
        if version >= BACKUP_METADATA:
            allowed.add('metadata')
        if not isinstance(spec, dict) or set(spec) - allowed:
            raise errors.BadRequest(
                'Invalid input for field/attribute backup. Value: '
                f'{spec!r}. Additional properties are not allowed')
        backup = self.get(ctx, backup_id)
        if 'name' in spec:
            backup.name = spec['name']
        if 'description' in spec:
            backup.description = spec['description']
        if 'metadata' in spec:
            backup.metadata = dict(spec['metadata'] or {})
        backup.updated_at = self.cloud.now()
        return backup

    def reset_status(self, ctx: ctx_mod.RequestContext, backup_id: str,
                     body: Any) -> None:
        if not ctx.is_admin:
            raise _policy('volume_extension:backup_admin_actions:'
                          'reset_status')
        backup = self.get(ctx, backup_id)
        status = (body.get('os-reset_status') or {}).get('status')
        if status not in ('available', 'error'):
            raise errors.BadRequest(
                'Invalid input for field/attribute status. Value: '
                f"{status}. '{status}' is not one of ['available', 'error']")
        backup.status = status
        backup.updated_at = self.cloud.now()


def _create_spec(body: Any, version: ctx_mod.Version) -> dict[str, Any]:
    """Cinder's JSON schema for POST /backups, by microversion."""
    spec = body.get('backup') if isinstance(body, dict) else None
    if not isinstance(spec, dict):
        raise errors.BadRequest(
            "Invalid input for field/attribute backup. Value: None. None is "
            "not of type 'object'")
    allowed = {'volume_id', 'container', 'description', 'incremental',
               'force', 'name', 'snapshot_id'}
    if version >= BACKUP_METADATA:
        allowed.add('metadata')
    if version >= BACKUP_AZ:
        allowed.add('availability_zone')
    extra = sorted(set(spec) - allowed)
    if extra:
        names = ', '.join(repr(e) for e in extra)
        verb = 'was' if len(extra) == 1 else 'were'
        raise errors.BadRequest(
            f'Invalid input for field/attribute backup. Value: {spec!r}. '
            f'Additional properties are not allowed ({names} {verb} '
            'unexpected)')
    if not spec.get('volume_id'):
        raise errors.BadRequest(
            'Invalid input for field/attribute backup. Value: '
            f"{spec!r}. 'volume_id' is a required property")
    out = dict(spec)
    out['incremental'] = volumes_mod.parse_bool(spec.get('incremental'),
                                                'incremental')
    out['force'] = volumes_mod.parse_bool(spec.get('force'), 'force')
    metadata = spec.get('metadata')
    if metadata is not None and not (
            isinstance(metadata, dict)
            and all(isinstance(v, str) for v in metadata.values())):
        raise errors.BadRequest(
            f'Invalid input for field/attribute metadata. Value: '
            f'{metadata!r}. {metadata!r} is not of type \'object\'')
    return out
