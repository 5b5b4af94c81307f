"""A failing step is logged when its failure starts and changes, once."""

import fixtures
from oslo_db import exception as db_exc
import testtools

from staffeln.common import exception
from staffeln.conductor import guard


class TestGuard(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.logs = self.useFixture(fixtures.FakeLogger(
            name='staffeln.conductor.guard', level='INFO'))
        self.guard = guard.Guard()

    def fail_with(self, error):
        def step():
            raise error
        return self.guard.run('poll', step)

    def test_a_database_outage_is_one_line_not_a_traceback_per_loop(self):
        outage = db_exc.DBConnectionError('connection refused')
        for _ in range(1000):
            self.assertIsNone(self.fail_with(outage))
        self.assertEqual(1, self.logs.output.count('poll did not finish'))
        self.assertIn('the database cannot be used', self.logs.output)
        self.assertNotIn('Traceback', self.logs.output)
        self.assertEqual('works', self.guard.run('poll', lambda: 'works'))
        self.assertIn('poll works again', self.logs.output)
        self.assertEqual({}, self.guard.failing)

    def test_a_new_failure_is_told(self):
        self.fail_with(exception.CloudError('listing backups: HTTP 503'))
        self.fail_with(exception.CloudError('listing backups: HTTP 503'))
        self.fail_with(exception.CloudError('listing backups: timed out'))
        self.assertEqual(2, self.logs.output.count('poll did not finish'))

    def test_an_unexpected_error_keeps_its_traceback(self):
        self.fail_with(RuntimeError('bug'))
        self.assertIn('poll failed', self.logs.output)
        self.assertIn('Traceback', self.logs.output)
