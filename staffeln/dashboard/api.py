"""staffeln-api as the dashboard's panels call it: the catalog's endpoint
and the signed-in user's token, one function per call the panels make."""

from __future__ import annotations

from django.conf import settings
from horizon.utils import functions as utils
from openstack_dashboard.api import base

from staffeln.dashboard import client as staffeln_client


class Record(dict):
    """An API object whose fields are also attributes, as tables like."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def client(request) -> staffeln_client.Client:
    endpoint = base.url_for(request, staffeln_client.SERVICE_TYPE)
    verify = getattr(settings, 'OPENSTACK_SSL_CACERT', None) or True
    if getattr(settings, 'OPENSTACK_SSL_NO_VERIFY', False):
        verify = False
    return staffeln_client.Client(endpoint, request.user.token.id, verify)


def _page(request, path: str, key: str, marker: str | None,
          params: dict) -> tuple[list[Record], bool]:
    """A page of a listing and whether another follows it."""
    limit = utils.get_page_size(request)
    items = client(request).get(path, marker=marker, limit=limit + 1,
                                **params)[key]
    return [Record(item) for item in items[:limit]], len(items) > limit


def volume_list(request, marker: str | None = None, **filters
                ) -> tuple[list[Record], bool]:
    """The project's volumes (``server_id``, ``state``, ``policy``)."""
    return _page(request, '/v1/volumes', 'volumes', marker, filters)


def volume_get(request, volume_id: str) -> Record:
    return Record(client(request).get(f'/v1/volumes/{volume_id}')['volume'])


def backup_list(request, marker: str | None = None, **filters
                ) -> tuple[list[Record], bool]:
    """Backups, newest first (``type``, ``server_id``, ``volume_id``)."""
    return _page(request, '/v1/backups', 'backups', marker, filters)


def backup_get(request, backup_id: str) -> Record:
    return Record(client(request).get(f'/v1/backups/{backup_id}')['backup'])


def backup_now(request, volume_id: str) -> list[Record]:
    """Queue a backup of the volume outside its schedule."""
    answer = client(request).post('/v1/backups', {'volume_id': volume_id})
    return [Record(task) for task in answer['tasks']]


def restore_create(request, backup_id: str, **fields) -> Record:
    """Restore onto a new volume or onto ``volume_id``.

    A new volume takes ``name``, ``size`` and ``availability_zone``.
    """
    body = {'backup_id': backup_id}
    body.update({k: v for k, v in fields.items() if v not in (None, '')})
    return Record(client(request).post('/v1/restores', body)['restore'])


def project_settings_list(request) -> dict[str, Record]:
    """The settings of every project that chose any (admins), by id."""
    return {item['project_id']: Record(item) for item in
            client(request).get('/v1/projects/settings')['settings']}


def project_settings_get(request, project_id: str) -> Record:
    return Record(client(request).get(
        f'/v1/projects/{project_id}/settings')['settings'])


def project_settings_update(request, project_id: str, **fields) -> Record:
    return Record(client(request).patch(
        f'/v1/projects/{project_id}/settings', fields)['settings'])


def server_settings_get(request, server_id: str) -> Record:
    return Record(client(request).get(
        f'/v1/servers/{server_id}/settings')['settings'])


def server_settings_update(request, server_id: str, **fields) -> Record:
    return Record(client(request).patch(
        f'/v1/servers/{server_id}/settings', fields)['settings'])


def policy_list(request, all_projects: bool = False) -> list[Record]:
    answer = client(request).get(
        '/v1/policies', all_projects='true' if all_projects else None)
    return [Record(policy) for policy in answer['policies']]


def policy_get(request, name: str) -> Record:
    return Record(client(request).get(f'/v1/policies/{name}')['policy'])


def policy_create(request, fields: dict) -> Record:
    return Record(client(request).post('/v1/policies', fields)['policy'])


def policy_update(request, name: str, fields: dict) -> Record:
    return Record(client(request).patch(f'/v1/policies/{name}',
                                        fields)['policy'])


def policy_delete(request, name: str) -> None:
    client(request).delete(f'/v1/policies/{name}')


def stats(request) -> Record:
    """Every project's statistics and their total (admins)."""
    answer = client(request).get('/v1/stats', all_projects='true')['stats']
    return Record(projects=[Record(p) for p in answer['projects']],
                  total=Record(answer['total']))
