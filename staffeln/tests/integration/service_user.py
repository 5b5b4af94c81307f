"""Staffeln's own service user on the real cloud, as an operator sets it up.

An admin in the admin project (to list every project's servers and
volumes) with the member role inherited on the default domain, so it can
scope a token to any tenant project and create that tenant's backups there.
"""

from __future__ import annotations

import uuid

import fixtures
from keystoneauth1 import loading as ks_loading

from staffeln.common import context as staffeln_context
from staffeln.tests import base as test_base
from staffeln.tests.functional import db_fixture
from staffeln.tests.integration import base
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


class StaffelnTestCase(base.IntegrationTestCase, test_base.TestCase):
    """Staffeln against the real cloud: its own database and service user.

    Servers are opted in with a metadata key of the test's own
    (``self.key``), so tests running beside it never back up its servers,
    nor it theirs.
    """

    def setUp(self) -> None:
        super().setUp()
        self.requires_compute()
        self.useFixture(db_fixture.Database('sqlite'))
        self.service = self.useFixture(ServiceUser(self.cloud.admin))
        self.service.configure(self.conf)
        self.key = f'backup-{uuid.uuid4().hex[:8]}'
        self.flags(group='conductor', backup_metadata_key=self.key,
                   full_backup_depth=1, run_once_poll_interval=2,
                   backup_timeout='10min')
        self.context = staffeln_context.get_admin_context()
