"""The conductor service: which steps run where, and when."""

from unittest import mock

import fixtures

from staffeln.conductor import service
from staffeln.tests import base


class FakeCoordinator:

    def __init__(self):
        self.is_leader = False
        self.term = 0
        self.stopped = False

    def lead(self):
        self.is_leader = True
        self.term += 1

    def stop(self):
        self.stopped = True


class FakeClock:

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class TestLeaderSteps(base.TestCase):

    def setUp(self):
        super().setUp()
        self.coordinator = FakeCoordinator()
        self.clock = FakeClock()
        self.runs = []
        self.step = service.LeaderStep('discovery', 60, self.runs.append)
        self.service = service.ConductorService(
            self.conf, mock.Mock(), self.coordinator, steps=[self.step],
            monotonic=self.clock)

    def tick(self) -> bool:
        return self.service.leader_tick(self.step)

    def test_followers_do_not_run_leader_steps(self):
        self.assertFalse(self.tick())
        self.clock.now += 3600
        self.assertFalse(self.tick())
        self.assertEqual([], self.runs)

    def test_a_new_leader_runs_at_once_then_every_interval(self):
        self.coordinator.lead()
        self.assertTrue(self.tick())
        self.clock.now += 59
        self.assertFalse(self.tick())
        self.clock.now += 1
        self.assertTrue(self.tick())
        self.assertEqual(2, len(self.runs))

    def test_leading_again_runs_at_once(self):
        self.coordinator.lead()
        self.tick()
        self.coordinator.is_leader = False
        self.clock.now += 10
        self.assertFalse(self.tick())
        self.coordinator.lead()
        self.assertTrue(self.tick())
        self.assertEqual(2, len(self.runs))

    def test_a_failing_step_is_run_again_next_interval(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='staffeln.conductor.guard'))
        calls = []

        def fail(context):
            calls.append(context)
            raise RuntimeError('boom')
        step = service.LeaderStep('report', 60, fail)
        self.coordinator.lead()
        self.assertTrue(self.service.leader_tick(step))
        self.clock.now += 60
        self.assertTrue(self.service.leader_tick(step))
        self.assertEqual(2, len(calls))
        self.assertIn('report failed', logger.output)

    def test_stop_hands_over_the_leadership(self):
        self.service.stop()
        self.assertTrue(self.coordinator.stopped)

    def test_stop_ends_a_pass_through_the_queue(self):
        self.service.manager.engine.stopping = stopping = mock.Mock()
        self.service.stop()
        stopping.set.assert_called_once_with()


class TestStepList(base.TestCase):

    def test_discovery_and_report(self):
        manager = mock.Mock(spec=['discover_and_schedule', 'report',
                                  'engine'])
        manager.discover_and_schedule.return_value = ([1, 2], [])
        steps = service.leader_steps(self.conf, manager)
        self.assertEqual(['discovery', 'report'], [s.name for s in steps])
        self.assertEqual({3600}, {s.interval for s in steps})
        steps[0].run('ctx')
        manager.discover_and_schedule.assert_called_once_with('ctx')
        # What discovery queued starts now, not one poll interval later.
        manager.engine.start_queued.assert_called_once_with('ctx')
        self.assertIs(manager.report, steps[1].run)

    def test_a_discovery_that_queued_nothing_starts_nothing(self):
        manager = mock.Mock(spec=['discover_and_schedule', 'report',
                                  'engine'])
        manager.discover_and_schedule.return_value = ([], [])
        service.leader_steps(self.conf, manager)[0].run('ctx')
        manager.engine.start_queued.assert_not_called()

    def test_retention_joins_when_the_manager_has_it(self):
        manager = mock.Mock(spec=['discover_and_schedule', 'report',
                                  'retention'])
        steps = service.leader_steps(self.conf, manager)
        self.assertEqual(['discovery', 'report', 'retention'],
                         [s.name for s in steps])
        self.assertEqual(
            self.conf.retention.retention_interval.total_seconds(),
            steps[2].interval)
        self.assertIs(manager.retention, steps[2].run)

    def test_drills_run_every_poll_interval(self):
        manager = mock.Mock(spec=['discover_and_schedule', 'report',
                                  'drill'])
        steps = service.leader_steps(self.conf, manager)
        self.assertEqual(['discovery', 'report', 'drills'],
                         [s.name for s in steps])
        self.assertEqual(60, steps[2].interval)
        self.assertIs(manager.drill, steps[2].run)
