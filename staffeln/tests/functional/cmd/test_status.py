"""staffeln-status upgrade check against real databases, the simulated
cloud over HTTP and a real Redis."""

import json
import os
import socket
import subprocess
import sys
import uuid

import fixtures
from oslo_upgradecheck import upgradecheck
import testscenarios

from staffeln.cloud import client as cloud_client
from staffeln.cmd import status
from staffeln.common import context as staffeln_context
from staffeln.db import api as db_api
from staffeln.db import migration
from staffeln.tests import base
from staffeln.tests.functional.conductor import base as conductor_base
from staffeln.tests.functional import db_fixture
from staffeln.tests.simcloud import fixture as sim_fixture

load_tests = testscenarios.load_tests_apply_scenarios

Code = upgradecheck.Code
REDIS_URL = os.environ.get('STAFFELN_TEST_REDIS_URL',
                           'redis://127.0.0.1:6379')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def no_sleep_cloud(conf):
    return cloud_client.Cloud(conf, sleep=lambda seconds: None)


class TestDatabaseCheck(base.TestCase):
    """The schema check on SQLite, MariaDB and PostgreSQL."""

    scenarios = db_fixture.scenarios()

    def check(self, db):
        self.flags(group='database', connection=db.url)
        return status.Checks(self.conf)._check_database()

    def test_at_head_succeeds(self):
        result = self.check(self.useFixture(db_fixture.Database(
            self.backend)))
        self.assertEqual(Code.SUCCESS, result.code, result.details)
        self.assertIn(migration.head(), result.details)

    def test_empty_database_fails(self):
        result = self.check(self.useFixture(db_fixture.Database(
            self.backend, schema=False)))
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('at nothing', result.details)
        self.assertIn('run staffeln-manage db upgrade', result.details)

    def test_older_schema_fails(self):
        db = self.useFixture(db_fixture.Database(self.backend, schema=False))
        first = migration.revisions()[0]
        migration.upgrade(first, engine=db.engine)
        result = self.check(db)
        if first == migration.head():
            self.assertEqual(Code.SUCCESS, result.code)
        else:
            self.assertEqual(Code.FAILURE, result.code)
            self.assertIn(f'at {first}, not {migration.head()}',
                          result.details)


class TestUnreachableDatabase(base.TestCase):

    def test_server_not_listening_fails_at_once(self):
        self.flags(group='database', max_retries=0)
        self.flags(group='database', connection=(
            f'mysql+pymysql://staffeln:hunter2@127.0.0.1:{free_port()}/s'))
        result = status.Checks(self.conf)._check_database()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('Cannot read the database', result.details)
        self.assertNotIn('hunter2', result.details)


class SimCloudTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.sim = self.useFixture(sim_fixture.SimCloudFixture())
        self.cloud = self.sim.cloud

    def use_user(self, name, password='pw', **roles):
        """Make ``[openstack]`` log in as a new user of the service project."""
        conductor_base.configure_cloud(self.conf, self.sim)
        self.cloud.add_user(name, password, **roles)
        self.flags(group='openstack', username=name, password=password)

    def checks(self):
        return status.Checks(self.conf, no_sleep_cloud)


class TestOpenStackAccess(SimCloudTestCase):

    def test_service_user_with_inherited_role_succeeds(self):
        conductor_base.configure_cloud(self.conf, self.sim)
        result = self.checks()._check_openstack()
        self.assertEqual(Code.SUCCESS, result.code, result.details)

    def test_admin_without_inherited_role_warns(self):
        self.use_user('lonely-admin',
                      roles={self.cloud.service_project.id: ['admin']})
        result = self.checks()._check_openstack()
        self.assertEqual(Code.WARNING, result.code, result.details)
        self.assertIn('no role assignment inherited to projects',
                      result.details)

    def test_member_cannot_list_all_projects(self):
        self.use_user('plain-member',
                      roles={self.cloud.service_project.id: ['member']},
                      inherited_roles=['member'])
        result = self.checks()._check_openstack()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn("Policy doesn't allow os_compute_api:servers:detail:"
                      "get_all_tenants to be performed", result.details)
        self.assertIn('needs the admin role', result.details)

    def test_wrong_password_fails(self):
        conductor_base.configure_cloud(self.conf, self.sim)
        self.flags(group='openstack', password='not-the-password')
        result = self.checks()._check_openstack()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('Keystone refuses', result.details)


class TestBackupService(SimCloudTestCase):

    def setUp(self):
        super().setUp()
        conductor_base.configure_cloud(self.conf, self.sim)

    def test_up_succeeds(self):
        result = self.checks()._check_backup_service()
        self.assertEqual(Code.SUCCESS, result.code, result.details)
        self.assertEqual('cinder-backup is enabled and up on simcloud.',
                         result.details)

    def test_down_warns(self):
        self.cloud.set_service('cinder-backup', state='down')
        result = self.checks()._check_backup_service()
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('simcloud (enabled, down)', result.details)

    def test_disabled_warns(self):
        self.cloud.set_service('cinder-backup', status='disabled')
        result = self.checks()._check_backup_service()
        self.assertEqual(Code.WARNING, result.code)

    def test_cinder_error_fails(self):
        self.cloud.faults.add('GET', '.*/os-services', status=500,
                              count=None)
        result = self.checks()._check_backup_service()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('Cannot list Cinder', result.details)


class TestBackupQuota(SimCloudTestCase):
    """The forecast of what retention keeps, against each quota."""

    def setUp(self):
        super().setUp()
        conductor_base.configure_cloud(self.conf, self.sim)
        self.useFixture(db_fixture.Database('sqlite'))
        self.context = staffeln_context.get_admin_context()

    def volumes(self, project, count: int, size: int = 10):
        db_api.save_volumes(self.context, [
            dict(id=str(uuid.uuid4()), project_id=project.id, size_gb=size,
                 interval_s=86400, retention={}) for _ in range(count)],
            self.sim.clock.now())

    def test_the_default_cinder_quota_is_too_small(self):
        small, big = self.sim.add_tenant('small')[0], self.sim.add_tenant(
            'big')[0]
        self.volumes(small, 1)
        self.volumes(big, 2)
        self.cloud.set_quota(big.id, backups=-1, backup_gigabytes=-1)
        result = self.checks()._check_quota()
        self.assertEqual(Code.WARNING, result.code, result.details)
        # Daily backups kept 14 days, two incrementals per full: 17.
        self.assertIn(f'project {small.id}: backups: 17 needed at steady '
                      f'state, the quota is 10', result.details)
        self.assertNotIn(big.id, result.details)

    def test_quotas_that_hold(self):
        project = self.sim.add_tenant('acme')[0]
        self.volumes(project, 2)
        self.cloud.set_quota(project.id, backups=40, backup_gigabytes=400)
        result = self.checks()._check_quota()
        self.assertEqual(Code.SUCCESS, result.code, result.details)


class TestCoordinationRedis(base.TestCase):

    def check(self, url):
        self.flags(group='coordination', backend_url=url)
        checks = status.Checks(self.conf)
        checks.coordination_timeout = 5
        return checks._check_coordination()

    def test_real_redis_answers(self):
        self.flags(group='coordination',
                   namespace=f'status{uuid.uuid4().hex[:8]}')
        result = self.check(REDIS_URL)
        self.assertEqual(Code.SUCCESS, result.code, result.details)
        self.assertEqual(f'The coordination backend {REDIS_URL} answers.',
                         result.details)

    def test_nothing_listening_fails(self):
        result = self.check(f'redis://:hunter2@127.0.0.1:{free_port()}')
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('cannot be', result.details)
        self.assertNotIn('hunter2', result.details)


class TestCommand(base.TestCase):
    """The console script, as an operator runs it after an install."""

    def setUp(self):
        super().setUp()
        self.sim = self.useFixture(sim_fixture.SimCloudFixture())
        conductor_base.configure_cloud(self.conf, self.sim)
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.db = self.useFixture(db_fixture.Database('sqlite'))

    def run_status(self, database_url, *args):
        path = os.path.join(self.tmp, f'{uuid.uuid4().hex}.conf')
        with open(path, 'w') as f:
            f.write(f"""[DEFAULT]
state_path = {self.tmp}

[database]
connection = {database_url}

[openstack]
auth_type = password
auth_url = {self.sim.auth_url}
username = {conductor_base.SERVICE_USER}
password = {conductor_base.SERVICE_PASSWORD}
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = {sim_fixture.REGION}
""")
        env = dict(os.environ)
        env.pop('OS_CLIENT_CONFIG_FILE', None)
        return subprocess.run(
            [sys.executable, '-c',
             'import sys; from staffeln.cmd import status; '
             'sys.exit(status.main())',
             '--config-file', path, 'upgrade', 'check', *args],
            capture_output=True, text=True, timeout=120, env=env)

    def test_healthy_install_exits_0(self):
        proc = self.run_status(self.db.url, '--json')
        self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)
        output = json.loads(proc.stdout)
        self.assertEqual(
            [('Database schema', 0), ('OpenStack access', 0),
             ('Coordination backend', 0), ('Cinder backup service', 0),
             ('Backup quota', 0)],
            [(c['check'], c['result']) for c in output['checks']])

    def test_empty_database_exits_2_with_a_table(self):
        empty = self.useFixture(db_fixture.Database('sqlite', schema=False))
        proc = self.run_status(empty.url)
        self.assertEqual(2, proc.returncode, proc.stdout + proc.stderr)
        self.assertIn('Check: Database schema', proc.stdout)
        self.assertIn('Result: Failure', proc.stdout)
        self.assertIn('Check: Cinder backup service', proc.stdout)

    def test_missing_config_file_is_one_line(self):
        proc = subprocess.run(
            [sys.executable, '-c',
             'import sys; from staffeln.cmd import status; '
             'sys.exit(status.main())',
             '--config-file', os.path.join(self.tmp, 'nope.conf'),
             'upgrade', 'check'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(2, proc.returncode)
        self.assertEqual(1, len(proc.stderr.strip().splitlines()),
                         proc.stderr)
        self.assertIn('nope.conf', proc.stderr)
