import testtools

from staffeln.api import decision
from staffeln.db import states

KEY = '__automated_backup'


class TestDecide(testtools.TestCase):

    def test_held_tasks_are_denied_with_or_without_marker(self):
        for status in (states.QUEUED, states.STARTING, states.CREATING,
                       states.AVAILABLE):
            for marker in (True, False):
                result = decision.decide(status, marker)
                self.assertFalse(result.allowed, (status, marker))
                self.assertIn(status, result.reason)

    def test_released_tasks_are_allowed_even_with_marker(self):
        for status in (states.DELETING, states.DELETED, states.CLEANUP,
                       states.FAILED):
            for marker in (True, False):
                self.assertTrue(decision.decide(status, marker).allowed,
                                (status, marker))

    def test_every_state_is_classified(self):
        held = {s for s in states.ALL
                if not decision.decide(s, False).allowed}
        self.assertEqual(set(states.ALL) - decision.RELEASED, held)
        self.assertLessEqual(decision.RELEASED, set(states.ALL))

    def test_unknown_state_is_denied(self):
        # A state added later is held until this module says otherwise.
        self.assertFalse(decision.decide('archived', False).allowed)

    def test_no_task(self):
        self.assertFalse(decision.decide(None, True).allowed)
        self.assertTrue(decision.decide(None, False).allowed)

    def test_strays_are_held_until_released(self):
        self.assertFalse(decision.decide(None, True, 'found').allowed)
        for status in ('deleting', 'deleted'):
            result = decision.decide(None, True, status)
            self.assertTrue(result.allowed, status)
            self.assertIn('duplicate', result.reason)

    def test_a_task_wins_over_a_stray_record(self):
        self.assertFalse(decision.decide('available', True,
                                         'deleting').allowed)


class TestMarker(testtools.TestCase):

    def test_true_values(self):
        for value in (True, 'True', 'true', 'TRUE', ' yes ', '1', 1, 'on'):
            self.assertTrue(decision.has_automated_marker({KEY: value}, KEY),
                            value)

    def test_other_values(self):
        for value in (False, 'False', 'false', '', None, 0, 'garbage',
                      ['True'], {'a': 1}):
            self.assertFalse(
                decision.has_automated_marker({KEY: value}, KEY), value)

    def test_absent(self):
        self.assertFalse(decision.has_automated_marker({}, KEY))
        self.assertFalse(decision.has_automated_marker(None, KEY))
        self.assertFalse(decision.has_automated_marker(
            {KEY.upper(): 'True', 'other': 'True'}, KEY))

    def test_configured_key(self):
        self.assertTrue(decision.has_automated_marker({'mine': 'true'},
                                                      'mine'))


class TestAllowingRole(testtools.TestCase):

    def test_roles(self):
        self.assertEqual('ops', decision.allowing_role(
            ['member', 'ops'], ['ops', 'admin']))
        self.assertIsNone(decision.allowing_role(['member'], ['ops']))
        self.assertIsNone(decision.allowing_role(['ops'], []))
        self.assertIsNone(decision.allowing_role([], ['ops']))
