"""The simulated Nova v2.1: servers, their metadata, tags, volumes and the
createImage action (see :mod:`.images`)."""

from __future__ import annotations

import hashlib
from typing import Any
import urllib.parse

import flask

from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import versions
from staffeln.tests.simcloud import web

bp = flask.Blueprint('nova', __name__, url_prefix='/compute')
LEGACY_HEADER = 'X-OpenStack-Nova-API-Version'
_VM_STATES = {'ACTIVE': ('active', 1), 'SHUTOFF': ('stopped', 4),
              'ERROR': ('error', 0), 'PAUSED': ('paused', 3),
              'SUSPENDED': ('suspended', 4), 'BUILD': ('building', 0),
              'SHELVED_OFFLOADED': ('shelved_offloaded', 4)}
_FLAVOR = {'vcpus': 1, 'ram': 512, 'disk': 0, 'ephemeral': 0, 'swap': 0,
           'original_name': 'm1.tiny'}


@bp.before_request
def _before() -> None:
    endpoint = flask.request.endpoint or ''
    if endpoint in ('nova.root', 'nova.v21'):
        return
    flask.g.sim_version = ctx_mod.negotiate(
        flask.request.headers, 'compute', versions.NOVA_MIN,
        versions.NOVA_MAX, legacy_header=LEGACY_HEADER)
    flask.g.sim_context = web.authenticate()


@bp.after_request
def _after(response: flask.Response) -> flask.Response:
    version = flask.g.get('sim_version')
    if version is not None:
        text = ctx_mod.version_str(version)
        response.headers['OpenStack-API-Version'] = f'compute {text}'
        response.headers[LEGACY_HEADER] = text
        response.headers.add('Vary', 'OpenStack-API-Version')
        response.headers.add('Vary', LEGACY_HEADER)
    return response


def _supports(minimum: str) -> bool:
    return web.version() >= ctx_mod.parse_version(minimum)


@bp.get('')
@bp.get('/')
def root() -> dict[str, Any]:
    return versions.compute_root(web.base_url())


@bp.get('/v2.1')
@bp.get('/v2.1/')
def v21() -> dict[str, Any]:
    return versions.compute_version(web.base_url())


# -- views ------------------------------------------------------------------
def _links(server_id: str) -> list[dict[str, str]]:
    base = web.base_url()
    return [{'rel': 'self', 'href': f'{base}/compute/v2.1/servers/'
                                    f'{server_id}'},
            {'rel': 'bookmark', 'href': f'{base}/compute/servers/'
                                        f'{server_id}'}]


def _image_ref(image_id: str | None) -> Any:
    """A server's ``image``: ``""`` for a volume-backed server."""
    if image_id is None:
        return ''
    return {'id': image_id, 'links': [{
        'rel': 'bookmark',
        'href': f'{web.base_url()}/compute/images/{image_id}'}]}


def summary(server: models.Server) -> dict[str, Any]:
    return {'id': server.id, 'name': server.name,
            'links': _links(server.id)}


def detail(server: models.Server, show: bool = False) -> dict[str, Any]:
    """Nova's server view; ``show`` adds what only GET /servers/{id} has."""
    ctx = web.context()
    version = web.version()

    def at(minimum: str) -> bool:
        return version >= ctx_mod.parse_version(minimum)
    vm_state, power_state = _VM_STATES.get(server.status, ('active', 1))
    if at('2.47'):
        flavor: dict[str, Any] = dict(_FLAVOR, extra_specs={})
    else:
        flavor = {'id': '1', 'links': [{
            'rel': 'bookmark',
            'href': f'{web.base_url()}/compute/flavors/1'}]}
    view: dict[str, Any] = {
        'id': server.id, 'name': server.name, 'status': server.status,
        'tenant_id': server.project_id, 'user_id': server.user_id,
        'metadata': dict(server.metadata),
        'hostId': '' if server.status == 'BUILD' else hashlib.sha224(
            (server.project_id + server.host).encode()).hexdigest(),
        'image': _image_ref(server.image_id), 'flavor': flavor,
        'created': web.nova_time(server.created_at),
        'updated': web.nova_time(server.updated_at),
        'addresses': {}, 'accessIPv4': '', 'accessIPv6': '',
        'links': _links(server.id), 'OS-DCF:diskConfig': 'MANUAL',
        'progress': 0 if server.status in ('ACTIVE', 'BUILD') else None,
        'OS-EXT-AZ:availability_zone': server.availability_zone,
        'config_drive': '', 'key_name': server.key_name,
        'OS-SRV-USG:launched_at': server.created_at.replace(
            tzinfo=None).isoformat(timespec='microseconds'),
        'OS-SRV-USG:terminated_at': None,
        'OS-EXT-STS:task_state': None, 'OS-EXT-STS:vm_state': vm_state,
        'OS-EXT-STS:power_state': power_state,
    }
    if view['progress'] is None:
        del view['progress']
    attached: list[dict[str, Any]] = []
    for volume_id in server.volume_ids:
        item: dict[str, Any] = {'id': volume_id}
        if at('2.3'):
            item['delete_on_termination'] = False
        attached.append(item)
    view['os-extended-volumes:volumes_attached'] = attached
    if ctx.is_admin:
        view.update({'OS-EXT-SRV-ATTR:host': server.host,
                     'OS-EXT-SRV-ATTR:instance_name':
                         f'instance-{int(server.id[:8], 16):08x}',
                     'OS-EXT-SRV-ATTR:hypervisor_hostname': server.host})
        if at('2.3'):
            view.update({'OS-EXT-SRV-ATTR:hostname': server.name,
                         'OS-EXT-SRV-ATTR:kernel_id': '',
                         'OS-EXT-SRV-ATTR:launch_index': 0,
                         'OS-EXT-SRV-ATTR:ramdisk_id': '',
                         'OS-EXT-SRV-ATTR:reservation_id':
                             f'r-{server.id[:8]}',
                         'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
                         'OS-EXT-SRV-ATTR:user_data': None})
    optional = [('2.9', 'locked', False), ('2.19', 'description',
                                           server.description),
                ('2.26', 'tags', list(server.tags)),
                ('2.63', 'trusted_image_certificates', None),
                ('2.71', 'server_groups', [] if show else None),
                ('2.73', 'locked_reason', None),
                ('2.96', 'pinned_availability_zone', None)]
    for minimum, key, value in optional:
        if at(minimum) and (key != 'server_groups' or show):
            view[key] = value
    if at('2.16') and ctx.is_admin:
        view['host_status'] = 'UP'
    if at('2.90') and not ctx.is_admin:
        view['OS-EXT-SRV-ATTR:hostname'] = server.name
    return view


def _next_link(collection: str, last_id: str) -> str:
    params = dict(sorted(flask.request.args.items()))
    params['marker'] = last_id
    return (f'{web.base_url()}/compute/v2.1/{collection}?'
            f'{urllib.parse.urlencode(params)}')


def _list(collection: str, view) -> dict[str, Any]:
    services = web.services()
    page, limit = services.compute.list(web.context(), web.params(),
                                        tags_supported=_supports('2.26'),
                                        detail=collection.endswith('detail'))
    body: dict[str, Any] = {'servers': [view(s) for s in page]}
    # nova's _get_collection_links: a full page gets a next link.
    if limit and len(page) == limit:
        body['servers_links'] = [{'rel': 'next',
                                  'href': _next_link(collection,
                                                     page[-1].id)}]
    return body


# -- servers ----------------------------------------------------------------
@bp.get('/v2.1/servers')
def list_servers() -> dict[str, Any]:
    return _list('servers', summary)


@bp.get('/v2.1/servers/detail')
def list_servers_detail() -> dict[str, Any]:
    return _list('servers/detail', detail)


@bp.get('/v2.1/servers/<server_id>')
def show_server(server_id: str) -> dict[str, Any]:
    server = web.services().compute.get(web.context(), server_id)
    return {'server': detail(server, show=True)}


@bp.get('/v2.1/servers/<server_id>/metadata')
def list_metadata(server_id: str) -> dict[str, Any]:
    server = web.services().compute.get(web.context(), server_id)
    return {'metadata': dict(server.metadata)}


@bp.post('/v2.1/servers/<server_id>/metadata')
def update_metadata(server_id: str) -> dict[str, Any]:
    metadata = web.services().compute.set_metadata(
        web.context(), server_id, web.json_body(), replace=False)
    return {'metadata': metadata}


@bp.put('/v2.1/servers/<server_id>/metadata')
def replace_metadata(server_id: str) -> dict[str, Any]:
    metadata = web.services().compute.set_metadata(
        web.context(), server_id, web.json_body(), replace=True)
    return {'metadata': metadata}


@bp.get('/v2.1/servers/<server_id>/metadata/<key>')
def show_metadata_item(server_id: str, key: str) -> dict[str, Any]:
    value = web.services().compute.get_metadata_item(web.context(),
                                                     server_id, key)
    return {'meta': {key: value}}


@bp.put('/v2.1/servers/<server_id>/metadata/<key>')
def set_metadata_item(server_id: str, key: str) -> dict[str, Any]:
    meta = web.services().compute.set_metadata_item(
        web.context(), server_id, key, web.json_body())
    return {'meta': meta}


@bp.delete('/v2.1/servers/<server_id>/metadata/<key>')
def delete_metadata_item(server_id: str, key: str) -> flask.Response:
    web.services().compute.delete_metadata_item(web.context(), server_id,
                                                key)
    return web.no_content(204)


# -- actions ----------------------------------------------------------------
@bp.post('/v2.1/servers/<server_id>/action')
def server_action(server_id: str) -> Any:
    """``createImage`` only; any other action is unknown here (404)."""
    body = web.json_body()
    if not isinstance(body, dict) or 'createImage' not in body:
        raise errors.NotFound('The resource could not be found.')
    image = web.services().server_images.create_image(
        web.context(), server_id, body)
    if _supports('2.45'):
        return {'image_id': image.id}, 202
    response = web.no_content(202)
    response.headers['Location'] = (
        f'{web.base_url()}/image/images/{image.id}')
    return response


# -- tags (2.26) ------------------------------------------------------------
def _require(minimum: str) -> None:
    if not _supports(minimum):
        raise errors.NotFound('The resource could not be found.')


@bp.get('/v2.1/servers/<server_id>/tags')
def list_tags(server_id: str) -> dict[str, Any]:
    _require('2.26')
    return {'tags': list(web.services().compute.get(web.context(),
                                                    server_id).tags)}


@bp.put('/v2.1/servers/<server_id>/tags')
def replace_tags(server_id: str) -> dict[str, Any]:
    _require('2.26')
    body = web.json_body()
    if not isinstance(body, dict) or not isinstance(body.get('tags'), list):
        raise errors.BadRequest(
            "Invalid input for field/attribute tags. Value: None. None is "
            "not of type 'array'")
    return {'tags': web.services().compute.replace_tags(
        web.context(), server_id, [str(t) for t in body['tags']])}


@bp.put('/v2.1/servers/<server_id>/tags/<tag>')
def add_tag(server_id: str, tag: str) -> flask.Response:
    _require('2.26')
    created = web.services().compute.add_tag(web.context(), server_id, tag)
    response = web.no_content(201 if created else 204)
    response.headers['Location'] = flask.request.base_url
    return response


@bp.delete('/v2.1/servers/<server_id>/tags/<tag>')
def delete_tag(server_id: str, tag: str) -> flask.Response:
    _require('2.26')
    web.services().compute.delete_tag(web.context(), server_id, tag)
    return web.no_content(204)


# -- volume attachments -----------------------------------------------------
def _attachment(server: models.Server, volume_id: str) -> dict[str, Any]:
    volume = web.cloud().volumes.get(volume_id)
    attachment = next((a for a in (volume.attachments if volume else [])
                       if a.server_id == server.id), None)
    view: dict[str, Any] = {
        'id': volume_id, 'serverId': server.id, 'volumeId': volume_id,
        'device': attachment.device if attachment else None}
    if _supports('2.70'):
        view['tag'] = None
    if _supports('2.79'):
        view['delete_on_termination'] = False
    if _supports('2.89'):
        del view['id']
        view['attachment_id'] = attachment.id if attachment else None
        view['bdm_uuid'] = attachment.id if attachment else None
    return view


@bp.get('/v2.1/servers/<server_id>/os-volume_attachments')
def list_volume_attachments(server_id: str) -> dict[str, Any]:
    server = web.services().compute.get(web.context(), server_id)
    return {'volumeAttachments': [_attachment(server, v)
                                  for v in server.volume_ids]}


@bp.get('/v2.1/servers/<server_id>/os-volume_attachments/<volume_id>')
def show_volume_attachment(server_id: str, volume_id: str
                           ) -> dict[str, Any]:
    server = web.services().compute.get(web.context(), server_id)
    if volume_id not in server.volume_ids:
        raise errors.NotFound(f'Instance {server_id} is not attached.')
    return {'volumeAttachment': _attachment(server, volume_id)}
