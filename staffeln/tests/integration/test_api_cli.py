"""The ``openstack staffeln`` commands against the real cloud.

staffeln-api runs in-process behind keystonemiddleware, validating the real
Keystone's tokens; the real ``openstack`` command runs as a process with a
tenant member's credentials (and the admin's), pointed at the API with
``--os-staffeln-url`` (the shared cloud's catalog is left alone; finding
the API in the catalog is tested on the simulated cloud). The conductor's
cycles make the backups, in the real Cinder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from keystoneauth1 import loading as ks_loading
from keystonemiddleware import auth_token

from staffeln.common import clock
from staffeln.conductor import manager
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.integration import service_user
from staffeln.tests import realcloud

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


class TestOpenstackStaffeln(service_user.StaffelnTestCase):

    def setUp(self) -> None:
        super().setUp()
        creds = realcloud.admin_credentials()
        self.creds = creds
        for group, opts in auth_token.list_opts():
            self.conf.register_opts(opts, group=group)
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='keystone_authtoken')
        for key, value in {
                'auth_type': 'password', 'auth_url': creds.auth_url,
                'www_authenticate_uri': creds.auth_url,
                'username': self.service.name,
                'password': self.service.password,
                'project_name': 'admin', 'user_domain_name': 'Default',
                'project_domain_name': 'Default',
                'region_name': creds.region}.items():
            self.conf.set_override(key, value, group='keystone_authtoken')
        self.flags(auth_strategy='keystone', group='api')
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf,
                                                          clock.Clock()))

    def run_once(self):
        result = manager.Manager.build(self.conf, clock.Clock()).run_once(
            self.context)
        self.assertTrue(result.ok, (result.errors, [
            (t.volume_id, t.reason) for t in result.failed]))
        return result

    def openstack(self, tenant, *args, check=True):
        env = {'PATH': os.environ.get('PATH', ''),
               'HOME': self.conf.state_path,
               'OS_AUTH_URL': self.creds.auth_url,
               'OS_USER_DOMAIN_NAME': 'Default',
               'OS_REGION_NAME': self.creds.region,
               'OS_IDENTITY_API_VERSION': '3',
               'OS_STAFFELN_URL': self.api.url}
        if tenant is None:
            env.update(OS_USERNAME=self.creds.username,
                       OS_PASSWORD=self.creds.password,
                       OS_PROJECT_NAME=self.creds.project_name,
                       OS_PROJECT_DOMAIN_NAME='Default')
        else:
            env.update(OS_USERNAME=tenant.user_name,
                       OS_PASSWORD=tenant.password,
                       OS_PROJECT_ID=tenant.project_id)
        done = subprocess.run([OPENSTACK, 'staffeln', *args], env=env,
                              capture_output=True, text=True, timeout=300)
        if not check:
            return done
        self.assertEqual(0, done.returncode, done.stderr)
        return json.loads(done.stdout) if '-f' in args else done.stdout

    def test_member_backs_up_now_and_restores_admin_moves_records(self):
        acme, globex = self.cloud.add_tenant(), self.cloud.add_tenant()
        web = self.cloud.boot_from_volume(acme, 'web',
                                          metadata={self.key: 'yes'})
        app = self.cloud.boot_from_volume(globex, 'app',
                                          metadata={self.key: 'yes'})
        self.run_once()

        volumes = self.openstack(acme, 'volume', 'list', '-f', 'json')
        self.assertEqual([(web.boot_volume_id, 'protected')],
                         [(v['ID'], v['State']) for v in volumes])
        refused = self.openstack(acme, 'volume', 'show', app.boot_volume_id,
                                 check=False)
        self.assertIn('HTTP 403', refused.stderr)

        queued = self.openstack(acme, 'backup', 'create', '--now',
                                '--volume', web.boot_volume_id, '-f', 'json')
        self.assertEqual(['queued'], [t['Status'] for t in queued])
        self.run_once()
        backups = self.openstack(acme, 'backup', 'list', '-f', 'json')
        now = [b for b in backups if b['On Demand']]
        self.assertEqual([('incremental', 'available')],
                         [(b['Type'], b['Status']) for b in now])
        backup_id = now[0]['ID']

        restore = self.openstack(acme, 'restore', 'create', backup_id,
                                 '--name', 'web-restored', '-f', 'json')
        done = realcloud.wait_for(
            lambda: self.openstack(acme, 'restore', 'show', restore['uuid'],
                                   '-f', 'json'),
            lambda r: r['status'] != 'restoring', what='restore',
            timeout=realcloud.BACKUP_TIMEOUT)
        self.assertEqual('available', done['status'])
        source = acme.connection.block_storage.get_volume(web.boot_volume_id)
        restored = acme.connection.block_storage.get_volume(
            done['volume_id'])
        self.assertEqual(('available', source.size, acme.project_id),
                         (restored.status, restored.size,
                          self.cloud.admin.block_storage.get_volume(
                              done['volume_id']).project_id))

        record = self.openstack(None, 'export', backup_id, '-f', 'json')
        self.assertTrue(record['backup_url'])
        self.cloud.admin.block_storage.delete_backup(backup_id)
        realcloud.wait_backup_deleted(self.cloud.admin, backup_id)
        imported = self.openstack(None, 'import', record['backup_service'],
                                  record['backup_url'], '-f', 'json')
        # An imported backup is in the importer's (the admin's) project.
        self.addCleanup(realcloud.delete_backups, self.cloud.admin,
                        [imported['id']])
        self.assertEqual(backup_id, imported['id'])
        realcloud.wait_backup(self.cloud.admin, imported['id'])
