"""Backups that cannot be made now: reported once, tried again, converging.

A backup Cinder never finishes, and a project whose backup quota is used
up, must neither pile up failed tasks at every discovery nor stop being
looked at: they are reported once, tried again at a bounded pace, and the
volume is backed up as soon as it can be.
"""

import collections
import datetime

import fixtures

from staffeln.db import states
from staffeln.tests.functional.conductor import base

load_tests = base.load_tests
DAY = datetime.timedelta(days=1)
POST = ('POST', '/volume/v3/backups')


class TestStuckBackup(base.ConductorTestCase):

    def test_a_backup_cinder_never_finishes_converges(self):
        self.flags(group='conductor', backup_timeout='10min')
        logs = self.useFixture(fixtures.FakeLogger(
            name='staffeln.conductor'))
        acme = self.tenant('acme')
        server = self.server(acme, 'web')
        volume_id = server.volume_ids[0]
        self.sim.cloud.stick_next_backups(volume_id)
        manager = self.make_manager()
        result = manager.run_once(self.context)
        [task] = result.tasks
        self.assertEqual(states.CLEANUP, task.status)
        self.assertIn('timed out', task.reason)
        # Cycles go by while Cinder still makes it: the volume is skipped
        # for what it is, and no task piles up.
        for _ in range(3):
            self.clock.advance(DAY)
            result = manager.run_once(self.context)
            self.assertEqual(['volume status is backing-up'],
                             [c.skip_reason for c in result.skipped])
        self.assertEqual(1, len(self.tasks()))
        self.assertEqual(1, logs.output.count('is not deleted yet'))
        # An admin resets the backup and the volume; the failed backup is
        # deleted and the volume is backed up again.
        admin = self.sim.admin_connection().block_storage
        admin.reset_backup(task.backup_id, 'error')
        self.sim.cloud.volume(volume_id).status = 'in-use'
        self.clock.advance(DAY)
        result = manager.run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        statuses = sorted(t.status for t in self.tasks())
        self.assertEqual([states.AVAILABLE, states.FAILED], statuses)
        [backup] = [b for b in self.backups() if b['status'] != 'deleted']
        self.assertEqual('available', backup['status'])


class TestQuota(base.ConductorTestCase):

    def setUp(self):
        super().setUp()
        self.acme = self.tenant('acme')
        self.servers = [self.server(self.acme, f'web-{i}', volumes=2)
                        for i in range(5)]
        self.sim.cloud.set_quota(self.acme.id, backups=0)
        self.logs = self.useFixture(fixtures.FakeLogger(
            name='staffeln.conductor.backups'))

    def cycles(self, count: int, every: datetime.timedelta):
        manager = self.make_manager()
        for _ in range(count):
            manager.discover_and_schedule(self.context)
            manager.backup_step(self.context)
            self.clock.advance(every)
        return manager

    def test_quota_used_up_is_one_waiting_task_per_volume(self):
        self.cycles(12, datetime.timedelta(minutes=10))
        tasks = self.tasks()
        self.assertEqual(10, len(tasks))
        self.assertEqual({states.QUEUED}, {t.status for t in tasks})
        self.assertEqual(0, self.sim.cloud.calls[POST])
        # Reported once per volume, not at every try.
        self.assertEqual(10, self.logs.output.count(
            'quota exceeded: backups limit is 0'))
        # Once the quota allows it, every volume is backed up.
        self.sim.cloud.set_quota(self.acme.id, backups=-1)
        self.cycles(3, datetime.timedelta(hours=1))
        self.assertEqual({states.AVAILABLE}, {t.status for t in self.tasks()})
        self.assertEqual(10, len(self.tasks()))

    def test_cinders_refusal_is_tried_once_per_retry_interval(self):
        self.sim.cloud.set_quota(self.acme.id, backups=-1)
        self.sim.cloud.faults.add(
            method='POST', path_regex='/backups$', status=413, count=None,
            message='Maximum number of backups allowed (10) exceeded')
        self.cycles(6, datetime.timedelta(minutes=10))
        # Six cycles in one retry interval: one refused create per volume
        # (five at a time, the per-project cap).
        self.assertEqual(10, self.sim.cloud.calls[POST])
        self.assertEqual(10, len(self.tasks()))
        self.cycles(2, datetime.timedelta(minutes=10))
        self.assertEqual(20, self.sim.cloud.calls[POST])
        self.assertEqual(10, len(self.tasks()))


class TestErrorStorm(base.ConductorTestCase):

    def test_a_hung_listing_does_not_stop_backups_from_starting(self):
        self.flags(group='openstack', timeout=1, api_retries=0)
        acme = self.tenant('acme')
        self.server(acme, 'web', volumes=2)
        manager = self.make_manager()
        manager.discover_and_schedule(self.context)
        manager.backup_step(self.context)
        self.assertEqual({states.CREATING}, {t.status for t in self.tasks()})
        hang = self.sim.cloud.faults.add(
            method='GET', path_regex='/backups/detail', status=None,
            delay=2, count=None)
        self.clock.advance(120)
        self.server(acme, 'db')
        manager.discover_and_schedule(self.context)
        manager.backup_step(self.context)
        # The poll timed out; the new backup started anyway.
        self.assertEqual(3, len(self.tasks(status=states.CREATING)))
        self.sim.cloud.faults.remove(hang)
        self.clock.advance(120)
        manager.backup_step(self.context)
        self.assertEqual({states.AVAILABLE}, {t.status for t in self.tasks()})

    def test_one_in_five_calls_failing_keeps_every_volume_on_time(self):
        self.flags(group='conductor', backup_interval='6h',
                   min_backup_interval='1h')
        for name in ('acme', 'globex'):
            project = self.tenant(name)
            self.sim.cloud.set_quota(project.id, backups=-1)
            for s in range(4):
                self.server(project, f'{name}-{s}', volumes=2)
        self.sim.cloud.faults.add(status=503, count=None, ratio=0.2, seed=3,
                                  path_regex='/(volume|compute)/')
        manager = self.make_manager()
        missed_before = set()
        for _ in range(8):
            result = manager.run_once(self.context)
            done = {t.volume_id for t in result.tasks
                    if t.status == states.AVAILABLE}
            missed = {t.volume_id for t in result.tasks} - done
            # A create call can fail three times running (0.8% of tasks
            # at this rate): that volume misses one cycle, never two.
            self.assertEqual(set(), missed & missed_before)
            for task in result.tasks:
                if task.status != states.AVAILABLE:
                    self.assertIn('HTTP 503', task.reason)
            self.assertEqual(16, len({t.volume_id for t in result.tasks}))
            missed_before = missed
            self.clock.advance(datetime.timedelta(hours=6))
        per_volume = collections.Counter(
            t.volume_id for t in self.tasks(status=states.AVAILABLE))
        self.assertLessEqual(set(per_volume.values()), {7, 8})
        live = [b for b in self.backups() if b['status'] != 'deleted']
        self.assertEqual(sum(per_volume.values()), len(live))
