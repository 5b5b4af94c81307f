"""Keystone: projects, the users who get digests, the service user."""

from openstack import exceptions as sdk_exc

from staffeln.cloud import calls


class KeystoneCalls(calls.Calls):

    def get_project(self, project_id: str) -> dict:
        project = self._call(
            f'reading project {project_id}',
            lambda: self._service.identity.get_project(project_id))
        return {'id': project.id, 'name': project.name,
                'domain_id': project.domain_id}

    def project_user_emails(self, project_id: str,
                            role_name: str) -> list[str]:
        """Emails of the users holding ``role_name`` in the project."""
        def identity():
            return self._service.identity

        roles = self._call('listing roles', lambda: list(
            identity().roles(name=role_name)))
        if not roles:
            return []
        assignments = self._call(
            f'listing role assignments of project {project_id}',
            lambda: list(identity().role_assignments(
                scope_project_id=project_id, role_id=roles[0].id,
                effective=True)))
        emails = []
        for assignment in assignments:
            user_id = (assignment.user or {}).get('id')
            if not user_id:
                continue
            user = self._call(f'reading user {user_id}',
                              lambda: identity().get_user(user_id))
            email = getattr(user, 'email', None)
            if email and email not in emails:
                emails.append(email)
        return emails

    def inherited_role_assignments(self) -> list[dict]:
        """The service user's own role assignments inherited to projects.

        Each is ``{'role_id', 'domain_id', 'project_id'}`` (one of the two
        ids set). Assignments through groups are not listed.
        """
        def fetch():
            service = self._service
            response = service.identity.get('/role_assignments', params={
                'user.id': service.current_user_id,
                'scope.OS-INHERIT:inherited_to': 'projects'})
            sdk_exc.raise_from_response(response)
            found = []
            for item in response.json().get('role_assignments', []):
                scope = item.get('scope') or {}
                found.append({
                    'role_id': (item.get('role') or {}).get('id'),
                    'domain_id': (scope.get('domain') or {}).get('id'),
                    'project_id': (scope.get('project') or {}).get('id')})
            return found
        return self._call('listing the role assignments of the service user',
                          fetch)
