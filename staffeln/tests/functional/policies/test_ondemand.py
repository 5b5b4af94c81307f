"""Backups asked for now: outside the window, in the policy's chain,
within the quota and the pause (of a project or a server), never twice at
once."""

import datetime

from staffeln.actions import ondemand
from staffeln.actions import policies
from staffeln.common import clock
from staffeln.common import exception
from staffeln.db import api as db_api
from staffeln.db import api_policies
from staffeln.db import states
from staffeln.tests.functional.retention import base

load_tests = base.load_tests

#: 12:00 UTC: the window of policy night (22:00-04:00 UTC) is closed.
NOON = datetime.datetime(2027, 5, 3, 12, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)


class TestBackupNow(base.RetentionTestCase):

    def make_clock(self):
        return clock.ManualClock(NOON)

    def setUp(self):
        super().setUp()
        self.acme = self.tenant('acme')
        policies.create(self.context, self.conf, NOON, 'night', {
            'schedule': '1d', 'window': '22:00-04:00', 'full_every': 3,
            'jitter': False, 'public': True})
        self.web = self.server(self.acme, 'web', volumes=2, metadata={
            'backup_policy': 'night'})
        self.volume = self.web.volume_ids[0]
        self.mgr = self.make_manager()
        # The first cycle sees the volumes; the window is closed.
        self.mgr.run_once(self.context)

    def now(self, **kwargs):
        return ondemand.queue(self.context, self.conf, self.clock.now(),
                              **kwargs)

    def at(self, hours: int) -> None:
        """``hours`` after the first noon, and a whole cycle."""
        self.clock.set(NOON + hours * HOUR)
        result = self.mgr.run_once(self.context)
        self.assertEqual([], result.errors)

    def test_scheduled_backups_wait_for_the_window(self):
        self.assertEqual([], self.tasks())
        plans = self.mgr.plan(self.context)
        self.assertEqual(
            [(False, NOON.replace(hour=22))] * 2,
            [(decision.due, decision.next_due) for _, _, decision in plans])
        self.at(10)
        self.assertEqual([('full', False, NOON.replace(hour=22))] * 2,
                         [(t.backup_type, t.on_demand, t.started_at)
                          for t in self.tasks()])

    def test_a_backup_asked_for_starts_outside_the_window(self):
        [task] = self.now(volume_id=self.volume)
        self.assertEqual((True, 'full', states.QUEUED),
                         (task.on_demand, task.backup_type, task.status))
        # A second one while the first is queued is refused, and nothing
        # more is queued.
        error = self.assertRaises(exception.Conflict, self.now,
                                  volume_id=self.volume)
        self.assertIn(f'volume {self.volume} has a backup of policy night '
                      f'queued already', str(error))
        self.at(0)
        [made] = self.tasks()
        self.assertEqual((task.id, states.AVAILABLE, NOON),
                         (made.id, made.status, made.started_at))
        self.assertEqual(1, len(self.backups()))

    def test_on_demand_joins_the_policys_chain(self):
        self.at(10)                       # 22:00: both scheduled
        first = self.tasks(volume_id=self.volume)[0]
        self.clock.set(NOON + 24 * HOUR)  # noon, the window closed
        [task] = self.now(volume_id=self.volume)
        self.at(24)
        task = self.task(task.id)
        night = api_policies.get_policy(self.context, 'night')
        self.assertEqual(
            (states.AVAILABLE, 'incremental', first.id, night.id),
            (task.status, task.backup_type, task.parent_id, task.policy_id))
        # It counts toward the interval: at 22:00 the other volume is due,
        # this one a day after its on-demand backup.
        self.at(34)
        self.assertEqual(2, len(self.tasks(volume_id=self.volume)))
        self.assertEqual(2, len(self.tasks(
            volume_id=self.web.volume_ids[1])))
        self.at(58)
        mine = self.tasks(volume_id=self.volume)
        self.assertEqual(3, len(mine))
        self.assertEqual(('incremental', task.id, False),
                         (mine[-1].backup_type, mine[-1].parent_id,
                          mine[-1].on_demand))

    def test_full_when_asked_and_a_whole_server(self):
        self.at(10)
        self.clock.set(NOON + 14 * HOUR)
        tasks = self.now(server_id=self.web.id, full=True)
        self.assertEqual([(True, 'full', None)] * 2,
                         [(t.on_demand, t.backup_type, t.parent_id)
                          for t in tasks])
        self.assertEqual(sorted(self.web.volume_ids),
                         sorted(t.volume_id for t in tasks))

    def test_the_quota_and_the_pause_still_hold(self):
        self.at(10)
        self.clock.set(NOON + 14 * HOUR)
        self.sim.cloud.set_quota(self.acme.id, backups=2)
        [task] = self.now(volume_id=self.web.volume_ids[0])
        self.mgr.run_once(self.context)
        task = self.task(task.id)
        self.assertEqual(states.QUEUED, task.status)
        self.assertIn('quota', task.reason)

        api_policies.set_project_settings(self.context, self.acme.id,
                                          self.clock.now(), paused=True)
        self.sim.cloud.set_quota(self.acme.id, backups=-1)
        self.clock.set(task.retry_after)
        self.mgr.run_once(self.context)
        task = self.task(task.id)
        self.assertEqual(states.QUEUED, task.status)
        self.assertEqual('protection is paused for this project',
                         task.reason)

    def test_what_cannot_be_backed_up_is_refused(self):
        other = self.server(self.acme, 'lonely', opted_in=False)
        error = self.assertRaises(exception.NoSuchObject, self.now,
                                  volume_id=other.volume_ids[0])
        self.assertIn('Staffeln protects no volume', str(error))
        error = self.assertRaises(exception.InvalidInput, self.now,
                                  server_id=self.web.id, policy_name='gold')
        self.assertIn("policy: 'gold' is not a policy the project",
                      str(error))
        self.assertRaises(exception.InvalidInput, self.now)

    def task(self, task_id):
        return [t for t in self.tasks() if t.id == task_id][0]

    def test_a_paused_server_waits_and_resumes(self):
        other = self.server(self.acme, 'db', metadata={
            'backup_policy': 'night'})
        api_policies.set_server_settings(self.context, self.web.id,
                                         self.acme.id, self.clock.now(),
                                         paused=True)
        task, = self.now(volume_id=self.volume)
        self.mgr.run_once(self.context)
        task = [t for t in self.tasks() if t.id == task.id][0]
        self.assertEqual((states.QUEUED,
                          'protection is paused for this server'),
                         (task.status, task.reason))
        volumes = {v.id: v for v in db_api.list_volumes(self.context)}
        self.assertEqual('protection is paused for this server',
                         volumes[self.volume].skip_reason)
        self.assertIsNone(volumes[other.volume_ids[0]].skip_reason)

        api_policies.set_server_settings(self.context, self.web.id,
                                         self.acme.id, self.clock.now(),
                                         paused=False)
        self.clock.set(task.retry_after)
        self.mgr.run_once(self.context)
        task = [t for t in self.tasks() if t.id == task.id][0]
        self.assertNotEqual(states.QUEUED, task.status)
        volumes = {v.id: v for v in db_api.list_volumes(self.context)}
        self.assertNotEqual('protection is paused for this server',
                            volumes[self.volume].skip_reason)
