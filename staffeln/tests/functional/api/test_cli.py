"""The ``openstack staffeln ...`` commands, run as processes.

The real ``openstack`` command (python-openstackclient with Staffeln's
plugin) authenticates to the simulated Keystone as a tenant's member or
the admin, finds staffeln-api in the catalog (``backup-automation``), and
staffeln-api validates the token with keystonemiddleware.
"""

import json
import os
import subprocess
import sys

from keystoneauth1 import loading as ks_loading
from keystonemiddleware import auth_token

from staffeln.cloud import client as cloud_client
from staffeln.common import context as staffeln_context
from staffeln.db import api as db_api
from staffeln.db import api_policies
from staffeln.db import api_quotas
from staffeln.db import states
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional.api import rest
from staffeln.tests.functional.conductor import base as conductor_base
from staffeln.tests.simcloud import fixture as sim_fixture
from staffeln.tests.simcloud import state as sim_state

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


class TestCli(rest.RestTestCase):

    def setUp(self):
        super().setUp()
        self.sim = self.useFixture(sim_fixture.SimCloudFixture(
            clock=self.clock))
        conductor_base.configure_cloud(self.conf, self.sim)
        self.use_keystone()
        self.alpha, _ = self.sim.add_tenant('alpha')
        self.beta, _ = self.sim.add_tenant('beta')
        self.volume = self.sim.cloud.add_volume(self.alpha.id, size=2,
                                                name='data')
        self.beta_volume = self.sim.cloud.add_volume(self.beta.id, size=1,
                                                     name='theirs')
        ctx = staffeln_context.get_admin_context()
        db_api.save_volumes(ctx, [
            {'id': v.id, 'project_id': v.project_id, 'name': v.name,
             'size_gb': v.size, 'status': 'available', 'interval_s': 86400}
            for v in (self.volume, self.beta_volume)], rest.NOW)
        self.backup_id = self.make_backup(ctx)

    def use_keystone(self):
        """staffeln-api behind keystonemiddleware, in the catalog."""
        for group, opts in auth_token.list_opts():
            self.conf.register_opts(opts, group=group)
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='keystone_authtoken')
        for key, value in {
                'auth_type': 'password', 'auth_url': self.sim.auth_url,
                'www_authenticate_uri': self.sim.auth_url,
                'username': conductor_base.SERVICE_USER,
                'password': conductor_base.SERVICE_PASSWORD,
                'project_name': 'service', 'user_domain_name': 'Default',
                'project_domain_name': 'Default',
                'region_name': sim_fixture.REGION}.items():
            self.conf.set_override(key, value, group='keystone_authtoken')
        self.flags(auth_strategy='keystone', group='api')
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf,
                                                          self.clock))
        self.sim.cloud.catalog_extras.append(
            ('backup-automation', 'staffeln', self.api.url))

    def make_backup(self, ctx) -> str:
        cloud = cloud_client.Cloud(self.conf, sleep=lambda s: None)
        backup = cloud.create_backup(
            self.alpha.id, self.volume.id, 'data-backup',
            'Full backup by Staffeln', incremental=False, force=True,
            metadata={'__automated_backup': 'True'})
        self.sim.cloud.advance(self.sim.cloud.backup_duration)
        db_api.create_task(ctx, {
            'project_id': self.alpha.id, 'volume_id': self.volume.id,
            'volume_name': 'data', 'backup_type': 'full',
            'status': states.AVAILABLE, 'backup_id': backup.id,
            'size_gb': 2, 'created_at': rest.NOW, 'started_at': rest.NOW})
        return backup.id

    def openstack(self, *args, user='alpha-user', password='secret',
                  project='alpha', check=True):
        env = {'PATH': os.environ.get('PATH', ''),
               'HOME': self.conf.state_path,
               'OS_AUTH_URL': self.sim.auth_url, 'OS_USERNAME': user,
               'OS_PASSWORD': password, 'OS_PROJECT_NAME': project,
               'OS_USER_DOMAIN_NAME': 'Default',
               'OS_PROJECT_DOMAIN_NAME': 'Default',
               'OS_REGION_NAME': sim_fixture.REGION,
               'OS_IDENTITY_API_VERSION': '3', 'OS_INTERFACE': 'public'}
        done = subprocess.run([OPENSTACK, 'staffeln', *args], env=env,
                              capture_output=True, text=True, timeout=120)
        if check:
            self.assertEqual(0, done.returncode, done.stderr)
            return json.loads(done.stdout) if '-f' in args else done.stdout
        return done

    def admin(self, *args, check=True):
        return self.openstack(*args, user='admin',
                              password=sim_state.ADMIN_PASSWORD,
                              project='admin', check=check)

    def test_member_sees_backs_up_and_restores(self):
        volumes = self.openstack('volume', 'list', '-f', 'json')
        self.assertEqual([self.volume.id], [v['ID'] for v in volumes])
        backups = self.openstack('backup', 'list', '-f', 'json')
        self.assertEqual([(self.backup_id, 'full')],
                         [(b['ID'], b['Type']) for b in backups])
        queued = self.openstack('backup', 'create', '--now', '--volume',
                                self.volume.id, '-f', 'json')
        self.assertEqual([(self.volume.id, 'incremental', 'queued')],
                         [(t['Volume'], t['Type'], t['Status'])
                          for t in queued])
        restore = self.openstack('restore', 'create', self.backup_id,
                                 '--name', 'data-restored',
                                 '--availability-zone', 'nova', '-f', 'json')
        self.assertEqual('restoring', restore['status'])
        self.sim.cloud.advance(self.sim.cloud.restore_duration)
        done = self.openstack('restore', 'show', restore['uuid'],
                              '-f', 'json')
        self.assertEqual('available', done['status'])
        new = self.sim.cloud.volumes.get(done['volume_id'])
        self.assertEqual((self.alpha.id, 2, 'available'),
                         (new.project_id, new.size, new.status))
        plan = self.openstack('prune', '--volume', self.volume.id,
                              '--dry-run', '-f', 'json')
        self.assertEqual([(self.backup_id, 'keep')],
                         [(b['Backup'], b['Action']) for b in plan])
        self.assertEqual([], self.openstack('prune', '--volume',
                                            self.volume.id, '-f', 'json'))

    def test_member_cannot_see_another_project(self):
        refused = self.openstack('volume', 'show', self.beta_volume.id,
                                 check=False)
        self.assertEqual(1, refused.returncode)
        self.assertIn('HTTP 403', refused.stderr)
        refused = self.openstack('volume', 'list', '--all-projects',
                                 check=False)
        self.assertIn('HTTP 403', refused.stderr)
        refused = self.openstack('export', self.backup_id, check=False)
        self.assertIn('HTTP 403', refused.stderr)

    def test_admin_exports_and_imports_a_record(self):
        every = self.admin('volume', 'list', '--all-projects', '-f', 'json')
        self.assertEqual(2, len(every))
        # The conductor planned one volume under the default policy.
        ctx = staffeln_context.get_admin_context()
        default = api_policies.get_policy(ctx, 'default')
        api_policies.save_volume_policies(ctx, {
            self.volume.id: [(default.id, rest.NOW, 'due')]})
        by_default = self.admin('volume', 'list', '--all-projects',
                                '--policy', 'default', '-f', 'json')
        self.assertEqual([self.volume.id], [v['ID'] for v in by_default])
        record = self.admin('export', self.backup_id, '-f', 'json')
        self.sim.cloud.backups.remove(
            self.sim.cloud.backups.get(self.backup_id))
        imported = self.admin('import', record['backup_service'],
                              record['backup_url'], '-f', 'json')
        self.assertEqual(self.backup_id, imported['id'])

    def test_admin_manages_policies(self):
        created = self.admin('policy', 'create', 'hourly', '--schedule',
                             '1h', '--retention', '2w', '--project',
                             self.alpha.id, '-f', 'json')
        self.assertEqual((3600 * 24 * 14, self.alpha.id),
                         (created['retention_s'], created['projects']))
        self.admin('policy', 'set', 'hourly', '--description', 'hourly')
        names = self.openstack('policy', 'list', '-f', 'json')
        self.assertEqual(['default', 'hourly'], [p['Name'] for p in names])
        # No volume is protected by it yet: the conductor has not planned.
        self.assertEqual([], self.admin('volume', 'list', '--all-projects',
                                        '--policy', 'hourly', '-f', 'json'))
        self.admin('policy', 'delete', 'hourly')
        stats = self.admin('stats', 'show', '--all-projects', '-f', 'json')
        self.assertEqual((2, 1), (stats['volumes'], stats['backups']))

    def test_stats_show_quota_use(self):
        ctx = staffeln_context.get_admin_context()
        for project, used in ((self.alpha.id, 3), (self.beta.id, 1)):
            api_quotas.record_quota(ctx, project, {
                'backups': {'limit': 10, 'in_use': used, 'reserved': 0},
                'backup_gigabytes': {'limit': 100, 'in_use': 2 * used,
                                     'reserved': 0}}, rest.NOW)
        every = self.admin('stats', 'show', '--all-projects', '-f', 'json')
        self.assertEqual((4, 20, 8, 200, rest.NOW.isoformat()), (
            every['quota_backups_used'], every['quota_backups_limit'],
            every['quota_backup_gigabytes_used'],
            every['quota_backup_gigabytes_limit'], every['quota_read_at']))
        # A member's own statistics ask Cinder.
        self.sim.cloud.set_quota(self.alpha.id, backups=5,
                                 backup_gigabytes=50)
        own = self.openstack('stats', 'show', '-f', 'json')
        self.assertEqual((1, 5, 2, 50), (
            own['quota_backups_used'], own['quota_backups_limit'],
            own['quota_backup_gigabytes_used'],
            own['quota_backup_gigabytes_limit']))

    def test_member_sets_its_project_s_webhook(self):
        hook = self.openstack('webhook', 'set', '--url',
                              'https://chat.example.org/hooks/alpha',
                              '--secret', 'k3y', '--events', 'all',
                              '--body-format', 'slack', '-f', 'json')
        self.assertEqual(
            ('https://chat.example.org/hooks/alpha', True, 'all', 'slack'),
            (hook['url'], hook['signed'], hook['events'],
             hook['body_format']))
        shown = self.openstack('webhook', 'show', '-f', 'json')
        self.assertEqual((self.alpha.id, True),
                         (shown['project_id'], shown['signed']))
        self.assertNotIn('k3y', json.dumps(shown))
        bad = self.openstack('webhook', 'set', '--url', 'ftp://x.org/',
                             check=False)
        self.assertIn('HTTP 400', bad.stderr)
        self.assertIn('url must be an http or https URL', bad.stderr)
        refused = self.openstack('webhook', 'set', '--project',
                                 self.beta.id, '--url',
                                 'https://chat.example.org/', check=False)
        self.assertIn('HTTP 403', refused.stderr)
        self.openstack('webhook', 'unset')
        self.assertIsNone(self.openstack('webhook', 'show', '-f',
                                         'json')['url'])
        # An admin sets another project's.
        hook = self.admin('webhook', 'set', '--project', self.beta.id,
                          '--url', 'http://chat.example.org/beta', '-f',
                          'json')
        self.assertEqual(self.beta.id, hook['project_id'])
