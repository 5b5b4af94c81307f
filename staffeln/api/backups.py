"""``/v1/backups``: the backups Staffeln made, and backups asked for now.

A backup shows its chain (the parent backup and its depth: 0 for a full
backup), its type, the policy it counts toward, its status and size, and
whether it was asked for (``on_demand``) or scheduled. ``POST`` queues a
backup of a volume or of every volume of a server now (see
:mod:`staffeln.actions.ondemand`); the conductor makes it. The rules are in
:mod:`staffeln.policies.backups`.
"""

import dataclasses

import flask

from staffeln.actions import ondemand
from staffeln.api import errors
from staffeln.api import queries
from staffeln.api import resource
from staffeln.api import schemas
from staffeln.db import api_views
from staffeln.policies import backups as backup_policies

bp = flask.Blueprint('backups', __name__)

_FIELDS = ('project_id', 'volume_id', 'volume_name', 'server_id',
           'server_name', 'status', 'size_gb', 'on_demand', 'reason')
_TIMES = ('created_at', 'started_at', 'finished_at', 'deleted_at')


def view(task, chain: tuple, policies: dict[int, str]) -> dict:
    parent, depth = chain
    result = {'id': task.backup_id, 'name': task.backup_name,
              'task_uuid': task.uuid, 'type': task.backup_type,
              'parent_id': parent, 'depth': depth,
              'policy': policies.get(task.policy_id)}
    result.update((field, getattr(task, field)) for field in _FIELDS)
    result.update((field, resource.iso(getattr(task, field)))
                  for field in _TIMES)
    return result


def _views(ctx, tasks) -> list[dict]:
    chains = api_views.chains(ctx, tasks)
    names = api_views.policy_names(ctx, [t.policy_id for t in tasks])
    return [view(t, chains[t.id], names) for t in tasks]


@bp.get('/v1/backups')
def list_backups():
    ctx = resource.context()
    query = queries.backup_query(flask.request.args)
    project_id = resource.project_scope(
        query.scope, ctx, backup_policies.LIST,
        backup_policies.LIST_ALL_PROJECTS)
    filters = dataclasses.replace(query.filters, project_id=project_id)
    tasks = api_views.backup_page(ctx, query.page, filters)
    return flask.jsonify({'backups': _views(ctx, tasks)})


def find(ctx, backup_id: str, rule: str):
    """The task of a backup the caller may ``rule``; 404 without one."""
    backup_id = schemas.parse_uuid(backup_id, 'backup id')
    task = api_views.get_backup_task(ctx, backup_id)
    if task is None:
        resource.authorize(rule, {'project_id': ctx.project_id}, ctx)
        raise errors.NotFound(f'Backup {backup_id} not found.')
    resource.authorize(rule, {'project_id': task.project_id}, ctx)
    return task


@bp.get('/v1/backups/<backup_id>')
def get_backup(backup_id: str):
    ctx = resource.context()
    task = find(ctx, backup_id, backup_policies.GET)
    return flask.jsonify({'backup': _views(ctx, [task])[0]})


_CREATE_FIELDS = ('volume_id', 'server_id', 'policy', 'full')


@bp.post('/v1/backups')
def create_backup():
    """Queue a backup now; 202 with the queued tasks.

    The body is ``{"volume_id": ...}`` or ``{"server_id": ...}``, with
    ``full`` and ``policy`` optional.
    """
    ctx = resource.context()
    body = resource.json_body(_CREATE_FIELDS)
    volume_id, server_id = body.get('volume_id'), body.get('server_id')
    if (volume_id is None) == (server_id is None):
        raise errors.BadRequest('give volume_id or server_id, one of them')
    if volume_id is not None:
        volume_id = schemas.parse_uuid(volume_id, 'volume_id')
        volume = api_views.get_volume(ctx, volume_id)
        owner = volume.project_id if volume else ctx.project_id
    else:
        server_id = schemas.parse_uuid(server_id, 'server_id')
        owner = api_views.server_project(ctx, server_id) or ctx.project_id
    full = body.get('full', False)
    if not isinstance(full, bool):
        raise errors.BadRequest('full must be true or false')
    policy = body.get('policy')
    if policy is not None and not isinstance(policy, str):
        raise errors.BadRequest('policy must be a policy name')
    resource.authorize(backup_policies.CREATE, {'project_id': owner}, ctx)
    tasks = ondemand.queue(ctx, resource.conf(), resource.now(),
                           volume_id=volume_id, server_id=server_id,
                           policy_name=policy, full=full,
                           project_id=owner)
    return flask.jsonify({'tasks': [
        {'uuid': t.uuid, 'volume_id': t.volume_id, 'type': t.backup_type,
         'status': t.status, 'policy_id': t.policy_id} for t in tasks]}), 202
