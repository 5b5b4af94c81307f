"""Restore drills over HTTP: restored, checked, deleted, on the clock."""

import datetime

from staffeln.conductor import report_content
from staffeln.conductor import report_render
from staffeln.conductor import webhook_content
from staffeln.db import api_drills
from staffeln.tests.functional.conductor import base

load_tests = base.load_tests
DAY = datetime.timedelta(days=1)


class TestDrills(base.ConductorTestCase):

    def setUp(self):
        super().setUp()
        self.flags(group='drills', enabled=True)
        self.acme = self.tenant('acme')

    def drill_volumes(self):
        """Volumes Cinder has that a drill restored."""
        return [v for v in self.sim.cloud.volumes.values()
                if (v.name or '').startswith('staffeln-drill-')]

    def quota_in_use(self):
        quota = self.sim.cloud.quotas.quota_set(self.acme.id, usage=True)
        return quota['volumes']['in_use'], quota['gigabytes']['in_use']

    def test_run_once_restores_checks_and_deletes(self):
        server = self.server(self.acme, 'web', size=3)
        before = self.quota_in_use()
        result = self.make_manager().run_once(self.context)

        self.assertTrue(result.ok, result.errors)
        [drill] = result.drills
        [task] = self.tasks()
        self.assertEqual((api_drills.DONE, api_drills.PASSED),
                         (drill.status, drill.outcome))
        self.assertEqual(server.volume_ids[0], drill.volume_id)
        self.assertEqual(task.backup_id, drill.backup_id)
        self.assertEqual(3, drill.size_gb)
        # Cinder takes restore_duration (60 s); run-once polls every 30 s.
        self.assertEqual(60.0, drill.rto_s)
        self.assertEqual([], self.drill_volumes())
        self.assertEqual(before, self.quota_in_use())

    def test_a_restore_that_errors_fails_and_is_deleted(self):
        self.server(self.acme, 'web')
        mgr = self.make_manager()
        self.flags(group='drills', enabled=False)
        mgr.run_once(self.context)
        [task] = self.tasks()
        self.sim.cloud.fail_next_restores(task.backup_id)
        self.flags(group='drills', enabled=True)

        result = mgr.run_once(self.context)

        [drill] = result.drills
        self.assertEqual(api_drills.FAILED, drill.outcome)
        self.assertEqual('the restored volume is error', drill.reason)
        self.assertIsNone(drill.rto_s)
        self.assertEqual(api_drills.DONE, drill.status)
        self.assertEqual([], self.drill_volumes())
        self.assertFalse(result.ok)

    def test_a_refused_restore_fails_and_leaves_nothing(self):
        self.server(self.acme, 'web', size=2)
        mgr = self.make_manager()
        self.flags(group='drills', enabled=False)
        mgr.run_once(self.context)
        self.flags(group='drills', enabled=True)
        # No room for the restored volume in the project's quota.
        self.sim.cloud.quotas.set(self.acme.id, gigabytes=2)

        [drill] = mgr.run_once(self.context).drills

        self.assertEqual((api_drills.DONE, api_drills.FAILED),
                         (drill.status, drill.outcome))
        self.assertIn('Cinder refused the restore', drill.reason)
        self.assertEqual([], self.drill_volumes())

    def test_a_restore_never_available_times_out_then_is_deleted(self):
        self.server(self.acme, 'web')
        mgr = self.make_manager()
        self.flags(group='drills', enabled=False)
        mgr.run_once(self.context)
        self.flags(group='drills', enabled=True)
        self.flags(group='drills', timeout='10min')
        self.sim.cloud.restore_duration = 3600

        [drill] = mgr.drill(self.context)
        self.clock.advance(datetime.timedelta(minutes=11))
        mgr.drill(self.context)

        drill = api_drills.get_drill(self.context, drill.id)
        self.assertEqual(api_drills.FAILED, drill.outcome)
        self.assertEqual('the restored volume was still creating after '
                         '10 min', drill.reason)
        # Cinder deletes it once it is no longer being made.
        self.assertEqual(api_drills.DELETING, drill.status)
        self.clock.advance(datetime.timedelta(hours=1))
        mgr.drill(self.context)
        mgr.drill(self.context)
        self.assertEqual(api_drills.DONE,
                         api_drills.get_drill(self.context, drill.id).status)
        self.assertEqual([], self.drill_volumes())

    def test_every_volume_once_per_period_oldest_first(self):
        self.flags(group='drills', period='3d')
        self.sim.cloud.restore_duration = 0
        for name in ('a', 'b', 'c'):
            self.server(self.acme, name)
        mgr = self.make_manager()
        self.flags(group='drills', enabled=False)
        mgr.run_once(self.context)
        self.flags(group='drills', enabled=True)
        volumes = {t.volume_id for t in self.tasks()}

        # One at a time ([drills] max_in_flight = 1): a pass advances the
        # drill of the pass before and starts the next.
        first = [mgr.drill(self.context, wait=True) for _ in range(4)]
        order = [d[0].volume_id for d in first if d]
        self.assertEqual(sorted(volumes), sorted(order))
        self.assertEqual(3, len(order))
        # Within the period nothing is due again.
        self.clock.advance(2 * DAY)
        self.assertEqual([], mgr.drill(self.context, wait=True))
        # Then the longest ago goes first.
        self.clock.advance(DAY)
        [again] = mgr.drill(self.context, wait=True)
        self.assertEqual(order[0], again.volume_id)

    def test_drills_never_hold_back_a_backup(self):
        self.flags(group='conductor', max_in_flight=1)
        self.server(self.acme, 'web')
        mgr = self.make_manager()
        self.flags(group='drills', enabled=False)
        mgr.run_once(self.context)
        self.flags(group='drills', enabled=True)
        self.server(self.acme, 'db')

        # A backup waits to start: no drill.
        mgr.discover_and_schedule(self.context)
        self.assertEqual([], mgr.drill(self.context))
        # The backup takes the only slot: no drill.
        mgr.backup_step(self.context)
        self.assertEqual(1, len(self.tasks(status='creating')))
        self.assertEqual([], mgr.drill(self.context))
        # The backup is made: the drill starts.
        self.clock.advance(datetime.timedelta(minutes=2))
        mgr.backup_step(self.context)
        self.assertEqual([], self.tasks(status='creating'))
        self.assertEqual(1, len(mgr.drill(self.context)))

    def test_the_digest_and_the_webhook_tell_the_verdicts(self):
        self.server(self.acme, 'web')
        start = self.clock.now()
        mgr = self.make_manager()
        mgr.run_once(self.context)
        [task] = self.tasks()
        self.flags(group='drills', period='1h')
        self.clock.advance(datetime.timedelta(hours=2))
        self.sim.cloud.fail_next_restores(task.backup_id)
        mgr.run_once(self.context)

        digest = report_content.collect(
            self.context, self.acme.id, start, self.clock.now(),
            datetime.timedelta(hours=1))
        text = report_render.Renderer(self.conf).render(
            digest, report_render.TEXT)
        self.assertIn(f'volume web-vol0, backup {task.backup_id}: passed, '
                      f'restored in 1min', text)
        self.assertIn(f'volume web-vol0, backup {task.backup_id}: failed\n'
                      f'  reason: the restored volume is error', text)
        html = report_render.Renderer(self.conf).render(digest)
        self.assertIn('id="drills"', html)
        doc = webhook_content.document('d', [digest], start,
                                       self.clock.now())
        self.assertEqual(1, doc['summary']['drills_failed'])
        self.assertEqual(['passed', 'failed'],
                         [d['outcome'] for d in doc['projects'][0]['drills']])
        self.assertTrue(webhook_content.has_trouble([digest]))
