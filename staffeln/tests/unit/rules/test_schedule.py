import dataclasses
import datetime
import types

import testtools

from staffeln.common import duration
from staffeln.db import states
from staffeln.rules import protection
from staffeln.rules import retention
from staffeln.rules import schedule
from staffeln.rules import timetable

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def task(id, status=states.AVAILABLE, backup_type='full', parent_id=None,
         age=DAY * 2, policy_id=1):
    return types.SimpleNamespace(id=id, uuid=f'task-{id}', status=status,
                                 backup_type=backup_type,
                                 parent_id=parent_id, started_at=T0 - age,
                                 policy_id=policy_id)


def policy(schedule_text='1d', depth=2, full_interval=None, **table):
    return protection.Policy(
        id=1, name='p', full_every=depth + 1, full_interval=full_interval,
        timetable=timetable.Timetable.parse(
            schedule_text, jitter=table.pop('jitter', False), **table),
        retention=retention.Rules(retention=14 * DAY))


class TestDecide(testtools.TestCase):

    def decide(self, history, depth=2, interval=DAY):
        return schedule.decide('vol', history,
                               policy(duration.format(interval), depth),
                               None, T0 - 30 * DAY, T0)

    def test_first_backup_is_full(self):
        decision = self.decide([])
        self.assertEqual((True, 'full'),
                         (decision.due, decision.backup_type))

    def test_not_due_within_interval(self):
        decision = self.decide([task(1, age=datetime.timedelta(hours=23))])
        self.assertFalse(decision.due)

    def test_due_after_interval_is_incremental_on_last_good(self):
        decision = self.decide([task(1)])
        self.assertEqual((True, 'incremental', 1),
                         (decision.due, decision.backup_type,
                          decision.parent_id))

    def test_full_after_depth_incrementals(self):
        history = [task(1, age=DAY * 4),
                   task(2, backup_type='incremental', parent_id=1,
                        age=DAY * 3),
                   task(3, backup_type='incremental', parent_id=2)]
        decision = self.decide(history, depth=2)
        self.assertEqual('full', decision.backup_type)
        decision = self.decide(history, depth=3)
        self.assertEqual(('incremental', 3),
                         (decision.backup_type, decision.parent_id))

    def test_depth_zero_is_always_full(self):
        self.assertEqual('full', self.decide([task(1)], depth=0).backup_type)

    def test_task_in_progress_blocks_a_second_one(self):
        for status in (states.QUEUED, states.STARTING, states.CREATING):
            decision = self.decide([task(1), task(2, status=status)])
            self.assertFalse(decision.due, status)

    def test_zero_interval_is_always_due(self):
        decision = self.decide([task(1, age=datetime.timedelta(0))],
                               interval=datetime.timedelta(0))
        self.assertTrue(decision.due)

    def test_missing_parent_in_chain_gives_a_full(self):
        history = [task(3, backup_type='incremental', parent_id=2)]
        self.assertEqual('full', self.decide(history).backup_type)


class TestPolicies(testtools.TestCase):

    def test_a_full_at_least_every_seven_days(self):
        weekly_full = policy('1d', depth=30,
                             full_interval=datetime.timedelta(days=7))
        history = [task(1, age=8 * DAY)]
        history += [task(i, backup_type='incremental', parent_id=i - 1,
                         age=(9 - i) * DAY) for i in range(2, 8)]
        decision = schedule.decide('vol', history, weekly_full, None,
                                   T0 - 30 * DAY, T0)
        self.assertEqual(('full', 'the last full backup is older than 1w'),
                         (decision.backup_type, decision.reason))

    def test_a_cron_policy_waits_for_its_next_run(self):
        nightly = policy('daily at 02:00', timezone='Europe/Berlin')
        decision = schedule.decide('vol', [], nightly, None, T0, T0)
        self.assertFalse(decision.due)
        self.assertEqual(datetime.datetime(
            2026, 3, 1, 1, tzinfo=datetime.timezone.utc), decision.next_due)
        self.assertIn('due at 2026-03-01 02:00 Europe/Berlin (2026-03-01 '
                      '01:00 UTC)', decision.reason)
        later = schedule.decide('vol', [], nightly, None, T0,
                                T0 + datetime.timedelta(hours=1))
        self.assertEqual((True, 'full'), (later.due, later.backup_type))

    def test_chains_are_per_policy(self):
        tiers = [policy('1h'), dataclasses.replace(policy('1d'), id=2,
                                                   name='daily')]
        candidate = types.SimpleNamespace(
            volume=types.SimpleNamespace(id='vol'), eligible=True,
            policies=tiers, interval_override=None)
        history = [task(1, age=2 * datetime.timedelta(hours=1)),
                   task(2, age=datetime.timedelta(hours=3), policy_id=2)]
        rows = schedule.plan([candidate], {'vol': history},
                             {'vol': T0 - 30 * DAY}, T0)
        hourly, daily = [decision for _, _, decision in rows]
        self.assertEqual((True, 'incremental', 1),
                         (hourly.due, hourly.backup_type, hourly.parent_id))
        self.assertFalse(daily.due)

    def test_after_another_policys_backup_a_full_one(self):
        # Cinder puts an incremental on the volume's newest backup: the
        # daily one came after the hourly chain, so the hourly makes a
        # full backup rather than a chain Cinder would not make.
        tiers = [policy('1h'), dataclasses.replace(policy('1d'), id=2,
                                                   name='daily')]
        candidate = types.SimpleNamespace(
            volume=types.SimpleNamespace(id='vol'), eligible=True,
            policies=tiers, interval_override=None)
        history = [task(1, age=3 * datetime.timedelta(hours=1)),
                   task(2, age=2 * DAY, policy_id=2),
                   task(3, age=datetime.timedelta(hours=2), policy_id=2)]
        rows = schedule.plan([candidate], {'vol': history},
                             {'vol': T0 - 30 * DAY}, T0)
        hourly, daily = [decision for _, _, decision in rows]
        self.assertEqual((True, 'full', None),
                         (hourly.due, hourly.backup_type, hourly.parent_id))
        self.assertIn('Cinder would chain onto it', hourly.reason)
        self.assertFalse(daily.due)
