"""The steady-state forecast runs the real retention rules."""

import datetime

import testtools

from staffeln.rules import forecast
from staffeln.rules import retention

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
YEAR = datetime.timedelta(days=365)


def rules(retention_time=14 * DAY, ceiling=YEAR, **keep):
    return retention.Rules(retention=retention_time,
                           keep=retention.Keep(**keep), ceiling=ceiling)


class TestBackupsKept(testtools.TestCase):

    def test_the_defaults_need_more_than_cinders_default_quota(self):
        # Daily, 14 days kept, two incrementals per full: 15 backups in
        # the window, and up to two older ones a kept incremental needs.
        self.assertEqual(17, forecast.backups_kept(DAY, rules(), 2))

    def test_full_backups_only_need_no_chain(self):
        self.assertEqual(15, forecast.backups_kept(DAY, rules(), 0))

    def test_keep_rules_add_what_they_keep_beyond_the_time_rule(self):
        # 7 days by time, then 4 weekly and 12 monthly: the weekly and
        # monthly backups older than a week are extra.
        by_time = forecast.backups_kept(DAY, rules(7 * DAY), 0)
        kept = forecast.backups_kept(
            DAY, rules(7 * DAY, weekly=4, monthly=12), 0)
        self.assertEqual(8, by_time)
        # Some weeks and months fall inside the week the time rule keeps.
        self.assertGreaterEqual(kept, by_time + 2 + 9)
        self.assertLessEqual(kept, by_time + 4 + 12)

    def test_hourly_backups(self):
        self.assertEqual(24 * 2 + 1,
                         forecast.backups_kept(HOUR, rules(2 * DAY), 0))

    def test_gigabytes_count_every_backup_at_the_volume_size(self):
        self.assertEqual(forecast.Need(17, 170),
                         forecast.need(10, DAY, rules(), 2))


class TestShortfalls(testtools.TestCase):

    def quota(self, backups, gigabytes):
        return {'backups': {'limit': backups, 'in_use': 0, 'reserved': 0},
                'backup_gigabytes': {'limit': gigabytes, 'in_use': 0,
                                     'reserved': 0}}

    def test_default_cinder_quota(self):
        [short] = forecast.shortfalls(forecast.Need(17, 170),
                                      self.quota(10, 1000))
        self.assertEqual('backups: 17 needed at steady state, the quota '
                         'is 10', str(short))

    def test_unlimited_and_enough(self):
        self.assertEqual([], forecast.shortfalls(
            forecast.Need(17, 170), self.quota(-1, 170)))
