"""``/v1/retention``: retention's plan, and pruning now.

The plan is the conductor's own (:mod:`staffeln.actions.retention`): each
volume's backups under the rules of the policy that made them and the
server's overrides, never below the operator's floor, never the volume's
last good backup. Volumes that discovery no longer sees are taken to
exist (their last good backups are kept), without asking Cinder.

Pruning releases the backups the plan deletes (their tasks go from
``available`` to ``deleting``, one conditional UPDATE each); the
conductor's next retention pass deletes them from Cinder, children before
parents. The rules are in :mod:`staffeln.policies.retention`.
"""

import flask

from staffeln.actions import retention as retention_plan
from staffeln.api import errors
from staffeln.api import queries
from staffeln.api import resource
from staffeln.api import schemas
from staffeln.db import api as db_api
from staffeln.db import api_views
from staffeln.db import states
from staffeln.policies import retention as rules

bp = flask.Blueprint('retention', __name__)


class _Clock:
    """The request's time, as the planner takes a clock."""

    def now(self):
        return resource.now()


def _plan(ctx, project_id, volume_id) -> tuple[list, list]:
    errors_: list[str] = []
    planner = retention_plan.Planner(resource.conf(), None, _Clock())
    rows = planner.preview(ctx, project_id, errors_)
    if volume_id is not None:
        rows = [row for row in rows if row[0].volume_id == volume_id]
    return rows, errors_


def _view(task, keep: bool, reason: str) -> dict:
    return {'id': task.backup_id, 'task_uuid': task.uuid,
            'project_id': task.project_id, 'volume_id': task.volume_id,
            'volume_name': task.volume_name, 'server_id': task.server_id,
            'server_name': task.server_name, 'type': task.backup_type,
            'status': task.status, 'size_gb': task.size_gb,
            'created_at': resource.iso(task.time),
            'action': 'keep' if keep else 'delete', 'reason': reason}


def _scope(ctx, rule: str, all_rule: str | None, args_or_body) -> tuple:
    """(project, volume) of a preview or prune, authorized."""
    volume_id = args_or_body.get('volume_id')
    if volume_id is not None:
        volume_id = schemas.parse_uuid(volume_id, 'volume_id')
        volume = api_views.get_volume(ctx, volume_id)
        project_id = volume.project_id if volume else ctx.project_id
        resource.authorize(rule, {'project_id': project_id}, ctx)
        if volume is None:
            raise errors.NotFound(f'Volume {volume_id} not found.')
        return project_id, volume_id
    project_id = args_or_body.get('project_id') or ctx.project_id
    if all_rule and args_or_body.get('all_projects'):
        resource.authorize(all_rule, {}, ctx)
        return None, None
    if not isinstance(project_id, str) or not 0 < len(project_id) <= 64:
        raise errors.BadRequest('project_id must have 1 to 64 characters')
    resource.authorize(rule, {'project_id': project_id}, ctx)
    return project_id, None


@bp.get('/v1/retention/preview')
def preview():
    ctx = resource.context()
    args = flask.request.args
    queries.check_known(args, ('project_id', 'all_projects', 'volume_id'))
    scope = queries.scope(args)
    given = {'volume_id': queries.single(args, 'volume_id'),
             'project_id': scope.project_id,
             'all_projects': scope.all_projects}
    if given['volume_id'] and (scope.project_id or scope.all_projects):
        raise errors.BadRequest('give volume_id or a project, not both')
    project_id, volume_id = _scope(ctx, rules.PREVIEW,
                                   rules.PREVIEW_ALL_PROJECTS, given)
    rows, problems = _plan(ctx, project_id, volume_id)
    return flask.jsonify({'backups': [_view(*row) for row in rows],
                          'errors': problems})


@bp.post('/v1/retention/prune')
def prune():
    """Release what the plan deletes; 202 with the released backups."""
    ctx = resource.context()
    body = resource.json_body(('volume_id', 'project_id'))
    if bool(body.get('volume_id')) == bool(body.get('project_id')):
        raise errors.BadRequest('give volume_id or project_id, one of them')
    project_id, volume_id = _scope(ctx, rules.PRUNE, None, body)
    rows, problems = _plan(ctx, project_id, volume_id)
    now = resource.now()
    released = []
    for task, keep, reason in rows:
        if keep or task.status != states.AVAILABLE:
            continue
        if db_api.transition(ctx, task.id, states.AVAILABLE,
                             states.DELETING, now=now):
            released.append(_view(task, keep, reason))
    return flask.jsonify({'released': released, 'errors': problems}), 202
