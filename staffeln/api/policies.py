"""``/v1/policies``: the protection policies.

Admins see every policy with its grants and create, change and retire
them (the same checks as ``staffeln-manage policy``, in
:mod:`staffeln.actions.policies`); a project's readers see the policies
their project may use: the public ones and those granted to it. The rules
are in :mod:`staffeln.policies.protection`.
"""

import flask

from staffeln.actions import policies as policy_actions
from staffeln.api import errors
from staffeln.api import queries
from staffeln.api import resource
from staffeln.db import api_policies
from staffeln.policies import protection as rules

bp = flask.Blueprint('policies', __name__)

_FIELDS = ('name', 'description', 'enabled', 'public', 'schedule',
           'timezone', 'window', 'jitter', 'full_every', 'full_interval_s',
           'retention_s', 'keep')


def view(policy, grants: set | None) -> dict:
    result = {field: getattr(policy, field) for field in _FIELDS}
    result.update(created_at=resource.iso(policy.created_at),
                  updated_at=resource.iso(policy.updated_at))
    if grants is not None:
        result['projects'] = sorted(grants)
    return result


def _usable(policy, grants: dict, project_id: str) -> bool:
    return policy.public or project_id in grants.get(policy.id, ())


@bp.get('/v1/policies')
def list_policies():
    ctx = resource.context()
    queries.check_known(flask.request.args, ('all_projects',))
    every = queries.boolean(flask.request.args, 'all_projects')
    if every:
        resource.authorize(rules.LIST_ALL, {}, ctx)
    else:
        resource.authorize(rules.LIST, {'project_id': ctx.project_id}, ctx)
    grants = api_policies.all_grants(ctx)
    admin = every or resource.allowed(rules.LIST_ALL, {}, ctx)
    return flask.jsonify({'policies': [
        view(p, grants.get(p.id, set()) if admin else None)
        for p in api_policies.list_policies(ctx)
        if admin or _usable(p, grants, ctx.project_id)]})


def _find(ctx, name: str):
    if not 0 < len(name) <= 64:
        raise errors.BadRequest('a policy name has 1 to 64 characters')
    try:
        return api_policies.get_policy(ctx, name)
    except api_policies.PolicyNotFound:
        raise errors.NotFound(f'Policy {name} not found.') from None


@bp.get('/v1/policies/<name>')
def get_policy(name: str):
    ctx = resource.context()
    resource.authorize(rules.GET, {'project_id': ctx.project_id}, ctx)
    policy = _find(ctx, name)
    grants = api_policies.all_grants(ctx)
    if resource.allowed(rules.LIST_ALL, {}, ctx):
        return flask.jsonify({'policy': view(policy,
                                             grants.get(policy.id, set()))})
    if not _usable(policy, grants, ctx.project_id):
        raise errors.NotFound(f'Policy {name} not found.')
    return flask.jsonify({'policy': view(policy, None)})


def _projects(body: dict, name: str) -> list:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(p, str)
                                              for p in value):
        raise errors.BadRequest(f'{name} must be a list of project ids')
    return value


def _fields(body: dict) -> dict:
    return {key: value for key, value in body.items()
            if key in policy_actions.FIELDS}


@bp.post('/v1/policies')
def create_policy():
    ctx = resource.context()
    resource.authorize(rules.CREATE, {}, ctx)
    body = resource.json_body(('name', 'projects') + policy_actions.FIELDS,
                              required=('name', 'schedule'))
    if not isinstance(body['name'], str):
        raise errors.BadRequest('name must be a string')
    policy = policy_actions.create(ctx, resource.conf(), resource.now(),
                                   body['name'], _fields(body),
                                   _projects(body, 'projects'))
    grants = api_policies.all_grants(ctx).get(policy.id, set())
    return flask.jsonify({'policy': view(policy, grants)}), 201


@bp.patch('/v1/policies/<name>')
def update_policy(name: str):
    ctx = resource.context()
    resource.authorize(rules.UPDATE, {}, ctx)
    body = resource.json_body(('grant', 'revoke') + policy_actions.FIELDS)
    _find(ctx, name)
    policy = policy_actions.update(
        ctx, resource.conf(), resource.now(), name, _fields(body),
        _projects(body, 'grant'), _projects(body, 'revoke'))
    grants = api_policies.all_grants(ctx).get(policy.id, set())
    return flask.jsonify({'policy': view(policy, grants)})


@bp.delete('/v1/policies/<name>')
def delete_policy(name: str):
    ctx = resource.context()
    resource.authorize(rules.DELETE, {}, ctx)
    _find(ctx, name)
    policy_actions.delete(ctx, name, resource.now())
    return '', 204
