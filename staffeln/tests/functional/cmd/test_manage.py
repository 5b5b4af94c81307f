"""staffeln-manage as an operator runs it: a real process, real databases."""

import os
import subprocess
import sys

import sqlalchemy as sa
import testscenarios

from staffeln.db import migration
from staffeln.tests import base
from staffeln.tests.functional.conductor import base as conductor_base
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios
MANAGE = os.path.join(os.path.dirname(sys.executable), 'staffeln-manage')


def manage(config, *args):
    return subprocess.run([MANAGE, '--config-file', config, *args],
                          capture_output=True, text=True, timeout=300)


class TestDatabaseCommands(base.TestCase):

    scenarios = db_fixture.scenarios()

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database(
            self.backend, schema=False, patch_facade=False))
        self.config = os.path.join(self.conf.state_path, 'staffeln.conf')
        with open(self.config, 'w') as f:
            f.write(f'[database]\nconnection = {self.db.url}\n')

    def test_upgrade_creates_the_schema_and_is_harmless_twice(self):
        self.assertEqual('None (empty database)',
                         manage(self.config, 'db', 'version').stdout.strip())
        for _ in range(2):
            result = manage(self.config, 'db', 'upgrade')
            self.assertEqual(0, result.returncode, result.stderr)
            self.assertEqual(f'Database is at {migration.head()}',
                             result.stdout.strip())
        self.assertEqual(migration.head(),
                         manage(self.config, 'db', 'version').stdout.strip())
        tables = set(sa.inspect(self.db.engine).get_table_names())
        self.assertLessEqual({'volumes', 'backup_tasks'}, tables)

    def test_commands_refuse_a_database_without_schema(self):
        result = manage(self.config, 'run-once')
        self.assertEqual(2, result.returncode)
        self.assertIn('run staffeln-manage db upgrade', result.stderr)
        self.assertNotIn('Traceback', result.stderr)


class TestConfigurationErrors(base.TestCase):

    def run_with(self, text, *args):
        path = os.path.join(self.conf.state_path, 'bad.conf')
        with open(path, 'w') as f:
            f.write(text)
        return manage(path, *args)

    def assertOneLineError(self, result, expected):
        self.assertEqual(2, result.returncode)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(1, len(lines), result.stderr)
        self.assertIn(expected, lines[0])

    def test_bad_duration(self):
        result = self.run_with('[conductor]\nbackup_interval = 1 day\n',
                               'db', 'version')
        self.assertOneLineError(
            result, "[conductor] backup_interval: Value for option "
                    "backup_interval in")
        self.assertIn("'1 day' is not a duration", result.stderr)

    def test_out_of_range(self):
        result = self.run_with('[conductor]\nmax_in_flight = 0\n',
                               'db', 'version')
        self.assertOneLineError(result, '[conductor] max_in_flight')

    def test_missing_credentials(self):
        state = self.conf.state_path
        manage_ok = self.run_with(f'[DEFAULT]\nstate_path = {state}\n',
                                  'db', 'upgrade')
        self.assertEqual(0, manage_ok.returncode, manage_ok.stderr)
        result = self.run_with(f'[DEFAULT]\nstate_path = {state}\n',
                               'run-once')
        self.assertOneLineError(result, 'No OpenStack credentials')

    def test_missing_config_file(self):
        result = manage('/nonexistent/staffeln.conf', 'db', 'version')
        self.assertOneLineError(result, 'Failed to find some config files')


class TestCycleCommands(conductor_base.ConductorTestCase):

    scenarios = db_fixture.scenarios(('sqlite', 'postgresql'))

    def setUp(self):
        super().setUp()
        self.sim.cloud.backup_duration = 0
        self.config = self.write_config(
            conductor={'run_once_poll_interval': 0})

    def test_plan_shows_decisions_and_changes_nothing(self):
        acme = self.tenant('acme')
        server = self.server(acme, 'web', volumes=2)
        self.sim.cloud.volume(server.volume_ids[1]).metadata[
            'backup_skip'] = 'yes'
        result = manage(self.config, 'plan')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('back up (full)', result.stdout)
        self.assertIn('opted out by volume metadata backup_skip',
                      result.stdout)
        self.assertEqual([], self.tasks())
        self.assertEqual([], self.backups())

    def test_run_once_exit_status_and_summary(self):
        acme = self.tenant('acme')
        good = self.server(acme, 'good')
        bad = self.server(acme, 'bad')
        self.sim.cloud.fail_next_backups(bad.volume_ids[0],
                                         reason='disk on fire')
        result = manage(self.config, 'run-once')
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertIn('Backed up 1 of 2 volumes due; 1 failed', result.stdout)
        self.assertIn('Cinder: disk on fire', result.stdout)
        self.assertIn(good.name, result.stdout)
        self.sim.cloud.backup_duration = 0
        result = manage(self.config, 'run-once')   # the failed one again
        self.assertEqual(0, result.returncode, result.stdout)
        self.assertIn('Backed up 1 of 1 volumes due; 0 failed',
                      result.stdout)


class TestPolicyCommands(conductor_base.ConductorTestCase):

    scenarios = db_fixture.scenarios(('sqlite', 'mysql'))

    def setUp(self):
        super().setUp()
        self.sim.cloud.backup_duration = 0
        self.config = self.write_config(
            conductor={'run_once_poll_interval': 0})

    def ok(self, *args) -> str:
        result = manage(self.config, *args)
        self.assertEqual((0, ''), (result.returncode, result.stderr))
        return result.stdout

    def refused(self, code: int, *args) -> str:
        """The one line of a refusal."""
        result = manage(self.config, *args)
        self.assertEqual(code, result.returncode, result.stdout)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(1, len(lines), result.stderr)
        self.assertTrue(lines[0].startswith('staffeln-manage: error: '))
        return lines[0][len('staffeln-manage: error: '):]

    def test_an_operator_sells_a_tier(self):
        acme, globex = self.tenant('acme'), self.tenant('globex')
        self.ok('policy', 'create', 'gold', '--schedule',
                'weekly on mon,thu at 01:00', '--timezone', 'Europe/Berlin',
                '--window', '00:00-05:00', '--retention', '14d', '--keep',
                'weekly=4,monthly=12', '--project', acme.id)
        listing = self.ok('policy', 'list')
        self.assertRegex(listing, r'gold +weekly on mon,thu at 01:00 +'
                                  r'Europe/Berlin +00:00-05:00')
        self.assertIn(acme.id, listing)
        shown = self.ok('policy', 'show', 'gold')
        self.assertEqual(10, shown.count(' Europe/Berlin   '))
        self.assertRegex(shown, r'(Mon|Thu) Europe/Berlin')

        # Bad input names the field, exits 2 and saves nothing.
        for args, expected in (
                (('--schedule', '0 25 * * *'), 'schedule: hour 25'),
                (('--schedule', '1d', '--window', '06:00-06:00'),
                 'window'),
                (('--schedule', '1d', '--timezone', 'Mars/Olympus'),
                 "timezone: 'Mars/Olympus' is not a time zone"),
                (('--schedule', '1d', '--retention', '1h'),
                 "retention: 1h is shorter than the operator's floor")):
            self.assertIn(expected, self.refused(
                2, 'policy', 'create', 'bad', *args))
        self.assertNotIn('bad', self.ok('policy', 'list'))
        self.assertIn('exists already', self.refused(
            1, 'policy', 'create', 'gold', '--schedule', '1d'))
        self.assertIn("no protection policy is named 'nope'",
                      self.refused(1, 'policy', 'show', 'nope'))

        # Only acme may use it.
        self.assertIn('is not available to project', self.refused(
            2, 'project', 'set', globex.id, '--default-policy', 'gold'))
        self.assertIn(f'Project {acme.id}: default policy gold',
                      self.ok('project', 'set', acme.id,
                              '--default-policy', 'gold'))
        server = self.server(acme, 'web')
        plan = self.ok('plan')
        self.assertRegex(plan, r'web .* gold +wait +\d{4}-\d\d-\d\d '
                               r'\d\d:\d\d Europe/Berlin \(\d\d:\d\d UTC\)')
        self.assertIn('00:00-05:00 Europe/Berlin, slot +', plan)
        self.assertRegex(plan, r'gold +1 +\d+ +\d+')

        # Asked for now, it is made outside the window, once discovery has
        # seen the server (the cycle makes nothing: not due).
        self.assertIn('Staffeln protects no server', self.refused(
            1, 'backup-now', '--server', server.id))
        self.assertIn('Backed up 0 of 0', self.ok('run-once'))
        queued = self.ok('backup-now', '--server', server.id)
        self.assertIn(f'Queued full backup of volume {server.volume_ids[0]}',
                      queued)
        self.assertIn('Backed up 1 of 1', self.ok('run-once'))
        self.assertIn('Staffeln protects no volume', self.refused(
            1, 'backup-now', '--volume', 'no-such-volume'))

        self.assertIn('is the default of projects', self.refused(
            1, 'policy', 'delete', 'gold'))
        self.assertIn('default policy default (the global default)',
                      self.ok('project', 'set', acme.id,
                              '--default-policy', ''))
        self.assertIn('Retired policy gold', self.ok('policy', 'delete',
                                                     'gold'))
        self.assertNotIn('gold', self.ok('policy', 'list'))
