import datetime

import testtools

from staffeln.rules import overrides

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


class TestIsTrue(testtools.TestCase):

    def test_true_values_in_any_case(self):
        for value in ('yes', 'YES', 'True', 'true', '1', 'on', 'On', ' yes '):
            self.assertTrue(overrides.is_true(value), value)

    def test_other_values(self):
        for value in ('no', 'false', '0', 'off', '', None, 'y', 'enabled'):
            self.assertFalse(overrides.is_true(value), value)


class TestBackupInterval(testtools.TestCase):

    def _interval(self, metadata):
        return overrides.backup_interval(metadata, DAY, HOUR, 30 * DAY)

    def test_default_without_override(self):
        self.assertEqual(overrides.Clamped(DAY), self._interval({}))

    def test_override_within_bounds(self):
        self.assertEqual(overrides.Clamped(6 * HOUR),
                         self._interval({'backup_interval': '6h'}))

    def test_override_clamped_to_minimum(self):
        result = self._interval({'backup_interval': '5min'})
        self.assertEqual(HOUR, result.value)
        self.assertIn('shorter than the minimum 1h', result.problem)

    def test_override_clamped_to_maximum(self):
        result = self._interval({'backup_interval': '1y'})
        self.assertEqual(30 * DAY, result.value)
        self.assertIn('longer than the maximum', result.problem)

    def test_invalid_override_reported_and_default_used(self):
        result = self._interval({'backup_interval': 'daily'})
        self.assertEqual(DAY, result.value)
        self.assertIn("'daily' is not a duration", result.problem)
