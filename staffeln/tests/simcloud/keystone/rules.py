"""Keystone's state: domains, projects, users, roles, assignments, tokens."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from staffeln.common import clock as clock_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import ids as ids_mod
from staffeln.tests.simcloud import models

TOKEN_TTL = datetime.timedelta(hours=1)
# keystone-manage bootstrap: admin implies manager implies member implies
# reader.
IMPLIED_ROLES = {'admin': ('manager',), 'manager': ('member',),
                 'member': ('reader',)}


def _bad_request(missing: str, where: str) -> errors.BadRequest:
    return errors.BadRequest(
        f'Expecting to find {missing} in {where}. The server could not '
        'comply with the request since it is either malformed or otherwise '
        'incorrect. The client is assumed to be in error.')


class IdentityStore:
    def __init__(self, ids: ids_mod.IdFactory) -> None:
        self._ids = ids
        self.domains: dict[str, models.Domain] = {}
        self.projects: dict[str, models.Project] = {}
        self.users: dict[str, models.User] = {}
        self.roles: dict[str, models.Role] = {}
        self.assignments: set[models.Assignment] = set()
        self.tokens: dict[str, models.Token] = {}
        self.add_domain('Default', domain_id=models.DEFAULT_DOMAIN_ID)
        for name in ('admin', 'manager', 'member', 'reader', 'service'):
            self.role_named(name)

    # -- records -------------------------------------------------------------
    def add_domain(self, name: str,
                   domain_id: str | None = None) -> models.Domain:
        domain = models.Domain(id=domain_id or self._ids.hex(), name=name)
        self.domains[domain.id] = domain
        return domain

    def find_domain(self, ref: str) -> models.Domain | None:
        """A domain by id or (case-insensitive, like MySQL) by name."""
        if ref in self.domains:
            return self.domains[ref]
        for domain in self.domains.values():
            if domain.name.lower() == ref.lower():
                return domain
        return None

    def add_project(self, name: str, domain: str = 'default',
                    description: str = '') -> models.Project:
        dom = self.find_domain(domain) or self.add_domain(domain)
        if self.find_project(name, dom.id):
            raise errors.Conflict(
                f'Conflict occurred attempting to store project - it is not '
                f'permitted to have two projects with the same name in the '
                f'same domain : {name}.')
        project = models.Project(id=self._ids.hex(), name=name,
                                 domain_id=dom.id, description=description)
        self.projects[project.id] = project
        return project

    def find_project(self, ref: str,
                     domain_id: str | None = None) -> models.Project | None:
        if ref in self.projects:
            return self.projects[ref]
        for project in self.projects.values():
            if project.name == ref and (
                    domain_id is None or domain_id == project.domain_id):
                return project
        return None

    def role_named(self, name: str) -> models.Role:
        for role in self.roles.values():
            if role.name == name:
                return role
        role = models.Role(id=self._ids.hex(), name=name)
        self.roles[role.id] = role
        return role

    def add_user(self, name: str, password: str, email: str | None = None,
                 roles: Mapping[str, Iterable[str]] | None = None,
                 domain: str = 'default',
                 domain_roles: Iterable[str] = (),
                 inherited_roles: Iterable[str] = ()) -> models.User:
        dom = self.find_domain(domain) or self.add_domain(domain)
        user = models.User(id=self._ids.hex(), name=name, password=password,
                           domain_id=dom.id, email=email)
        self.users[user.id] = user
        for project_ref, role_names in (roles or {}).items():
            project = self.find_project(project_ref)
            if project is None:
                raise KeyError(f'no project {project_ref}')
            for role_name in role_names:
                self.assign(user.id, role_name, project_id=project.id)
        for role_name in domain_roles:
            self.assign(user.id, role_name, domain_id=dom.id)
        for role_name in inherited_roles:
            self.assign(user.id, role_name, domain_id=dom.id, inherited=True)
        return user

    def assign(self, user_id: str, role_name: str, *,
               project_id: str | None = None, domain_id: str | None = None,
               inherited: bool = False) -> models.Assignment:
        assignment = models.Assignment(
            role_id=self.role_named(role_name).id, user_id=user_id,
            project_id=project_id, domain_id=domain_id, inherited=inherited)
        self.assignments.add(assignment)
        return assignment

    def find_user(self, ref: str,
                  domain_id: str | None = None) -> models.User | None:
        if ref in self.users:
            return self.users[ref]
        for user in self.users.values():
            if user.name == ref and domain_id in (None, user.domain_id):
                return user
        return None

    # -- roles ---------------------------------------------------------------
    def with_implied(self, role_ids: Iterable[str]) -> list[str]:
        names = {self.roles[r].name for r in role_ids}
        todo = list(names)
        while todo:
            for implied in IMPLIED_ROLES.get(todo.pop(), ()):
                if implied not in names:
                    names.add(implied)
                    todo.append(implied)
        return sorted(self.role_named(n).id for n in names)

    def implied_by(self, role_id: str) -> list[tuple[str, str]]:
        """(implied role id, the role implying it), down the chain."""
        out = []
        todo = [role_id]
        while todo:
            prior = todo.pop()
            for name in IMPLIED_ROLES.get(self.roles[prior].name, ()):
                implied = self.role_named(name).id
                out.append((implied, prior))
                todo.append(implied)
        return out

    def effective_assignments(self) -> list[models.Assignment]:
        """Direct project roles plus domain roles inherited to projects."""
        out = []
        for a in self.assignments:
            if a.project_id or not a.inherited:
                out.append(a)
                continue
            for project in self.projects.values():
                if project.domain_id == a.domain_id:
                    out.append(models.Assignment(
                        role_id=a.role_id, user_id=a.user_id,
                        project_id=project.id, inherited=True))
        return out

    def project_role_ids(self, user_id: str, project_id: str) -> list[str]:
        project = self.projects[project_id]
        direct = {a.role_id for a in self.assignments
                  if a.user_id == user_id and (
                      a.project_id == project_id or (
                          a.inherited and a.domain_id == project.domain_id))}
        return self.with_implied(direct)

    def domain_role_ids(self, user_id: str, domain_id: str) -> list[str]:
        direct = {a.role_id for a in self.assignments
                  if a.user_id == user_id and a.domain_id == domain_id
                  and not a.inherited}
        return self.with_implied(direct)

    # -- tokens --------------------------------------------------------------
    def authenticate(self, body: Any) -> models.Token:
        """Keystone's POST /v3/auth/tokens (password and token methods)."""
        auth = body.get('auth') if isinstance(body, dict) else None
        if not isinstance(auth, dict) or 'identity' not in auth:
            raise _bad_request('identity', 'auth')
        identity = auth['identity']
        methods = identity.get('methods') or []
        if 'password' in methods:
            user = self._password_user(identity.get('password') or {})
        elif 'token' in methods:
            old = self.validate((identity.get('token') or {}).get('id', ''))
            if old is None:
                raise errors.Unauthorized()
            user = self.users[old.user_id]
        else:
            raise errors.Unauthorized()
        project_id, domain_id, role_ids = self._scope(user,
                                                      auth.get('scope'))
        # Expiry follows the wall clock: keystoneauth compares expires_at
        # with the real time, whatever the simulated clock says.
        wall = clock_mod.utcnow()
        token = models.Token(
            id='gAAAAA' + secrets.token_urlsafe(48), user_id=user.id,
            project_id=project_id, domain_id=domain_id, role_ids=role_ids,
            issued_at=wall, expires_at=wall + TOKEN_TTL,
            audit_id=secrets.token_urlsafe(16)[:22],
            methods=['password'] if 'password' in methods else ['token'])
        self.tokens[token.id] = token
        return token

    def _password_user(self, password: dict[str, Any]) -> models.User:
        ref = password.get('user')
        if not isinstance(ref, dict):
            raise _bad_request('user', 'password')
        if ref.get('id'):
            user = self.users.get(ref['id'])
        elif ref.get('name'):
            domain = self._domain_ref(ref.get('domain'))
            if domain is None:
                raise errors.Unauthorized()
            user = self.find_user(ref['name'], domain.id)
        else:
            raise _bad_request('id or name', 'user')
        if (user is None or not user.enabled
                or user.password != ref.get('password')):
            raise errors.Unauthorized()
        return user

    def _domain_ref(self, ref: Any) -> models.Domain | None:
        if not isinstance(ref, dict):
            raise _bad_request('domain', 'user')
        if ref.get('id'):
            return self.domains.get(ref['id'])
        return self.find_domain(ref.get('name') or '')

    def _scope(self, user: models.User, scope: Any
               ) -> tuple[str | None, str | None, list[str]]:
        if not scope:
            return None, None, []
        if 'project' in scope:
            ref = scope['project']
            if ref.get('id'):
                project = self.projects.get(ref['id'])
            else:
                domain = self._domain_ref(ref.get('domain'))
                project = domain and self.find_project(ref.get('name', ''),
                                                       domain.id)
            if not project or not project.enabled:
                raise errors.Unauthorized()
            role_ids = self.project_role_ids(user.id, project.id)
            if not role_ids:
                raise errors.Unauthorized()
            return project.id, None, role_ids
        if 'domain' in scope:
            ref = scope['domain']
            domain = (self.domains.get(ref['id']) if ref.get('id')
                      else self.find_domain(ref.get('name', '')))
            if domain is None:
                raise errors.Unauthorized()
            role_ids = self.domain_role_ids(user.id, domain.id)
            if not role_ids:
                raise errors.Unauthorized()
            return None, domain.id, role_ids
        raise errors.Unauthorized()

    def validate(self, token_id: str | None) -> models.Token | None:
        token = self.tokens.get(token_id or '')
        if token is None or token.expires_at <= clock_mod.utcnow():
            return None
        return token

    def delete_project(self, project_id: str) -> None:
        """Keystone's DELETE /v3/projects/{id}.

        The project, its role assignments and the tokens scoped to it are
        gone; its servers, volumes and backups stay where they are, as in a
        real cloud.
        """
        self.projects.pop(project_id, None)
        self.assignments = {a for a in self.assignments
                            if a.project_id != project_id}
        for token_id in [t.id for t in self.tokens.values()
                         if t.project_id == project_id]:
            del self.tokens[token_id]

    def revoke(self, token_id: str) -> bool:
        return self.tokens.pop(token_id, None) is not None

    def role_names(self, token: models.Token) -> list[str]:
        return [self.roles[r].name for r in token.role_ids]
