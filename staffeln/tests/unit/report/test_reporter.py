"""Reporter checks that need no database."""

from staffeln.common import clock
from staffeln.common import exception
from staffeln.conductor import report
from staffeln.tests import base
from staffeln.tests.unit.report import fakes


class TestReporter(base.TestCase):

    def test_thresholds_must_be_in_order(self):
        self.flags(group='notification', quota_warning_percent=90,
                   quota_critical_percent=80)
        error = self.assertRaises(report.ReportConfigError, report.Reporter,
                                  self.conf, fakes.FakeCloud())
        self.assertIsInstance(error, exception.ConfigurationError)
        self.assertIn('quota_warning_percent (90) is above '
                      'quota_critical_percent (80)', str(error))

    def test_defaults(self):
        reporter = report.Reporter(self.conf, fakes.FakeCloud())
        self.assertIsInstance(reporter.clock, clock.Clock)
        self.assertFalse(reporter.notifier.enabled)
        self.assertEqual(self.conf.host, reporter.owner)

    def test_unknown_preview_format(self):
        reporter = report.Reporter(self.conf, fakes.FakeCloud())
        self.assertRaises(ValueError, reporter.render, None, 'p1', 'pdf')
