"""unstack.sh and clean.sh leave Cinder and the database as they were."""

import os

import yaml

from staffeln.tests.functional.devstack import base

#: A policy file of the operator's: its own backup:delete rule, a mode of
#: its own, no newline at the end.
OPERATOR_POLICY = (b'# This cloud\'s rules.\n'
                   b'"backup:delete": "role:admin"\n'
                   b'"volume:delete": "rule:admin_or_owner"')
DROP = ['mysql', '-uroot', '-psecret', '-h127.0.0.1', '-e',
        'DROP DATABASE IF EXISTS staffeln;']
STOP_MYSQL = ['sudo', '--skipped--', '/bin/systemctl', 'stop', 'mysql']


class TestUnstack(base.TestCase):

    def setUp(self):
        super().setUp()
        self.ds = self.devstack()
        self.policy = self.ds.file('etc', 'cinder', 'policy.yaml')
        self.cinder_conf = self.ds.file('etc', 'cinder', 'cinder.conf')

    def policy_file_option(self):
        conf = base.ini(self.cinder_conf)
        return conf.has_option('oslo_policy', 'policy_file')

    def test_operator_policy_file_comes_back_byte_for_byte(self):
        with open(self.policy, 'wb') as f:
            f.write(OPERATOR_POLICY)
        os.chmod(self.policy, 0o640)
        self.ds.give(self.policy)
        self.ds.must_run('stack', 'post-config')
        rule = (f'role:admin or (project_id:%(project_id)s and '
                f'http://127.0.0.1:{self.ds.port}/v1/backup?'
                f'backup_id=%(id)s)')
        self.assertEqual(
            OPERATOR_POLICY.decode() + '\n'
            '# staffeln-api decides whether a backup can be deleted.\n'
            f'"backup:delete": "{rule}"\n', self.ds.read(self.policy))
        # The last rule of a key is the one that counts.
        self.assertEqual(
            {'backup:delete': rule, 'volume:delete': 'rule:admin_or_owner'},
            yaml.safe_load(self.ds.read(self.policy)))
        # A second stack.sh adds the rule once.
        with_rule = self.ds.read(self.policy)
        self.ds.must_run('stack', 'post-config')
        self.assertEqual(with_rule, self.ds.read(self.policy))

        self.ds.must_run('unstack')
        with open(self.policy, 'rb') as f:
            self.assertEqual(OPERATOR_POLICY, f.read())
        self.assertEqual(0o640, os.stat(self.policy).st_mode & 0o777)
        self.assertFalse(self.policy_file_option())
        # Only unstack.sh -a stops the database server: the data stays.
        self.assertEqual(2, self.ds.calls('mysql').count(DROP))

    def test_policy_file_that_did_not_exist_goes(self):
        self.ds.must_run('stack', 'post-config')
        self.assertTrue(self.policy_file_option())
        self.ds.must_run('unstack')
        self.assertFalse(os.path.exists(self.policy))
        self.assertFalse(self.policy_file_option())

    def test_clean_drops_the_database_before_mysql_stops(self):
        self.ds.must_run('stack', 'post-config')
        stacked = len(self.ds.calls())
        self.ds.must_run('clean')
        calls = self.ds.calls()[stacked:]
        self.assertIn(DROP, calls)
        self.assertIn(STOP_MYSQL, calls)
        self.assertLess(calls.index(DROP), calls.index(STOP_MYSQL))
        self.assertFalse(os.path.exists(self.policy))
        self.assertFalse(self.policy_file_option())
        for path in (('etc', 'staffeln'),
                     ('opt', 'stack', 'data', 'staffeln')):
            self.assertFalse(os.path.exists(self.ds.file(*path)), path)
        # The dashboard's enabled files are gone from Horizon's.
        self.assertEqual([], os.listdir(self.ds.file(
            'opt', 'stack', 'horizon', 'openstack_dashboard', 'local',
            'enabled')))

    def test_clean_on_postgresql(self):
        ds = self.devstack('HOST_IP=127.0.0.1', 'disable_service mysql',
                           'enable_service postgresql')
        ds.must_run('stack', 'post-config')
        self.assertEqual(
            [['createdb', '-h', '127.0.0.1', '-Uroot', '-l', 'C', '-T',
              'template0', '-E', 'utf8', 'staffeln']],
            ds.calls('createdb'))
        stacked = len(ds.calls())
        ds.must_run('clean')
        calls = ds.calls()[stacked:]
        drop = ['psql', '-h127.0.0.1', '-Uroot', '-dtemplate1', '-c',
                'DROP DATABASE IF EXISTS staffeln']
        stop = ['sudo', '--skipped--', '/bin/systemctl', 'stop',
                'postgresql']
        self.assertLess(calls.index(drop), calls.index(stop))
