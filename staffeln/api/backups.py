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
from staffeln.db import api_backup_views
from staffeln.db import api_views
from staffeln.policies import backups as backup_policies

bp = flask.Blueprint('backups', __name__)


def view(task, chain: tuple, policy: str | None) -> dict:
    """A backup as the API shows it: ``task`` has its task's columns."""
    parent, depth = chain
    iso = resource.iso
    return {'id': task.backup_id, 'name': task.backup_name,
            'task_uuid': task.uuid, 'type': task.backup_type,
            'parent_id': parent, 'depth': depth, 'policy': policy,
            'project_id': task.project_id, 'volume_id': task.volume_id,
            'volume_name': task.volume_name, 'server_id': task.server_id,
            'server_name': task.server_name, 'status': task.status,
            'size_gb': task.size_gb, 'on_demand': task.on_demand,
            'reason': task.reason, 'created_at': iso(task.created_at),
            'started_at': iso(task.started_at),
            'finished_at': iso(task.finished_at),
            'deleted_at': iso(task.deleted_at)}


@bp.get('/v1/backups')
def list_backups():
    ctx = resource.context()
    query = queries.backup_query(flask.request.args)
    project_id = resource.project_scope(
        query.scope, ctx, backup_policies.LIST,
        backup_policies.LIST_ALL_PROJECTS)
    filters = dataclasses.replace(query.filters, project_id=project_id)
    tasks, chains = api_backup_views.backup_listing(ctx, query.page, filters)
    return flask.jsonify({'backups': [
        view(t, chains[t.id], t.policy_name) for t in tasks]})


def find(ctx, backup_id: str, rule: str):
    """The task of a backup the caller may ``rule``; 404 without one."""
    backup_id = schemas.parse_uuid(backup_id, 'backup id')
    task = api_backup_views.get_backup_task(ctx, backup_id)
    if task is None:
        resource.authorize(rule, {'project_id': ctx.project_id}, ctx)
        raise errors.NotFound(f'Backup {backup_id} not found.')
    resource.authorize(rule, {'project_id': task.project_id}, ctx)
    return task


@bp.get('/v1/backups/<backup_id>')
def get_backup(backup_id: str):
    ctx = resource.context()
    task = find(ctx, backup_id, backup_policies.GET)
    chains = api_backup_views.chains(ctx, [task])
    names = api_backup_views.policy_names(ctx, [task.policy_id])
    return flask.jsonify({'backup': view(task, chains[task.id],
                                         names.get(task.policy_id))})


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
