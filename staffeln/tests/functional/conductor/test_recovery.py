"""Ambiguous failures and abandoned claims end in exactly one backup."""

import collections

from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.functional.conductor import base

load_tests = base.load_tests


class TestRecovery(base.ConductorTestCase):

    def assertOneBackupPerVolume(self, servers):
        volumes = {v for s in servers for v in s.volume_ids}
        per_volume = collections.Counter(
            b['volume_id'] for b in self.backups())
        self.assertEqual({v: 1 for v in volumes}, dict(per_volume))

    def test_server_error_on_create_is_checked_then_retried(self):
        acme = self.tenant('acme')
        server = self.server(acme, 'web')
        self.sim.cloud.faults.add(method='POST', path_regex=r'.*/backups$',
                                  status=503, count=1)
        mgr = self.make_manager()
        mgr.discover_and_schedule(self.context)
        mgr.engine.start_queued(self.context)
        [task] = self.tasks()
        # Cinder may or may not have made it: the task waits, unclaimed.
        self.assertEqual((states.STARTING, None),
                         (task.status, task.claimed_by))
        self.assertIn('503', task.reason)
        result = mgr.run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        [task] = self.tasks()
        self.assertEqual((states.AVAILABLE, 2), (task.status, task.attempts))
        self.assertOneBackupPerVolume([server])

    def test_another_conductor_takes_over_after_the_claim_expires(self):
        acme = self.tenant('acme')
        server = self.server(acme, 'web')
        first = self.make_manager()
        first.discover_and_schedule(self.context)
        [task] = self.tasks()
        now = self.clock.now()
        # conductor-1 claimed the task, recorded its intent, and died
        # before its create call reached Cinder.
        self.assertTrue(db_api.claim_task(
            self.context, task.id, states.QUEUED, 'conductor-1', now,
            now + self.conf.conductor.claim_timeout))
        self.assertTrue(db_api.transition(
            self.context, task.id, states.QUEUED, states.STARTING,
            now=now, owner='conductor-1', started_at=now, attempts=1))
        self.flags(host='conductor-2')
        second = self.make_manager()
        second.backup_step(self.context)
        self.assertEqual(states.STARTING, self.tasks()[0].status)
        self.clock.advance(self.conf.conductor.claim_timeout)
        self.clock.advance(1)
        result = second.run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        self.assertEqual(states.AVAILABLE, self.tasks()[0].status)
        self.assertOneBackupPerVolume([server])

    def test_retries_are_bounded(self):
        acme = self.tenant('acme')
        self.server(acme, 'web')
        self.sim.cloud.faults.add(method='POST', path_regex=r'.*/backups$',
                                  status=500, count=None)
        result = self.make_manager().run_once(self.context)
        [task] = result.tasks
        self.assertEqual(states.FAILED, task.status)
        self.assertIn('no backup after 3 attempts', task.reason)
        self.assertEqual([], self.backups())
