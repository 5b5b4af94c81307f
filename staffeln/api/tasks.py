"""``/v1/tasks``: read-only view of Staffeln's backup tasks.

Project readers see their own project's tasks; admins see any project's.
The rules are in :mod:`staffeln.policies.tasks`.
"""

import flask

from staffeln.api import auth
from staffeln.api import authz
from staffeln.api import errors
from staffeln.api import schemas
from staffeln.db import api as db_api
from staffeln.policies import tasks as task_policies

bp = flask.Blueprint('tasks', __name__)

_FIELDS = ('uuid', 'project_id', 'volume_id', 'volume_name', 'server_id',
           'server_name', 'backup_type', 'status', 'backup_id',
           'backup_name', 'size_gb', 'reason', 'attempts')
_TIMES = ('created_at', 'updated_at', 'started_at', 'finished_at',
          'deleted_at')


def _view(task) -> dict:
    view = {field: getattr(task, field) for field in _FIELDS}
    for field in _TIMES:
        value = getattr(task, field)
        view[field] = value.isoformat() if value is not None else None
    return view


def _authorize(rule: str, target: dict, context) -> None:
    authz.authorize(flask.current_app.config['STAFFELN_ENFORCER'], rule,
                    target, context)


@bp.get('/v1/tasks')
def list_tasks():
    context = auth.request_context(flask.request.environ)
    query = schemas.parse_task_list_query(flask.request.args)
    if query.all_projects:
        _authorize(task_policies.LIST_ALL_PROJECTS, {}, context)
        project_id = None
    else:
        project_id = query.project_id or context.project_id
        _authorize(task_policies.LIST, {'project_id': project_id}, context)
    tasks = db_api.task_page(context, project_id, query.statuses,
                             query.volume_id, query.limit, query.marker)
    return flask.jsonify({'tasks': [_view(task) for task in tasks]})


@bp.get('/v1/tasks/<task_uuid>')
def get_task(task_uuid: str):
    context = auth.request_context(flask.request.environ)
    task_uuid = schemas.parse_uuid(task_uuid, 'task uuid')
    task = db_api.get_task_by_uuid(context, task_uuid)
    if task is None:
        raise errors.NotFound(f'Task {task_uuid} not found.')
    _authorize(task_policies.GET, {'project_id': task.project_id}, context)
    return flask.jsonify({'task': _view(task)})
