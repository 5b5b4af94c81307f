"""The simulated Keystone v3: tokens, catalog, projects, users, roles."""

from __future__ import annotations

from typing import Any
import uuid

import flask

from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import versions
from staffeln.tests.simcloud import web

bp = flask.Blueprint('keystone', __name__, url_prefix='/identity')
REGION = 'RegionOne'
INTERFACES = ('public', 'internal', 'admin')


def _stable_id(*parts: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, '/'.join(parts)).hex


def catalog(base: str, project_id: str | None) -> list[dict[str, Any]]:
    services = [('identity', 'keystone', f'{base}/identity'),
                ('compute', 'nova', f'{base}/compute/v2.1'),
                ('block-storage', 'cinder', f'{base}/volume/v3'),
                ('image', 'glance', f'{base}/image')]
    if project_id:
        services.append(('volumev3', 'cinderv3',
                         f'{base}/volume/v3/{project_id}'))
    services.extend(web.cloud().catalog_extras)
    return [{
        'endpoints': [{'id': _stable_id(stype, iface), 'interface': iface,
                       'region_id': REGION, 'url': url, 'region': REGION}
                      for iface in INTERFACES],
        'id': _stable_id(stype), 'type': stype, 'name': name,
    } for stype, name, url in services]


def _link(kind: str, record_id: str) -> dict[str, str]:
    return {'self': f'{web.base_url()}/identity/v3/{kind}/{record_id}'}


def _domain_ref(domain_id: str) -> dict[str, str]:
    domain = web.cloud().identity.domains[domain_id]
    return {'id': domain.id, 'name': domain.name}


def token_body(token: models.Token, with_catalog: bool = True
               ) -> dict[str, Any]:
    store = web.cloud().identity
    user = store.users[token.user_id]
    body: dict[str, Any] = {
        'methods': token.methods,
        'user': {'domain': _domain_ref(user.domain_id), 'id': user.id,
                 'name': user.name, 'password_expires_at': None},
        'audit_ids': [token.audit_id],
        'expires_at': web.keystone_time(token.expires_at),
        'issued_at': web.keystone_time(token.issued_at),
    }
    if token.project_id:
        project = store.projects[token.project_id]
        body['project'] = {'domain': _domain_ref(project.domain_id),
                           'id': project.id, 'name': project.name}
        body['is_domain'] = False
    elif token.domain_id:
        body['domain'] = _domain_ref(token.domain_id)
    if token.project_id or token.domain_id:
        body['roles'] = [{'id': r, 'name': store.roles[r].name}
                         for r in token.role_ids]
        if with_catalog:
            body['catalog'] = catalog(web.base_url(), token.project_id)
    return {'token': body}


def _caller() -> models.Token:
    store = web.cloud().identity
    token = store.validate(flask.request.headers.get('X-Auth-Token'))
    if token is None:
        raise errors.Unauthorized()
    return token


def _is_admin(token: models.Token) -> bool:
    return 'admin' in web.cloud().identity.role_names(token)


def _require_admin(token: models.Token, action: str) -> None:
    if not _is_admin(token):
        raise errors.Forbidden('You are not authorized to perform the '
                               f'requested action: identity:{action}.')


def _listing(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: items, 'links': {'self': flask.request.base_url,
                                  'previous': None, 'next': None}}


# -- discovery and tokens ---------------------------------------------------
@bp.get('')
@bp.get('/')
def root() -> tuple[dict[str, Any], int]:
    return versions.identity_root(web.base_url()), 300


@bp.get('/v3')
@bp.get('/v3/')
def v3() -> dict[str, Any]:
    return {'version': versions.identity_version(web.base_url())}


@bp.post('/v3/auth/tokens')
def issue_token() -> flask.Response:
    sim = web.cloud()
    token = sim.identity.authenticate(web.json_body())
    nocatalog = 'nocatalog' in flask.request.args
    response = flask.jsonify(token_body(token, with_catalog=not nocatalog))
    response.status_code = 201
    response.headers['X-Subject-Token'] = token.id
    return response


def _subject() -> models.Token:
    _caller()
    subject_id = flask.request.headers.get('X-Subject-Token', '')
    token = web.cloud().identity.validate(subject_id)
    if token is None:
        raise errors.NotFound('Could not recognize Fernet token')
    return token


@bp.get('/v3/auth/tokens')
def validate_token() -> flask.Response:
    """GET (and HEAD, which werkzeug answers without the body)."""
    token = _subject()
    nocatalog = 'nocatalog' in flask.request.args
    response = flask.jsonify(token_body(token, with_catalog=not nocatalog))
    response.headers['X-Subject-Token'] = token.id
    return response


@bp.delete('/v3/auth/tokens')
def revoke_token() -> flask.Response:
    token = _subject()
    web.cloud().identity.revoke(token.id)
    return web.no_content(204)


@bp.get('/v3/auth/catalog')
def auth_catalog() -> dict[str, Any]:
    token = _caller()
    return {'catalog': catalog(web.base_url(), token.project_id),
            'links': {'self': flask.request.base_url, 'previous': None,
                      'next': None}}


@bp.get('/v3/auth/projects')
def auth_projects() -> dict[str, Any]:
    token = _caller()
    return _listing('projects', _user_projects(token.user_id))


# -- resources --------------------------------------------------------------
def project_view(project: models.Project) -> dict[str, Any]:
    return {'id': project.id, 'name': project.name,
            'domain_id': project.domain_id,
            'description': project.description, 'enabled': project.enabled,
            'parent_id': project.domain_id, 'is_domain': False, 'tags': [],
            'options': {}, 'links': _link('projects', project.id)}


def user_view(user: models.User) -> dict[str, Any]:
    view: dict[str, Any] = {
        'id': user.id, 'name': user.name, 'domain_id': user.domain_id,
        'enabled': user.enabled, 'password_expires_at': None,
        'options': {}, 'links': _link('users', user.id)}
    if user.email is not None:
        view['email'] = user.email
    if user.default_project_id:
        view['default_project_id'] = user.default_project_id
    return view


def _user_projects(user_id: str) -> list[dict[str, Any]]:
    store = web.cloud().identity
    return [project_view(p) for p in store.projects.values()
            if store.project_role_ids(user_id, p.id)]


def _matches(record: Any, names: tuple[str, ...]) -> bool:
    args = flask.request.args
    for name in names:
        if name in args:
            value = getattr(record, name)
            wanted = args[name]
            if isinstance(value, bool):
                if value != (wanted.lower() in ('1', 'true', 'yes')):
                    return False
            elif value != wanted:
                return False
    return True


@bp.get('/v3/projects')
def list_projects() -> dict[str, Any]:
    _require_admin(_caller(), 'list_projects')
    store = web.cloud().identity
    return _listing('projects', [
        project_view(p) for p in store.projects.values()
        if _matches(p, ('name', 'domain_id', 'enabled'))])


@bp.get('/v3/projects/<project_id>')
def get_project(project_id: str) -> dict[str, Any]:
    token = _caller()
    project = web.cloud().identity.projects.get(project_id)
    if not _is_admin(token) and token.project_id != project_id:
        _require_admin(token, 'get_project')
    if project is None:
        raise errors.NotFound(f'Could not find project: {project_id}.')
    return {'project': project_view(project)}


@bp.get('/v3/users')
def list_users() -> dict[str, Any]:
    _require_admin(_caller(), 'list_users')
    store = web.cloud().identity
    return _listing('users', [
        user_view(u) for u in store.users.values()
        if _matches(u, ('name', 'domain_id', 'enabled'))])


@bp.get('/v3/users/<user_id>')
def get_user(user_id: str) -> dict[str, Any]:
    token = _caller()
    if token.user_id != user_id:
        _require_admin(token, 'get_user')
    user = web.cloud().identity.users.get(user_id)
    if user is None:
        raise errors.NotFound(f'Could not find user: {user_id}.')
    return {'user': user_view(user)}


@bp.get('/v3/users/<user_id>/projects')
def list_user_projects(user_id: str) -> dict[str, Any]:
    token = _caller()
    if token.user_id != user_id:
        _require_admin(token, 'list_user_projects')
    if user_id not in web.cloud().identity.users:
        raise errors.NotFound(f'Could not find user: {user_id}.')
    return _listing('projects', _user_projects(user_id))


@bp.get('/v3/domains')
def list_domains() -> dict[str, Any]:
    _require_admin(_caller(), 'list_domains')
    store = web.cloud().identity
    return _listing('domains', [
        {'id': d.id, 'name': d.name, 'description': d.description,
         'enabled': d.enabled, 'tags': [], 'options': {},
         'links': _link('domains', d.id)}
        for d in store.domains.values() if _matches(d, ('name', 'enabled'))])


@bp.get('/v3/domains/<domain_id>')
def get_domain(domain_id: str) -> dict[str, Any]:
    _caller()
    domain = web.cloud().identity.domains.get(domain_id)
    if domain is None:
        raise errors.NotFound(f'Could not find domain: {domain_id}.')
    return {'domain': {'id': domain.id, 'name': domain.name,
                       'description': domain.description,
                       'enabled': domain.enabled, 'tags': [], 'options': {},
                       'links': _link('domains', domain.id)}}


def role_view(role: models.Role) -> dict[str, Any]:
    return {'id': role.id, 'name': role.name, 'domain_id': None,
            'description': None, 'options': {},
            'links': _link('roles', role.id)}


@bp.get('/v3/roles')
def list_roles() -> dict[str, Any]:
    _require_admin(_caller(), 'list_roles')
    store = web.cloud().identity
    return _listing('roles', [role_view(r) for r in store.roles.values()
                              if _matches(r, ('name',))])


@bp.get('/v3/roles/<role_id>')
def get_role(role_id: str) -> dict[str, Any]:
    _require_admin(_caller(), 'get_role')
    role = web.cloud().identity.roles.get(role_id)
    if role is None:
        raise errors.NotFound(f'Could not find role: {role_id}.')
    return {'role': role_view(role)}


# -- role assignments -------------------------------------------------------
def _flag(name: str) -> bool:
    value = flask.request.args.get(name)
    return value is not None and value.lower() not in ('0', 'false', 'no')


def _effective(assignments: list[models.Assignment]
               ) -> list[tuple[models.Assignment, str | None, str]]:
    """Inherited roles expanded onto projects, implied roles added.

    Each row is (assignment, prior role id or None, assignment link path).
    """
    store = web.cloud().identity
    rows = []
    for a in store.effective_assignments():
        if a.domain_id and a.inherited:
            continue  # expanded onto the domain's projects already
        if a.inherited:
            project = store.projects[a.project_id or '']
            path = (f'OS-INHERIT/domains/{project.domain_id}/users/'
                    f'{a.user_id}/roles/{a.role_id}/inherited_to_projects')
        elif a.project_id:
            path = f'projects/{a.project_id}/users/{a.user_id}/roles/' \
                   f'{a.role_id}'
        else:
            path = f'domains/{a.domain_id}/users/{a.user_id}/roles/' \
                   f'{a.role_id}'
        rows.append((a, None, path))
        for implied, prior in store.implied_by(a.role_id):
            rows.append((models.Assignment(
                role_id=implied, user_id=a.user_id,
                project_id=a.project_id, domain_id=a.domain_id,
                inherited=a.inherited), prior, path))
    return rows


def _direct() -> list[tuple[models.Assignment, str | None, str]]:
    rows = []
    for a in web.cloud().identity.assignments:
        if a.project_id:
            path = f'projects/{a.project_id}/users/{a.user_id}/roles/' \
                   f'{a.role_id}'
        elif a.inherited:
            path = (f'OS-INHERIT/domains/{a.domain_id}/users/{a.user_id}/'
                    f'roles/{a.role_id}/inherited_to_projects')
        else:
            path = f'domains/{a.domain_id}/users/{a.user_id}/roles/' \
                   f'{a.role_id}'
        rows.append((a, None, path))
    return rows


def _assignment_view(a: models.Assignment, prior: str | None, path: str,
                     names: bool) -> dict[str, Any]:
    store = web.cloud().identity
    base = f'{web.base_url()}/identity/v3'
    role: dict[str, Any] = {'id': a.role_id}
    user: dict[str, Any] = {'id': a.user_id}
    if a.project_id:
        scope: dict[str, Any] = {'project': {'id': a.project_id}}
    else:
        scope = {'domain': {'id': a.domain_id}}
    if a.inherited:
        scope['OS-INHERIT:inherited_to'] = 'projects'
    if names:
        role['name'] = store.roles[a.role_id].name
        u = store.users[a.user_id]
        user.update(name=u.name, domain=_domain_ref(u.domain_id))
        if a.project_id:
            p = store.projects[a.project_id]
            scope['project'].update(name=p.name,
                                    domain=_domain_ref(p.domain_id))
        else:
            scope['domain'] = _domain_ref(a.domain_id or '')
    links = {'assignment': f'{base}/{path}'}
    if prior:
        # Keystone's own (odd) order: the implied role, then its prior.
        links['prior_role'] = f'{base}/prior_role/{a.role_id}/implies/{prior}'
    return {'role': role, 'user': user, 'scope': scope, 'links': links}


@bp.get('/v3/role_assignments')
def list_role_assignments() -> dict[str, Any]:
    _require_admin(_caller(), 'list_role_assignments')
    args = flask.request.args
    rows = _effective(list(web.cloud().identity.assignments)) if _flag(
        'effective') else _direct()
    wanted = {
        'user.id': lambda a: a.user_id,
        'role.id': lambda a: a.role_id,
        'scope.project.id': lambda a: a.project_id,
        'scope.domain.id': lambda a: a.domain_id,
    }
    for name, getter in wanted.items():
        if name in args:
            rows = [r for r in rows if getter(r[0]) == args[name]]
    if 'scope.OS-INHERIT:inherited_to' in args:
        rows = [r for r in rows if r[0].inherited]
    rows.sort(key=lambda r: (r[0].user_id, r[0].project_id or '',
                             r[0].domain_id or '', r[0].role_id))
    names = _flag('include_names')
    return _listing('role_assignments', [
        _assignment_view(a, prior, path, names) for a, prior, path in rows])
