"""The parts of the retention runner that need no database."""

import datetime
import types

from staffeln.cmd.manage import retention as retention_cmd
from staffeln.common import clock as clock_mod
from staffeln.common import exception
from staffeln.conductor.retention import planning
from staffeln.conductor.retention import runner
from staffeln.rules import retention as rp
from staffeln.tests import base

UTC = datetime.timezone.utc
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


class TestConfiguration(base.TestCase):

    def make(self):
        return runner.Retention(self.conf, None, clock_mod.ManualClock())

    def test_defaults(self):
        runner = self.make()
        self.assertEqual(rp.Rules(retention=14 * DAY, keep=rp.Keep(),
                                  ceiling=365 * DAY, min_good=1),
                         runner.default)
        self.assertEqual(rp.Bounds(7 * DAY, 365 * DAY), runner.bounds)
        self.assertEqual(HOUR, self.conf.retention.retention_interval)

    def test_keep_rules_from_the_configuration(self):
        self.flags(group='retention', keep_last=2, keep_daily=7,
                   keep_weekly=4, keep_monthly=12)
        self.assertEqual(rp.Keep(last=2, daily=7, weekly=4, monthly=12),
                         self.make().default.keep)

    def test_durations_are_parsed_and_checked(self):
        self.flags(group='retention', retention_time='2w3d',
                   min_retention='0s')
        self.assertEqual(17 * DAY, self.make().default.retention)
        self.assertRaises(ValueError, self.flags, group='retention',
                          retention_time='two weeks')
        self.assertRaises(ValueError, self.flags, group='retention',
                          keep_daily=-1)

    def test_retention_time_must_lie_within_the_bounds(self):
        self.flags(group='retention', retention_time='3d')
        exc = self.assertRaises(exception.ConfigurationError, self.make)
        self.assertEqual('[retention] retention_time (3d) is not within '
                         'min_retention (1w) and max_retention (1y)',
                         str(exc))

    def test_bounds_must_be_in_order(self):
        self.flags(group='retention', min_retention='30d',
                   max_retention='2w', retention_time='3w')
        exc = self.assertRaises(exception.ConfigurationError, self.make)
        self.assertIn('min_retention (1mon) is longer than max_retention '
                      '(2w)', str(exc))


class TestProblems(base.TestCase):

    def test_retention_lines_replace_their_old_selves(self):
        current = ('backup_interval 5min is shorter than the minimum 1h; '
                   'using the minimum\nbackup_keep ignored: old')
        self.assertEqual(
            'backup_interval 5min is shorter than the minimum 1h; using the '
            'minimum\nbackup_retention 1d is shorter',
            planning.merge_problems(
                current, ['backup_retention 1d is shorter']))

    def test_nothing_left_is_none(self):
        self.assertIsNone(planning.merge_problems(
            'backup_retention x', []))
        self.assertIsNone(planning.merge_problems(None, []))
        self.assertEqual('backup_keep y',
                         planning.merge_problems(None, ['backup_keep y']))


class TestRenderPreview(base.TestCase):

    def test_table(self):
        now = datetime.datetime(2026, 3, 15, 12, tzinfo=UTC)
        task = types.SimpleNamespace(
            project_id='0123456789abcdef', server_name='web',
            server_id='s1', volume_name=None, volume_id='vol-1',
            backup_id='b-1', backup_type='full',
            time=now - 20 * DAY)
        newer = types.SimpleNamespace(**dict(vars(task), backup_id='b-2',
                                             time=now - DAY))
        problem = planning.Problem('0123456789abcdef', 'vol-1', 's1', 'web',
                                   'backup_keep ignored: nonsense')
        text = retention_cmd.render_preview(
            [(newer, True, 'within 2w'), (task, False, 'older than 2w')],
            [problem], now, ['cannot tell'])
        lines = text.splitlines()
        self.assertEqual('Retention preview: 2 backups, 1 kept, 1 to '
                         'delete.', lines[0])
        self.assertEqual(['project', 'server', 'volume', 'backup', 'type',
                          'taken', '(UTC)', 'age', 'action', 'why'],
                         lines[2].split())
        self.assertEqual(['0123456789ab', 'web', 'vol-1', 'b-1', 'full',
                          '2026-02-23', '12:00', '2w6d', 'DELETE', 'older',
                          'than', '2w'], lines[4].split())
        self.assertIn('  server web (volume vol-1, project '
                      '0123456789abcdef): backup_keep ignored: nonsense',
                      lines)
        self.assertEqual('ERROR: cannot tell', lines[-1])

    def test_empty(self):
        text = retention_cmd.render_preview(
            [], [], datetime.datetime(2026, 1, 1, tzinfo=UTC))
        self.assertIn('0 backups, 0 kept, 0 to delete', text)
        self.assertIn('(none)', text)
