"""Cinder's JSON views of volumes, snapshots and backups, by microversion."""

from __future__ import annotations

from typing import Any
import urllib.parse

import flask

from staffeln.tests.simcloud.cinder import listing
from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import web


def supports(minimum: str) -> bool:
    return web.version() >= ctx_mod.parse_version(minimum)


def _url_project() -> str:
    """The project id segment if the request URL carried one."""
    project_id = flask.g.get('url_project')
    return f'{project_id}/' if project_id else ''


def links(collection: str, record_id: str) -> list[dict[str, str]]:
    base = web.base_url()
    project = _url_project()
    return [
        {'href': f'{base}/volume/v3/{project}{collection}/{record_id}',
         'rel': 'self'},
        {'href': f'{base}/volume/{project}{collection}/{record_id}',
         'rel': 'bookmark'},
    ]


def collection_links(collection: str, items: list[Any]
                     ) -> list[dict[str, str]]:
    """cinder's _get_collection_links: a next link when a page is full."""
    limit = listing.parse_limit(flask.request.args)
    if not items or limit > len(items):
        return []
    params = dict(flask.request.args.items())
    params['marker'] = items[-1].id
    href = (f'{web.base_url()}/volume/v3/{_url_project()}{collection}?'
            f'{urllib.parse.urlencode(params)}')
    return [{'rel': 'next', 'href': href}]


def listing_body(key: str, collection: str, items: list[Any],
                 view) -> dict[str, Any]:
    body: dict[str, Any] = {key: [view(item) for item in items]}
    next_links = collection_links(collection, items)
    if next_links:
        body[f'{key}_links'] = next_links
    return body


# -- volumes ----------------------------------------------------------------
def volume_summary(volume: models.Volume) -> dict[str, Any]:
    return {'id': volume.id, 'name': volume.name,
            'links': links('volumes', volume.id)}


def volume_detail(volume: models.Volume) -> dict[str, Any]:
    ctx = web.context()
    view: dict[str, Any] = {
        'id': volume.id, 'name': volume.name, 'status': volume.status,
        'size': volume.size, 'availability_zone': volume.availability_zone,
        'created_at': web.cinder_time(volume.created_at),
        'updated_at': web.cinder_time(volume.updated_at),
        'description': volume.description,
        'volume_type': volume.volume_type,
        'snapshot_id': volume.snapshot_id,
        'source_volid': volume.source_volid,
        'metadata': dict(volume.metadata),
        'links': links('volumes', volume.id),
        'user_id': volume.user_id,
        'bootable': 'true' if volume.bootable else 'false',
        'encrypted': False, 'replication_status': None,
        'consistencygroup_id': None, 'multiattach': False,
        'attachments': [{
            'id': volume.id, 'attachment_id': a.id, 'volume_id': volume.id,
            'server_id': a.server_id, 'host_name': None,
            'device': a.device,
            'attached_at': web.cinder_time(a.attached_at),
        } for a in volume.attachments],
        'os-vol-tenant-attr:tenant_id': volume.project_id,
    }
    if volume.image_metadata:
        view['volume_image_metadata'] = dict(volume.image_metadata)
    if ctx.is_admin:
        view.update({'os-vol-host-attr:host': 'sim@lvm#sim',
                     'os-vol-mig-status-attr:migstat': None,
                     'os-vol-mig-status-attr:name_id': None})
    if supports('3.13'):
        view['group_id'] = None
    if supports('3.21') and ctx.is_admin:
        view['provider_id'] = None
    if supports('3.48'):
        view['shared_targets'] = False
        view['service_uuid'] = 'a7f1e4c2-0000-4000-8000-00000000c1d3'
    if supports('3.61') and ctx.is_admin:
        view['cluster_name'] = None
    if supports('3.63'):
        view['volume_type_id'] = '00000000-0000-4000-8000-0000000000df'
    if supports('3.65'):
        view['consumes_quota'] = True
    return view


# -- snapshots --------------------------------------------------------------
def snapshot_detail(snapshot: models.Snapshot) -> dict[str, Any]:
    view: dict[str, Any] = {
        'id': snapshot.id,
        'created_at': web.cinder_time(snapshot.created_at),
        'updated_at': web.cinder_time(snapshot.updated_at),
        'name': snapshot.name, 'description': snapshot.description,
        'status': snapshot.status, 'size': snapshot.size,
        'volume_id': snapshot.volume_id,
        'metadata': dict(snapshot.metadata),
        'os-extended-snapshot-attributes:progress':
            '100%' if snapshot.status == 'available' else '0%',
        'os-extended-snapshot-attributes:project_id': snapshot.project_id,
    }
    if supports('3.14'):
        view['group_snapshot_id'] = None
    if supports('3.41'):
        view['user_id'] = snapshot.user_id
    if supports('3.65'):
        view['consumes_quota'] = True
    return view


# -- backups ----------------------------------------------------------------
def backup_summary(backup: models.Backup) -> dict[str, Any]:
    return {'id': backup.id, 'name': backup.name,
            'links': links('backups', backup.id)}


def backup_detail(backup: models.Backup) -> dict[str, Any]:
    ctx = web.context()
    view: dict[str, Any] = {
        'id': backup.id, 'status': backup.status, 'size': backup.size,
        'object_count': backup.object_count,
        'availability_zone': backup.availability_zone,
        'container': backup.container,
        'created_at': web.cinder_time(backup.created_at),
        'updated_at': web.cinder_time(backup.updated_at),
        'name': backup.name, 'description': backup.description,
        'fail_reason': backup.fail_reason, 'volume_id': backup.volume_id,
        'links': links('backups', backup.id),
        'is_incremental': backup.is_incremental,
        'has_dependent_backups': backup.has_dependent_backups,
        'snapshot_id': backup.snapshot_id,
        'data_timestamp': web.cinder_time(backup.data_timestamp),
    }
    if supports('3.43'):
        view['metadata'] = dict(backup.metadata)
    if supports('3.64') and backup.encryption_key_id:
        view['encryption_key_id'] = backup.encryption_key_id
    # backup:backup_project_attribute is admin-only by default.
    if supports('3.18') and ctx.is_admin:
        view['os-backup-project-attr:project_id'] = backup.project_id
    if supports('3.56') and ctx.is_admin:
        view['user_id'] = backup.user_id
    return view
