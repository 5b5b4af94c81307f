"""The delete hook against the real Cinder (``STAFFELN_REALCLOUD=1``).

Staffeln's API runs in-process on loopback; Cinder's live policy file gets
the ``backup:delete`` and ``backup:update`` lines of the documentation,
pointing at it. Then:

* a tenant member's delete of a Staffeln backup is refused by Cinder (403),
  and so is an update that would strip its marker (``backup:update``);
* the member's manual backup updates and deletes fine;
* Staffeln's retention, as the service user (a member of the project, not an
  admin), releases its backup (task ``deleting``) and deletes it;
* with Staffeln's database down (403) or staffeln-api down (500), Cinder
  refuses every delete the rule sends to Staffeln.

The original policy file is put back afterwards.
"""

from __future__ import annotations

import os
import uuid

import fixtures
from keystoneauth1 import loading as ks_loading
from openstack import exceptions as os_exc
from oslo_config import cfg

from staffeln.cloud import client as cloud_client
from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln import conf as staffeln_conf
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture
from staffeln.tests.integration import base
from staffeln.tests import realcloud

POLICY_FILE = os.path.join(os.environ.get('REALCLOUD_DIR', '/tmp/realcloud'),
                           'etc', 'cinder', 'policy.yaml')
MARKER = '__automated_backup'


class CinderPolicy(fixtures.Fixture):
    """Cinder's live policy.yaml with extra lines; restored on cleanup."""

    def __init__(self, lines: str):
        super().__init__()
        self.lines = lines

    def _setUp(self):
        with open(POLICY_FILE) as f:
            original = f.read()
        self.addCleanup(self._write, original)
        self._write(self.lines)

    @staticmethod
    def _write(text: str) -> None:
        # Cinder reloads the file when its modification time changes.
        with open(POLICY_FILE, 'w') as f:
            f.write(text)
        stat = os.stat(POLICY_FILE)
        os.utime(POLICY_FILE, ns=(stat.st_atime_ns,
                                  stat.st_mtime_ns + 1_000_000_000))


class ServiceUser(fixtures.Fixture):
    """Staffeln's service user: the ``member`` role on the project."""

    def __init__(self, admin, project_id: str):
        super().__init__()
        self.admin = admin
        self.project_id = project_id

    def _setUp(self):
        identity = self.admin.identity
        self.password = uuid.uuid4().hex
        self.user = identity.create_user(
            name=realcloud.unique_name('staffeln'), password=self.password,
            domain_id='default', default_project_id=self.project_id)
        self.addCleanup(identity.delete_user, self.user.id)
        identity.assign_project_role_to_user(
            self.project_id, self.user.id,
            identity.find_role(realcloud.MEMBER_ROLE, ignore_missing=False))

    def cloud(self) -> cloud_client.Cloud:
        """Staffeln's OpenStack adapter, logged in as this user."""
        creds = realcloud.admin_credentials()
        conf = cfg.ConfigOpts()
        staffeln_conf.register_opts(conf)
        conf([], project='staffeln', default_config_files=[],
             default_config_dirs=[])
        conf.register_opts(ks_loading.get_auth_plugin_conf_options(
            'password'), group='openstack')
        for name, value in (('auth_type', 'password'),
                            ('auth_url', creds.auth_url),
                            ('username', self.user.name),
                            ('password', self.password),
                            ('project_id', self.project_id),
                            ('user_domain_name', 'Default'),
                            ('region_name', creds.region)):
            conf.set_override(name, value, group='openstack')
        return cloud_client.Cloud(conf, sleep=lambda _: None)


class DeleteHookTest(base.IntegrationTestCase):

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database('sqlite'))
        self.conf = cfg.ConfigOpts()
        staffeln_conf.register_opts(self.conf)
        self.conf([], project='staffeln', default_config_files=[],
                  default_config_dirs=[])
        self.conf.set_override('auth_strategy', 'noauth', group='api')
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf))
        self.tenant = self.cloud.add_tenant()
        self.member = self.tenant.connection
        self.service = self.useFixture(ServiceUser(
            self.cloud.admin, self.tenant.project_id)).cloud()

    def policy(self, port: int) -> None:
        # The lines of doc/source/admin/delete-hook.rst.
        check = (f'http://127.0.0.1:{port}/v1/backup?backup_id=%(id)s')
        self.useFixture(CinderPolicy(
            '"backup:delete": "role:admin or (project_id:%(project_id)s '
            f'and {check})"\n'
            '"backup:update": "role:admin or (project_id:%(project_id)s '
            f'and {check})"\n'))

    def update_metadata(self, backup_id: str, metadata: dict) -> int:
        response = self.member.block_storage.put(
            f'/backups/{backup_id}', json={'backup': {'metadata': metadata}},
            microversion='3.43')
        return response.status_code

    def staffeln_backup(self, volume_id: str) -> tuple[str, int]:
        """A backup made the way the conductor makes one: (id, task id)."""
        context = staffeln_context.get_admin_context()
        task = db_api.create_task(context, {
            'project_id': self.tenant.project_id, 'volume_id': volume_id,
            'backup_type': 'full', 'status': states.QUEUED})
        self.assertTrue(db_api.transition(context, task.id, states.QUEUED,
                                          states.STARTING,
                                          now=clock.utcnow()))
        backup = self.service.create_backup(
            self.tenant.project_id, volume_id, f'{volume_id}-staffeln',
            'Full backup by Staffeln', incremental=False, force=False,
            metadata={MARKER: 'True', '__staffeln_task': task.uuid})
        self.assertTrue(db_api.transition(context, task.id, states.STARTING,
                                          states.CREATING,
                                          now=clock.utcnow(),
                                          backup_id=backup.id))
        realcloud.wait_backup(self.member, backup.id)
        self.assertTrue(db_api.transition(context, task.id, states.CREATING,
                                          states.AVAILABLE,
                                          now=clock.utcnow()))
        return backup.id, task.id

    def manual_backup(self, volume_id: str) -> str:
        backup = self.member.block_storage.create_backup(
            volume_id=volume_id, name=realcloud.unique_name('manual'))
        return realcloud.wait_backup(self.member, backup.id).id

    def assertDeleteRefused(self, backup_id: str) -> int:
        try:
            self.member.block_storage.delete_backup(backup_id)
        except os_exc.HttpException as exc:
            status = exc.status_code
        else:
            self.fail(f'Cinder accepted the delete of {backup_id}')
        backup = self.member.block_storage.get_backup(backup_id)
        self.assertEqual('available', backup.status)
        return status

    def test_cinder_asks_staffeln(self):
        volumes = [self.cloud.create_volume(self.tenant) for _ in range(3)]
        automated, task_id = self.staffeln_backup(volumes[0].id)
        manual = self.manual_backup(volumes[1].id)
        manual_later = self.manual_backup(volumes[2].id)
        metadata = self.member.block_storage.get(
            f'/backups/{automated}', microversion='3.43').json()
        self.assertEqual('True', metadata['backup']['metadata'][MARKER])
        self.policy(self.api.port)

        # The tenant can neither strip the marker of Staffeln's backup nor
        # delete it ...
        self.assertEqual(403, self.update_metadata(automated, {}))
        self.assertEqual(403, self.assertDeleteRefused(automated))
        # ... but updates and deletes their own.
        self.assertEqual(200, self.update_metadata(manual, {'k': 'v'}))
        self.member.block_storage.delete_backup(manual)
        realcloud.wait_backup_deleted(self.member, manual)

        # Staffeln's retention releases its backup, then deletes it as the
        # service user, who is a member of the project and no admin.
        context = staffeln_context.get_admin_context()
        self.assertTrue(db_api.transition(context, task_id,
                                          states.AVAILABLE,
                                          states.DELETING,
                                          now=clock.utcnow()))
        self.service.delete_backup(self.tenant.project_id, automated)
        realcloud.wait_backup_deleted(self.member, automated)

        # Staffeln's database down: the hook answers 503, which is not
        # True, and Cinder refuses with 403.
        api_fixtures.stop_database(self.db)
        self.assertEqual(403, self.assertDeleteRefused(manual_later))

        # staffeln-api down: oslo.policy's http check raises a connection
        # error inside Cinder, which answers 500 and deletes nothing.
        self.api.stop()
        self.assertEqual(500, self.assertDeleteRefused(manual_later))
