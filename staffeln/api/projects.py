"""``/v1/projects/{project_id}/settings``: what a project chose, and
``/v1/servers/{server_id}/settings``: what was chosen for a server.

A project's default policy (``null``: the global default), the extra
recipients of its digest, and whether its protection is paused (no backup
starts while it is); whether a server's protection is paused. A project's
members change them; its readers see them. The rules are in
:mod:`staffeln.policies.projects`.
"""

import flask

from staffeln.actions import policies as policy_actions
from staffeln.api import errors
from staffeln.api import queries
from staffeln.api import resource
from staffeln.api import schemas
from staffeln.db import api_policies
from staffeln.db import api_views
from staffeln.policies import projects as rules

bp = flask.Blueprint('projects', __name__)

_MAX_RECIPIENTS = 20


def _policy_names(ctx) -> dict[int, str]:
    return {p.id: p.name for p in api_policies.list_policies(ctx)}


def _view(project_id: str, ctx) -> dict:
    return _settings_view(project_id, api_policies.get_settings(
        ctx, project_id), _policy_names(ctx))


def _settings_view(project_id: str, settings, names: dict) -> dict:
    default = None
    if settings is not None:
        default = names.get(settings.default_policy_id)
    return {'project_id': project_id,
            'default_policy': default,
            'global_default_policy': resource.conf().conductor.default_policy,
            'paused': bool(settings and settings.paused),
            'digest_recipients': list(
                (settings and settings.digest_recipients) or [])}


def check_project(project_id: str) -> str:
    if not 0 < len(project_id) <= 64:
        raise errors.BadRequest('a project id has 1 to 64 characters')
    return project_id


@bp.get('/v1/projects/settings')
def list_settings():
    """Every project's settings that differ from none chosen (admins)."""
    ctx = resource.context()
    queries.check_known(flask.request.args, ())
    resource.authorize(rules.LIST, {'project_id': ctx.project_id}, ctx)
    names = _policy_names(ctx)
    return flask.jsonify({'settings': [
        _settings_view(s.project_id, s, names)
        for s in api_policies.list_settings(ctx)]})


@bp.get('/v1/projects/<project_id>/settings')
def get_settings(project_id: str):
    ctx = resource.context()
    project_id = check_project(project_id)
    resource.authorize(rules.GET, {'project_id': project_id}, ctx)
    return flask.jsonify({'settings': _view(project_id, ctx)})


def _recipients(value) -> list[str]:
    if (not isinstance(value, list) or len(value) > _MAX_RECIPIENTS
            or not all(isinstance(a, str) and '@' in a and len(a) <= 254
                       and not any(c.isspace() for c in a) for a in value)):
        raise errors.BadRequest(
            f'digest_recipients must be a list of at most '
            f'{_MAX_RECIPIENTS} e-mail addresses')
    return value


@bp.patch('/v1/projects/<project_id>/settings')
def update_settings(project_id: str):
    """Change any of ``paused``, ``default_policy``, ``digest_recipients``."""
    ctx = resource.context()
    project_id = check_project(project_id)
    resource.authorize(rules.UPDATE, {'project_id': project_id}, ctx)
    body = resource.json_body(('paused', 'default_policy',
                               'digest_recipients'))
    if not body:
        raise errors.BadRequest('nothing to change: give paused, '
                                'default_policy or digest_recipients')
    values = {}
    if 'paused' in body:
        if not isinstance(body['paused'], bool):
            raise errors.BadRequest('paused must be true or false')
        values['paused'] = body['paused']
    if 'digest_recipients' in body:
        values['digest_recipients'] = _recipients(body['digest_recipients'])
    if 'default_policy' in body:
        name = body['default_policy']
        if name is not None and not isinstance(name, str):
            raise errors.BadRequest('default_policy must be a policy name '
                                    'or null')
        policy_actions.set_project_default(
            ctx, resource.conf(), resource.now(), project_id, name or None)
    if values:
        api_policies.set_project_settings(ctx, project_id, resource.now(),
                                          **values)
    return flask.jsonify({'settings': _view(project_id, ctx)})


def _server(ctx, server_id: str, rule: str) -> tuple[str, str]:
    """The server's id and project, authorized.

    404 for a server Staffeln does not protect.
    """
    server_id = schemas.parse_uuid(server_id, 'server id')
    project_id = api_views.server_project(ctx, server_id)
    resource.authorize(rule, {'project_id': project_id or ctx.project_id},
                       ctx)
    if project_id is None:
        raise errors.NotFound(f'Staffeln protects no server {server_id}.')
    return server_id, project_id


def _server_view(ctx, server_id: str, project_id: str) -> dict:
    settings = api_policies.get_server_settings(ctx, server_id)
    return {'server_id': server_id, 'project_id': project_id,
            'paused': bool(settings and settings.paused)}


@bp.get('/v1/servers/<server_id>/settings')
def get_server_settings(server_id: str):
    ctx = resource.context()
    server_id, project_id = _server(ctx, server_id, rules.SERVER_GET)
    return flask.jsonify({'settings': _server_view(ctx, server_id,
                                                   project_id)})


@bp.patch('/v1/servers/<server_id>/settings')
def update_server_settings(server_id: str):
    """Pause (``{"paused": true}``) or resume a server's protection."""
    ctx = resource.context()
    server_id, project_id = _server(ctx, server_id, rules.SERVER_UPDATE)
    body = resource.json_body(('paused',), required=('paused',))
    if not isinstance(body['paused'], bool):
        raise errors.BadRequest('paused must be true or false')
    api_policies.set_server_settings(ctx, server_id, project_id,
                                     resource.now(), paused=body['paused'])
    return flask.jsonify({'settings': _server_view(ctx, server_id,
                                                   project_id)})
