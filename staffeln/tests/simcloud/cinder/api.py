"""The simulated Cinder v3: volumes, snapshots, backups and quota sets.

Every route answers with and without the project id in the URL, as Cinder
does since 3.67; a project id that is not the token's is a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask

from staffeln.tests.simcloud.cinder import views
from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import versions
from staffeln.tests.simcloud import web

bp = flask.Blueprint('cinder', __name__, url_prefix='/volume')
BACKUP_UPDATE = (3, 9)


def route(rule: str, methods: tuple[str, ...] = ('GET',)
          ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view at /v3<rule> and /v3/<project_id><rule>."""
    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(f'/v3{rule}', endpoint=view.__name__,
                        view_func=view, methods=list(methods))
        bp.add_url_rule(f'/v3/<hex:project_id>{rule}',
                        endpoint=f'{view.__name__}_in_project',
                        view_func=view, methods=list(methods))
        return view
    return register


@bp.before_request
def _before() -> None:
    if flask.request.endpoint == 'cinder.root':
        return
    flask.g.url_project = (flask.request.view_args or {}).pop('project_id',
                                                              None)
    flask.g.sim_version = ctx_mod.negotiate(
        flask.request.headers, 'volume', versions.CINDER_MIN,
        versions.CINDER_MAX)
    ctx = web.authenticate()
    flask.g.sim_context = ctx
    if flask.g.url_project and flask.g.url_project != ctx.project_id:
        raise errors.BadRequest('Malformed request url')


@bp.after_request
def _after(response: flask.Response) -> flask.Response:
    version = flask.g.get('sim_version')
    if version is not None:
        response.headers['OpenStack-API-Version'] = (
            f'volume {ctx_mod.version_str(version)}')
        response.headers.add('Vary', 'OpenStack-API-Version')
    return response


@bp.get('')
@bp.get('/')
def root() -> tuple[dict[str, Any], int]:
    return versions.volume_versions(web.base_url()), 300


@bp.get('/v3')
@bp.get('/v3/')
def v3() -> dict[str, Any]:
    return versions.volume_versions(web.base_url())


# -- volumes ------------------------------------------------------------------
@route('/volumes')
def list_volumes() -> dict[str, Any]:
    items = web.services().volumes.list(web.context(), web.params())
    return views.listing_body('volumes', 'volumes', items,
                              views.volume_summary)


@route('/volumes', methods=('POST',))
def create_volume() -> tuple[dict[str, Any], int]:
    volume = web.services().backups.create_volume(
        web.context(), web.json_body(), web.version())
    return {'volume': views.volume_detail(volume)}, 202


@route('/volumes/detail')
def list_volumes_detail() -> dict[str, Any]:
    items = web.services().volumes.list(web.context(), web.params())
    return views.listing_body('volumes', 'volumes/detail', items,
                              views.volume_detail)


@route('/volumes/<volume_id>')
def show_volume(volume_id: str) -> dict[str, Any]:
    volume = web.services().volumes.get(web.context(), volume_id)
    return {'volume': views.volume_detail(volume)}


@route('/volumes/<volume_id>', methods=('DELETE',))
def delete_volume(volume_id: str) -> flask.Response:
    web.services().volumes.delete(web.context(), volume_id)
    return web.no_content(202)


@route('/volumes/<volume_id>/metadata')
def show_volume_metadata(volume_id: str) -> dict[str, Any]:
    volume = web.services().volumes.get(web.context(), volume_id)
    return {'metadata': dict(volume.metadata)}


@route('/volumes/<volume_id>/metadata', methods=('POST', 'PUT'))
def set_volume_metadata(volume_id: str) -> dict[str, Any]:
    metadata = web.services().volumes.set_metadata(
        web.context(), volume_id, web.json_body(),
        replace=flask.request.method == 'PUT')
    return {'metadata': metadata}


@route('/volumes/<volume_id>/metadata/<key>')
def show_volume_metadata_item(volume_id: str, key: str) -> dict[str, Any]:
    value = web.services().volumes.get_metadata_item(web.context(),
                                                     volume_id, key)
    return {'meta': {key: value}}


@route('/volumes/<volume_id>/metadata/<key>', methods=('PUT',))
def set_volume_metadata_item(volume_id: str, key: str) -> dict[str, Any]:
    meta = web.services().volumes.set_metadata_item(
        web.context(), volume_id, key, web.json_body())
    return {'meta': meta}


@route('/volumes/<volume_id>/metadata/<key>', methods=('DELETE',))
def delete_volume_metadata_item(volume_id: str, key: str) -> flask.Response:
    web.services().volumes.delete_metadata_item(web.context(), volume_id,
                                                key)
    return web.no_content(200)


# -- snapshots ----------------------------------------------------------------
@route('/snapshots')
def list_snapshots() -> dict[str, Any]:
    items = web.services().volumes.list_snapshots(web.context(),
                                                  web.params())
    return views.listing_body('snapshots', 'snapshots', items,
                              views.snapshot_detail)


@route('/snapshots/detail')
def list_snapshots_detail() -> dict[str, Any]:
    items = web.services().volumes.list_snapshots(web.context(),
                                                  web.params())
    return views.listing_body('snapshots', 'snapshots/detail', items,
                              views.snapshot_detail)


@route('/snapshots', methods=('POST',))
def create_snapshot() -> tuple[dict[str, Any], int]:
    snapshot = web.services().volumes.create_snapshot(
        web.context(), web.json_body(), web.version())
    return {'snapshot': views.snapshot_detail(snapshot)}, 202


@route('/snapshots/<snapshot_id>')
def show_snapshot(snapshot_id: str) -> dict[str, Any]:
    snapshot = web.services().volumes.get_snapshot(web.context(),
                                                   snapshot_id)
    return {'snapshot': views.snapshot_detail(snapshot)}


@route('/snapshots/<snapshot_id>', methods=('DELETE',))
def delete_snapshot(snapshot_id: str) -> flask.Response:
    web.services().volumes.delete_snapshot(web.context(), snapshot_id)
    return web.no_content(202)


# -- backups ------------------------------------------------------------------
@route('/backups')
def list_backups() -> dict[str, Any]:
    items = web.services().backups.list(web.context(), web.params(),
                                        web.version())
    return views.listing_body('backups', 'backups', items,
                              views.backup_summary)


@route('/backups/detail')
def list_backups_detail() -> dict[str, Any]:
    items = web.services().backups.list(web.context(), web.params(),
                                        web.version())
    return views.listing_body('backups', 'backups/detail', items,
                              views.backup_detail)


@route('/backups', methods=('POST',))
def create_backup() -> tuple[dict[str, Any], int]:
    backup = web.services().backups.create(web.context(), web.json_body(),
                                           web.version())
    return {'backup': views.backup_summary(backup)}, 202


@route('/backups/<backup_id>')
def show_backup(backup_id: str) -> dict[str, Any]:
    backup = web.services().backups.get(web.context(), backup_id)
    return {'backup': views.backup_detail(backup)}


@route('/backups/<backup_id>', methods=('PUT',))
def update_backup(backup_id: str) -> dict[str, Any]:
    if web.version() < BACKUP_UPDATE:
        raise errors.NotFound('The resource could not be found.')
    backup = web.services().backups.update(web.context(), backup_id,
                                           web.json_body(), web.version())
    return {'backup': views.backup_summary(backup)}


@route('/backups/<backup_id>', methods=('DELETE',))
def delete_backup(backup_id: str) -> flask.Response:
    web.services().backups.delete(web.context(), backup_id)
    return web.no_content(202)


@route('/backups/<backup_id>/action', methods=('POST',))
def backup_action(backup_id: str) -> flask.Response:
    body = web.json_body()
    if not isinstance(body, dict) or len(body) != 1:
        raise errors.BadRequest('Malformed request body')
    service = web.services().backups
    if 'os-force_delete' in body:
        service.delete(web.context(), backup_id, force=True)
    elif 'os-reset_status' in body:
        service.reset_status(web.context(), backup_id, body)
    else:
        raise errors.NotFound('There is no such action: '
                              f'{next(iter(body))}')
    return web.no_content(202)


@route('/backups/<backup_id>/restore', methods=('POST',))
def restore_backup(backup_id: str) -> tuple[dict[str, Any], int]:
    restore = web.services().backups.restore(web.context(), backup_id,
                                             web.json_body())
    return {'restore': restore}, 202


@route('/backups/<backup_id>/export_record')
def export_backup(backup_id: str) -> dict[str, Any]:
    record = web.services().backups.export_record(web.context(), backup_id)
    return {'backup-record': record}


@route('/backups/import_record', methods=('POST',))
def import_backup() -> tuple[dict[str, Any], int]:
    backup = web.services().backups.import_record(web.context(),
                                                  web.json_body())
    return {'backup': views.backup_summary(backup)}, 201


# -- services -----------------------------------------------------------------
@route('/os-services')
def list_services() -> dict[str, Any]:
    """Cinder's services (admin only), filtered by ``binary`` and ``host``."""
    if not web.context().is_admin:
        raise errors.Forbidden("Policy doesn't allow "
                               "volume_extension:services:index to be "
                               "performed.")
    sim = web.cloud()
    wanted = web.params()
    with sim.lock:
        now = web.cinder_time(sim.now())
        found = [dict(service, binary=binary, updated_at=now)
                 for binary, service in sim.cinder_services.items()]
    found = [s for s in found
             if all(s[key] == wanted[key] for key in ('binary', 'host')
                    if key in wanted)]
    return {'services': found}


# -- quotas -------------------------------------------------------------------
def _usage_flag() -> bool:
    return flask.request.args.get('usage', 'false').lower() in (
        '1', 't', 'true', 'on', 'y', 'yes')


@route('/os-quota-sets/<quota_project_id>')
def show_quota_set(quota_project_id: str) -> dict[str, Any]:
    return {'quota_set': web.services().volumes.quota_set(
        web.context(), quota_project_id, _usage_flag())}


@route('/os-quota-sets/<quota_project_id>/defaults')
def show_quota_defaults(quota_project_id: str) -> dict[str, Any]:
    quotas = web.cloud().quotas
    body: dict[str, Any] = {'id': quota_project_id}
    body.update({r: quotas.defaults.get(r, -1) for r in quotas.resources()})
    return {'quota_set': body}


@route('/os-quota-sets/<quota_project_id>', methods=('PUT',))
def update_quota_set(quota_project_id: str) -> dict[str, Any]:
    return {'quota_set': web.services().volumes.update_quota(
        web.context(), quota_project_id, web.json_body())}
