"""Cinder's rules for volumes (reads and metadata) and snapshots."""

from __future__ import annotations

import ast
from collections.abc import Mapping
import datetime
from typing import Any

from staffeln.tests.simcloud.cinder import listing
from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import state

VOLUME_USER_FILTERS = ('name', 'status', 'metadata', 'bootable',
                       'availability_zone', 'size', 'created_at',
                       'updated_at')
SNAPSHOT_USER_FILTERS = ('name', 'status', 'volume_id', 'metadata',
                         'availability_zone')
SNAPSHOT_IN_USE = (3, 66)
#: The statuses in which Cinder deletes a volume (without force).
DELETABLE = ('available', 'error', 'error_restoring', 'error_extending',
             'error_managing')
SNAPSHOT_IN_USE_FLAG_MSG = (
    "Since microversion 3.66 the 'force' flag is invalid for this request.  "
    "For backward compatability, however, when the 'force' flag is passed "
    "with a value evaluating to True, it is silently ignored.")
_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')


def volume_not_found(volume_id: str) -> errors.NotFound:
    return errors.NotFound(f'Volume {volume_id} could not be found.')


def snapshot_not_found(snapshot_id: str) -> errors.NotFound:
    return errors.NotFound(f'Snapshot {snapshot_id} could not be found.')


def _record_filter(filters: Mapping[str, str]):
    """A predicate for Cinder's exact-match filters (metadata as a dict)."""
    checks = []
    for key, value in filters.items():
        if key in ('project_id', 'volume_id'):
            continue  # served by the indexes
        if key == 'metadata':
            try:
                wanted = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                raise errors.BadRequest(
                    f'Invalid input received: Invalid metadata filter '
                    f'{value}') from None
            checks.append(lambda r, w=wanted: all(
                r.metadata.get(k) == v for k, v in w.items()))
        elif key == 'bootable':
            flag = value.lower() in _TRUE
            checks.append(lambda r, f=flag: r.bootable == f)
        elif key == 'size':
            checks.append(lambda r, v=value: str(r.size) == v)
        elif key in ('name', 'status', 'availability_zone', 'user_id'):
            checks.append(lambda r, k=key, v=value: getattr(r, k) == v)
    if not checks:
        return None
    return lambda r: all(check(r) for check in checks)


class VolumeService:
    def __init__(self, cloud: state.Cloud) -> None:
        self.cloud = cloud

    # -- volumes -------------------------------------------------------------
    def get(self, ctx: ctx_mod.RequestContext,
            volume_id: str) -> models.Volume:
        volume = self.cloud.volumes.get(volume_id)
        if volume is None or not ctx.owns(volume.project_id):
            raise volume_not_found(volume_id)
        return volume

    def list(self, ctx: ctx_mod.RequestContext, params: Mapping[str, str]
             ) -> list[models.Volume]:
        query = listing.parse(params, ctx, VOLUME_USER_FILTERS,
                              {'name': 'display_name'})
        return listing.page(self.cloud.volumes, query, ctx, volume_not_found,
                            where=_record_filter(query.filters))

    def set_metadata(self, ctx: ctx_mod.RequestContext, volume_id: str,
                     body: Any, replace: bool) -> dict[str, str]:
        volume = self.get(ctx, volume_id)
        metadata = _metadata(body, 'metadata')
        volume.metadata = (metadata if replace
                           else {**volume.metadata, **metadata})
        volume.updated_at = self.cloud.now()
        return dict(volume.metadata)

    def get_metadata_item(self, ctx: ctx_mod.RequestContext, volume_id: str,
                          key: str) -> str:
        volume = self.get(ctx, volume_id)
        if key not in volume.metadata:
            raise errors.NotFound(f'Volume {volume_id} has no metadata with '
                                  f'key {key}.')
        return volume.metadata[key]

    def set_metadata_item(self, ctx: ctx_mod.RequestContext, volume_id: str,
                          key: str, body: Any) -> dict[str, str]:
        volume = self.get(ctx, volume_id)
        meta = _metadata(body, 'meta')
        if key not in meta:
            raise errors.BadRequest('Request body and URI mismatch')
        if len(meta) > 1:
            raise errors.BadRequest('Request body contains too many items')
        volume.metadata[key] = meta[key]
        volume.updated_at = self.cloud.now()
        return meta

    def delete_metadata_item(self, ctx: ctx_mod.RequestContext,
                             volume_id: str, key: str) -> None:
        volume = self.get(ctx, volume_id)
        if key not in volume.metadata:
            raise errors.NotFound(f'Volume {volume_id} has no metadata with '
                                  f'key {key}.')
        del volume.metadata[key]
        volume.updated_at = self.cloud.now()

    def delete(self, ctx: ctx_mod.RequestContext, volume_id: str) -> None:
        """``DELETE /volumes/{id}``: ``deleting``, then gone.

        Cinder's conditional update: a volume being made, attached, or
        with snapshots is refused with its one long message.
        """
        volume = self.get(ctx, volume_id)
        has_snapshots = any(s.volume_id == volume.id
                            for s in self.cloud.snapshots.values())
        if (volume.status not in DELETABLE or volume.attachments
                or has_snapshots):
            raise errors.BadRequest(
                'Invalid volume: Volume status must be ' +
                ' or '.join(DELETABLE) + ' and must not be migrating, '
                'attached, belong to a group, have snapshots, awaiting a '
                'transfer, or be disassociated from snapshots after volume '
                'transfer.')
        volume.status = 'deleting'
        volume.updated_at = self.cloud.now()

        def gone(due: datetime.datetime) -> None:
            if self.cloud.volumes.get(volume.id) is volume:
                self.cloud.volumes.remove(volume)
                self.cloud.quotas.use(volume.project_id, volumes=-1,
                                      gigabytes=-volume.size)
        self.cloud.schedule(0, gone)

    # -- snapshots -----------------------------------------------------------
    def get_snapshot(self, ctx: ctx_mod.RequestContext,
                     snapshot_id: str) -> models.Snapshot:
        snapshot = self.cloud.snapshots.get(snapshot_id)
        if snapshot is None or not ctx.owns(snapshot.project_id):
            raise snapshot_not_found(snapshot_id)
        return snapshot

    def list_snapshots(self, ctx: ctx_mod.RequestContext,
                       params: Mapping[str, str]) -> list[models.Snapshot]:
        query = listing.parse(params, ctx, SNAPSHOT_USER_FILTERS,
                              {'name': 'display_name'})
        return listing.page(self.cloud.snapshots, query, ctx,
                            snapshot_not_found,
                            where=_record_filter(query.filters),
                            indexed=('project_id', 'volume_id'))

    def create_snapshot(self, ctx: ctx_mod.RequestContext, body: Any,
                        version: ctx_mod.Version) -> models.Snapshot:
        spec = body.get('snapshot') if isinstance(body, dict) else None
        if not isinstance(spec, dict) or 'volume_id' not in spec:
            raise errors.BadRequest(
                "Invalid input for field/attribute snapshot. Value: "
                f"{spec!r}. 'volume_id' is a required property")
        volume = self.get(ctx, spec['volume_id'])
        force = parse_bool(spec.get('force'), 'force')
        allow_in_use = False
        if spec.get('force') is not None and version >= SNAPSHOT_IN_USE:
            if not force:
                raise errors.BadRequest(SNAPSHOT_IN_USE_FLAG_MSG)
        if version >= SNAPSHOT_IN_USE:
            allow_in_use = True
        valid = ('available', 'in-use') if force or allow_in_use else (
            'available',)
        if volume.status == 'error':
            raise errors.BadRequest(
                'Invalid volume: The snapshot cannot be created when the '
                'volume is in error status.')
        if volume.status not in valid:
            raise errors.BadRequest(
                f'Invalid volume: Volume {volume.id} status must be '
                f'{", ".join(valid)}, but current status is: '
                f'{volume.status}.')
        return self._add_snapshot(ctx, volume, spec.get('name'),
                                  spec.get('description'),
                                  spec.get('metadata'))

    def create_snapshot_force(self, ctx: ctx_mod.RequestContext,
                              volume: models.Volume, name: str | None,
                              description: str | None) -> models.Snapshot:
        """Cinder's ``create_snapshot_force``, as Nova's createImage calls it.

        An ``available`` or ``in-use`` volume, in the caller's project.
        """
        if volume.status not in ('available', 'in-use'):
            raise errors.BadRequest(
                f'Invalid volume: Volume {volume.id} status must be '
                f'available, in-use, but current status is: '
                f'{volume.status}.')
        return self._add_snapshot(ctx, volume, name, description, None)

    def _add_snapshot(self, ctx: ctx_mod.RequestContext,
                      volume: models.Volume, name: str | None,
                      description: str | None,
                      metadata: Mapping[str, str] | None
                      ) -> models.Snapshot:
        """A ``creating`` snapshot, charged to the caller's project."""
        self.cloud.quotas.reserve_snapshot(ctx.project_id or '',
                                           volume.size)
        now = self.cloud.now()
        snapshot = models.Snapshot(
            id=self.cloud.ids.uuid(), project_id=ctx.project_id or '',
            user_id=ctx.user_id, volume_id=volume.id, size=volume.size,
            name=name, description=description,
            metadata=dict(metadata or {}), created_at=now, updated_at=now)
        self.cloud.snapshots.add(snapshot)
        self.cloud.schedule(self.cloud.snapshot_duration,
                            lambda due: self._snapshot_done(snapshot, due))
        return snapshot

    def _snapshot_done(self, snapshot: models.Snapshot,
                       due: datetime.datetime) -> None:
        if snapshot.status == 'creating':
            snapshot.status = 'available'
            snapshot.updated_at = due

    def delete_snapshot(self, ctx: ctx_mod.RequestContext,
                        snapshot_id: str) -> None:
        snapshot = self.get_snapshot(ctx, snapshot_id)
        if snapshot.status not in ('available', 'error'):
            raise errors.BadRequest(
                'Invalid snapshot: Snapshot status must be available or '
                'error and must not be part of a group.')
        snapshot.status = 'deleting'
        snapshot.updated_at = self.cloud.now()

        def gone(due: datetime.datetime) -> None:
            if self.cloud.snapshots.get(snapshot.id) is snapshot:
                self.cloud.snapshots.remove(snapshot)
                self.cloud.quotas.use(snapshot.project_id, snapshots=-1,
                                      gigabytes=-snapshot.size)
        self.cloud.schedule(0, gone)

    def quota_set(self, ctx: ctx_mod.RequestContext, project_id: str,
                  usage: bool) -> dict[str, Any]:
        if not ctx.owns(project_id):
            raise errors.Forbidden(
                "Policy doesn't allow volume_extension:quotas:show to be "
                "performed.")
        return self.cloud.quotas.quota_set(project_id, usage)

    def update_quota(self, ctx: ctx_mod.RequestContext, project_id: str,
                     body: Any) -> dict[str, Any]:
        if not ctx.is_admin:
            raise errors.Forbidden(
                "Policy doesn't allow volume_extension:quotas:update to be "
                "performed.")
        spec = body.get('quota_set') if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            raise errors.BadRequest(
                "Missing required element 'quota_set' in request body.")
        limits = {}
        for key, value in spec.items():
            if key not in self.cloud.quotas.resources():
                raise errors.BadRequest(f'Bad key(s) in quota set: {key}')
            try:
                limits[key] = int(value)
            except (TypeError, ValueError):
                raise errors.BadRequest(
                    f'Invalid input received: {key} must be an integer.'
                ) from None
        self.cloud.quotas.set(project_id, **limits)
        out = self.cloud.quotas.quota_set(project_id, usage=False)
        out.pop('id')
        return out


def _metadata(body: Any, key: str) -> dict[str, str]:
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise errors.BadRequest('Malformed request body')
    items = body[key]
    for name, value in items.items():
        if not isinstance(value, str) or not 1 <= len(name) <= 255:
            raise errors.BadRequest(
                f"Invalid input for field/attribute {key}. Value: {items!r}."
                " Additional properties are not allowed")
    return dict(items)


def parse_bool(value: Any, name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in ('0', 'f', 'false', 'off', 'n', 'no'):
        return False
    raise errors.BadRequest(
        f"Invalid input for field/attribute {name}. Value: {value}. "
        f"{value!r} is not valid under any of the given schemas")
