"""Staffeln's own service user on the real cloud, as an operator sets it up.

An admin in the admin project (to list every project's servers and
volumes) with the member role inherited on the default domain, so it can
scope a token to any tenant project and create that tenant's backups there.
"""

from __future__ import annotations

import uuid

import fixtures
from keystoneauth1 import loading as ks_loading

from staffeln.tests import realcloud


class ServiceUser(fixtures.Fixture):

    def __init__(self, admin) -> None:
        super().__init__()
        self.admin = admin

    def _setUp(self) -> None:
        identity = self.admin.identity
        self.name = realcloud.unique_name('staffeln')
        self.password = uuid.uuid4().hex
        user = identity.create_user(name=self.name, password=self.password,
                                    domain_id='default')
        self.addCleanup(identity.delete_user, user.id)
        admin_project = identity.find_project('admin', ignore_missing=False)
        admin_role = identity.find_role('admin', ignore_missing=False)
        member_role = identity.find_role(realcloud.MEMBER_ROLE,
                                         ignore_missing=False)
        identity.assign_project_role_to_user(admin_project.id, user.id,
                                             admin_role)
        response = identity.put(
            f'/OS-INHERIT/domains/default/users/{user.id}/roles/'
            f'{member_role.id}/inherited_to_projects')
        if response.status_code != 204:
            raise AssertionError(
                f'inherited role assignment failed: {response.text}')

    def configure(self, conf) -> None:
        """Point ``[openstack]`` of ``conf`` at the cloud as this user."""
        creds = realcloud.admin_credentials()
        conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='openstack')
        for key, value in {
                'auth_type': 'password', 'auth_url': creds.auth_url,
                'username': self.name, 'password': self.password,
                'project_name': 'admin', 'user_domain_name': 'Default',
                'project_domain_name': 'Default',
                'region_name': creds.region}.items():
            conf.set_override(key, value, group='openstack')
