"""stack.sh to the plugin's "stack post-config", through devstack's code."""

import os
import sqlite3

import yaml

from staffeln.tests.functional.devstack import base
from staffeln.tests.functional.devstack import sandbox

POSIX_DRIVER = 'cinder.backup.drivers.posix.PosixBackupDriver'
SWIFT_DRIVER = 'cinder.backup.drivers.swift.SwiftBackupDriver'
#: The Horizon plugin's enabled files, as Horizon's local/enabled holds them.
DASHBOARD_ENABLED = ('_1334_staffeln_dashboard.py',
                     '_1335_project_automated_backups_panel.py',
                     '_2235_admin_backup_protection_panel.py')


def horizon_enabled(devstack) -> str:
    return devstack.file('opt', 'stack', 'horizon', 'openstack_dashboard',
                         'local', 'enabled')


def openstack_calls(devstack):
    """The openstack CLI calls, after ``--os-cloud devstack-system-admin``."""
    calls = []
    for call in devstack.calls('openstack'):
        assert call[1:3] == ['--os-cloud', 'devstack-system-admin'], call
        calls.append(call[3:])
    return calls


class TestPostConfig(base.TestCase):
    """The documented local.conf, on IPv4."""

    def setUp(self):
        super().setUp()
        self.ds = self.devstack()
        self.ds.must_run('stack', 'post-config')
        self.url = f'http://127.0.0.1:{self.ds.port}'

    def test_service_user_and_catalog_entry(self):
        calls = openstack_calls(self.ds)
        for call in (
                ['user', 'create', 'staffeln', '--password', 'secret',
                 '--domain=Default', '--or-show', '-f', 'value', '-c', 'id'],
                ['role', 'add', 'service', '--user', 'staffeln', '--project',
                 'service', '--user-domain', 'Default', '--project-domain',
                 'Default'],
                ['role', 'add', 'admin', '--user', 'staffeln', '--project',
                 'service', '--user-domain', 'Default', '--project-domain',
                 'Default'],
                ['role', 'add', '--user', 'staffeln', '--user-domain',
                 'Default', '--domain', 'default', '--inherited', 'member'],
                ['service', 'create', 'backup-automation', '--name',
                 'staffeln', '--description=Staffeln backup automation',
                 '-f', 'value', '-c', 'id'],
                ['endpoint', 'create', 'service-backup-automation-id',
                 'public', self.url, '--region', 'RegionOne', '-f', 'value',
                 '-c', 'id']):
            self.assertIn(call, calls)

    def test_cinder_backup_service_without_swift(self):
        stackenv = self.ds.read('devstack', '.stackenv')
        services = [line.split('=', 1)[1].split(',')
                    for line in stackenv.splitlines()
                    if line.startswith('ENABLED_SERVICES=')][0]
        self.assertIn('c-bak', services)
        self.assertNotIn('s-proxy', services)
        cinder = base.ini(self.ds.file('etc', 'cinder', 'cinder.conf'))
        backups = self.ds.file('opt', 'stack', 'data', 'cinder', 'backups')
        self.assertEqual(
            {'backup_driver': POSIX_DRIVER, 'backup_posix_path': backups},
            {key: value for key, value in cinder['DEFAULT'].items()
             if key.startswith('backup_')})
        self.assertTrue(os.path.isdir(backups))

    def test_uwsgi_ini(self):
        uwsgi = base.ini(self.ds.file('etc', 'staffeln',
                                      'staffeln-api-uwsgi.ini'))['uwsgi']
        conf = self.ds.file('etc', 'staffeln', 'staffeln.conf')
        self.assertEqual('staffeln.wsgi.api:application', uwsgi['module'])
        self.assertEqual(f'0.0.0.0:{self.ds.port}', uwsgi['http'])
        self.assertEqual(['http', 'python3'], uwsgi['plugins'].split(','))
        self.assertEqual(f'STAFFELN_CONFIG_FILES={conf}', uwsgi['env'])
        self.assertEqual(
            {'need-app': 'true', 'processes': '2', 'threads': '8',
             'master': 'true', 'lazy-apps': 'true', 'die-on-term': 'true'},
            {key: uwsgi[key] for key in ('need-app', 'processes', 'threads',
                                         'master', 'lazy-apps',
                                         'die-on-term')})

    def test_dashboard_enabled_in_horizon(self):
        # devstack enables Horizon by default.
        enabled = horizon_enabled(self.ds)
        self.assertEqual(list(DASHBOARD_ENABLED), sorted(os.listdir(enabled)))
        plugin = os.path.join(sandbox.TOP, 'staffeln', 'dashboard', 'enabled')
        for name in DASHBOARD_ENABLED:
            self.assertEqual(
                os.path.join(plugin, name),
                os.path.realpath(os.path.join(enabled, name)))

    def test_cinder_policy_rule(self):
        policy = self.ds.file('etc', 'cinder', 'policy.yaml')
        rule = (f'role:admin or (project_id:%(project_id)s and '
                f'{self.url}/v1/backup?backup_id=%(id)s)')
        self.assertEqual(
            '# staffeln-api decides whether a backup can be deleted.\n'
            f'"backup:delete": "{rule}"\n', self.ds.read(policy))
        self.assertEqual({'backup:delete': rule},
                         yaml.safe_load(self.ds.read(policy)))
        cinder = base.ini(self.ds.file('etc', 'cinder', 'cinder.conf'))
        self.assertEqual(policy, cinder['oslo_policy']['policy_file'])

    def test_database(self):
        self.assertEqual(
            [['mysql', '-uroot', '-psecret', '-h127.0.0.1', '-e',
              'DROP DATABASE IF EXISTS staffeln;'],
             ['mysql', '-uroot', '-psecret', '-h127.0.0.1', '-e',
              'CREATE DATABASE staffeln CHARACTER SET utf8;']],
            self.ds.calls('mysql'))
        conf = base.ini(self.ds.file('etc', 'staffeln', 'staffeln.conf'))
        database = self.ds.file('db', 'staffeln')
        self.assertEqual(f'sqlite:///{database}?charset=utf8',
                         conf['database']['connection'])
        # staffeln-manage db upgrade made the schema.
        with sqlite3.connect(database) as db:
            self.assertEqual(1, len(db.execute(
                'SELECT version_num FROM alembic_version').fetchall()))


class TestBackupDriverChoice(base.TestCase):

    def backup_driver(self, *localrc):
        ds = self.devstack('HOST_IP=127.0.0.1', *localrc)
        ds.must_run('stack', 'post-config')
        cinder = base.ini(ds.file('etc', 'cinder', 'cinder.conf'))
        return cinder['DEFAULT']['backup_driver']

    def test_c_bak_enabled_in_local_conf(self):
        # As the documented local.conf does: lib/cinder sees c-bak.
        self.assertEqual(POSIX_DRIVER,
                         self.backup_driver('enable_service c-bak'))

    def test_driver_chosen_in_local_conf_is_kept(self):
        self.assertEqual(SWIFT_DRIVER,
                         self.backup_driver('CINDER_BACKUP_DRIVER=swift'))

    def test_swift_is_kept_when_swift_runs(self):
        self.assertEqual(SWIFT_DRIVER,
                         self.backup_driver('enable_service s-proxy'))


class TestIPv6(base.TestCase):

    def rule_and_endpoint(self, ds):
        policy = yaml.safe_load(ds.read('etc', 'cinder', 'policy.yaml'))
        endpoint = [call[3:5] for call in openstack_calls(ds)
                    if call[:2] == ['endpoint', 'create']]
        return policy['backup:delete'], endpoint

    def test_devstack_brackets_the_address(self):
        ds = self.devstack('SERVICE_IP_VERSION=6', 'HOST_IPV6=2001:db8::1')
        ds.must_run('stack', 'post-config')
        url = f'http://[2001:db8::1]:{ds.port}'
        self.assertEqual(
            (f'role:admin or (project_id:%(project_id)s and '
             f'{url}/v1/backup?backup_id=%(id)s)', [['public', url]]),
            self.rule_and_endpoint(ds))
        uwsgi = base.ini(ds.file('etc', 'staffeln', 'staffeln-api-uwsgi.ini'))
        self.assertEqual(f'[::]:{ds.port}', uwsgi['uwsgi']['http'])

    def test_address_without_brackets(self):
        ds = self.devstack('SERVICE_IP_VERSION=6', 'HOST_IPV6=2001:db8::1',
                           'STAFFELN_API_HOST=2001:db8::1')
        ds.must_run('stack', 'post-config')
        url = f'http://[2001:db8::1]:{ds.port}'
        self.assertEqual(
            (f'role:admin or (project_id:%(project_id)s and '
             f'{url}/v1/backup?backup_id=%(id)s)', [['public', url]]),
            self.rule_and_endpoint(ds))


class TestDashboard(base.TestCase):
    """Without Horizon, nothing of the dashboard is set up."""

    def test_not_without_horizon(self):
        ds = self.devstack('HOST_IP=127.0.0.1', 'disable_service horizon')
        ds.must_run('stack', 'post-config')
        self.assertFalse(os.path.exists(horizon_enabled(ds)))
