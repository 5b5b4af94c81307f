import datetime
import types

import testtools

from staffeln.db import states
from staffeln.rules import schedule

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def task(id, status=states.AVAILABLE, backup_type='full', parent_id=None,
         age=DAY * 2):
    return types.SimpleNamespace(id=id, uuid=f'task-{id}', status=status,
                                 backup_type=backup_type,
                                 parent_id=parent_id, started_at=T0 - age)


class TestDecide(testtools.TestCase):

    def decide(self, history, depth=2, interval=DAY):
        return schedule.decide('vol', history, interval, depth, T0)

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
