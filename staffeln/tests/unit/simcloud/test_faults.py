"""Fault rules and planned outcomes."""

import testtools

from staffeln.tests.simcloud import faults


class TestFaultSet(testtools.TestCase):

    def test_count_method_and_regex(self):
        rules = faults.FaultSet()
        rules.add(method='get', path_regex=r'/backups$', status=503, count=2)
        self.assertIsNone(rules.take('POST', '/volume/v3/backups'))
        self.assertIsNone(rules.take('GET', '/volume/v3/backups/detail'))
        self.assertEqual(503, rules.take('GET', '/volume/v3/backups').status)
        self.assertIsNotNone(rules.take('GET', '/volume/v3/backups'))
        self.assertIsNone(rules.take('GET', '/volume/v3/backups'))
        self.assertEqual([], rules.rules())

    def test_forever_until_removed(self):
        rules = faults.FaultSet()
        rule = rules.add(status=500, count=None, message='boom')
        for _ in range(5):
            self.assertEqual('boom', rules.take('GET', '/x').error_message)
        rules.remove(rule)
        self.assertIsNone(rules.take('GET', '/x'))

    def test_default_messages(self):
        self.assertEqual('Service Unavailable',
                         faults.FaultRule(status=503).error_message)


class TestOutcomeQueue(testtools.TestCase):

    def test_by_volume_then_any(self):
        queue = faults.OutcomeQueue()
        queue.push(faults.Outcome('error', 'v1', 1, 'r'))
        queue.push(faults.Outcome('stuck', None, 2))
        self.assertEqual('stuck', queue.take('v2').kind)
        self.assertEqual('error', queue.take('v1').kind)
        self.assertEqual('stuck', queue.take('v1').kind)
        self.assertIsNone(queue.take('v1'))
