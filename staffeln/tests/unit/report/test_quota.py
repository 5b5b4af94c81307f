"""Quota usage levels: green, yellow, red, and the limits without a
percentage."""

from staffeln.conductor import report_content
from staffeln.tests import base


def _quota(limit, in_use, reserved=0):
    return {'backups': {'limit': limit, 'in_use': in_use,
                        'reserved': reserved}}


class TestQuotaLines(base.TestCase):

    def level(self, limit, in_use, reserved=0, warning=50, critical=80):
        [line] = report_content.quota_lines(
            _quota(limit, in_use, reserved), warning, critical)
        return line

    def test_thresholds(self):
        cases = [
            (100, 0, 'green'), (100, 49, 'green'), (1000, 499, 'green'),
            (100, 50, 'yellow'), (100, 65, 'yellow'), (100, 80, 'yellow'),
            (1000, 801, 'red'), (100, 81, 'red'), (100, 100, 'red'),
            (10, 12, 'red'),
        ]
        for limit, used, expected in cases:
            self.assertEqual(expected, self.level(limit, used).level,
                             (limit, used))

    def test_reserved_counts_as_used(self):
        line = self.level(10, 4, reserved=1)
        self.assertEqual(('yellow', 50.0, '50 %'),
                         (line.level, line.percent, line.percent_text))

    def test_unlimited_is_green_without_percentage(self):
        line = self.level(-1, 10 ** 6)
        self.assertEqual(('green', None, 'unlimited', 'no limit'),
                         (line.level, line.percent, line.limit_text,
                          line.percent_text))

    def test_zero_limit_is_red_without_division(self):
        for used in (0, 3):
            line = self.level(0, used)
            self.assertEqual(('red', None, '0 (none allowed)',
                              'none allowed'),
                             (line.level, line.percent, line.limit_text,
                              line.percent_text))

    def test_configured_thresholds(self):
        self.assertEqual('yellow', self.level(100, 20, warning=20,
                                              critical=40).level)
        self.assertEqual('red', self.level(100, 41, warning=20,
                                           critical=40).level)
        self.assertEqual('green', self.level(100, 19, warning=20,
                                             critical=40).level)
        # Equal thresholds: nothing is yellow but the exact value.
        self.assertEqual('yellow', self.level(100, 70, warning=70,
                                              critical=70).level)
        self.assertEqual('red', self.level(100, 71, warning=70,
                                           critical=70).level)

    def test_both_resources_in_order_and_missing_ones_left_out(self):
        quota = {'backup_gigabytes': {'limit': 100, 'in_use': 90,
                                      'reserved': 0},
                 'backups': {'limit': 10, 'in_use': 1, 'reserved': 0},
                 'volumes': {'limit': 1, 'in_use': 1, 'reserved': 0}}
        lines = report_content.quota_lines(quota, 50, 80)
        self.assertEqual([('backups', 'Backups', 'green'),
                          ('backup_gigabytes', 'Backup gigabytes', 'red')],
                         [(q.resource, q.label, q.level) for q in lines])
        self.assertEqual([], report_content.quota_lines({}, 50, 80))

    def test_missing_values(self):
        [line] = report_content.quota_lines(
            {'backups': {'limit': None, 'in_use': None}}, 50, 80)
        self.assertEqual((-1, 0, 0, 'green'),
                         (line.limit, line.in_use, line.reserved,
                          line.level))
