"""Retention deletes in an order Cinder accepts, and only what it should."""

import datetime
import io

from staffeln.cmd.manage import retention as retention_cmd
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.functional.retention import base

load_tests = base.load_tests

DAY = base.DAY


class TestChains(base.RetentionTestCase):

    def setUp(self):
        super().setUp()
        project = self.tenant('acme')
        self.server_ = self.server(project, 'web')
        self.volume_id = self.server_.volume_ids[0]

    def test_expired_chains_go_children_first_without_a_refusal(self):
        # A full and two incrementals a chain, one backup a day.
        self.history(20)
        tasks = self.by_id()
        self.assertEqual(['full', 'incremental', 'incremental'] * 2,
                         [tasks[i].backup_type for i in range(1, 7)])
        result = self.retention()

        # 14 days: backups 8 to 20 are younger, 7 is the full they need;
        # the chains 1-3 and 4-6 are due as a whole.
        self.assertEqual([], self.refusals())
        self.assertEqual([], result.errors)
        self.assertEqual([1, 2, 3, 4, 5, 6],
                         sorted(self.task_ids(result.deleted)))
        self.assertChildrenFirst(self.deleted_order())
        self.assertEqual(14, result.kept)
        tasks = self.by_id()
        for task_id in range(1, 21):
            expected = states.DELETED if task_id <= 6 else states.AVAILABLE
            self.assertEqual(expected, tasks[task_id].status, task_id)
        self.assertEqual({tasks[i].backup_id for i in range(7, 21)},
                         self.in_cinder())
        self.assertEqual(self.clock.now(), tasks[1].deleted_at)
        self.assertEqual(
            sorted(('backup_delete_end', tasks[i].uuid) for i in range(1, 7)),
            sorted(self.notifier.events))

        # Nothing more is due: the next run sends nothing.
        self.delete_calls.clear()
        again = self.retention()
        self.assertEqual(([], [], []), (again.deleted, again.deferred,
                                        self.delete_calls))

    def test_a_deep_chain_goes_in_one_run(self):
        self.flags(group='conductor', full_backup_depth=5)
        self.flags(group='retention', retention_time='7d')
        self.history(16)
        result = self.retention()
        self.assertEqual([6, 5, 4, 3, 2, 1], self.deleted_order())
        self.assertEqual([6, 5, 4, 3, 2, 1],
                         self.task_ids(result.deleted))
        self.assertEqual([], self.refusals())

    def test_without_waiting_each_run_goes_one_step_up_the_chain(self):
        self.flags(group='retention', delete_wait='0s')
        self.flags(group='conductor', full_backup_depth=3)
        self.flags(group='retention', retention_time='7d')
        self.history(12)
        first = self.retention()
        self.assertEqual([4], self.task_ids(first.pending))
        self.assertEqual(
            [(3, 'waits for incremental task 4 to be deleted first'),
             (2, 'waits for incremental task 3 to be deleted first'),
             (1, 'waits for incremental task 2 to be deleted first')],
            [(t.id, why) for t, why in first.deferred])
        self.assertEqual(states.DELETING, self.by_id()[4].status)
        for expected in ([4], [3], [2], [1]):
            self.clock.advance(60)
            result = self.retention()
            self.assertEqual(expected, self.task_ids(result.deleted))
        self.assertEqual([4, 3, 2, 1], self.deleted_order())
        self.assertEqual([], self.refusals())

    def test_a_refused_delete_is_retried_next_run_not_in_a_loop(self):
        self.history(20)
        backup_3 = self.backup_of(3)
        self.sim.cloud.faults.add(
            method='DELETE', path_regex=f'/backups/{backup_3}$', status=400,
            message='Invalid backup: Backup status must be available or '
                    'error', count=1)
        started = self.clock.now()
        result = self.retention()
        self.assertEqual([(backup_3, 400)], self.refusals())
        self.assertEqual([3], [t.id for t, _ in result.refused])
        self.assertIn('Cinder refused to delete it', result.refused[0][1])
        self.assertEqual([6, 5, 4], self.task_ids(result.deleted))
        self.assertEqual(
            {1: 'waits for incremental task 2 to be deleted first',
             2: 'waits for incremental task 3 to be deleted first'},
            {t.id: why for t, why in result.deferred})
        task = self.by_id()[3]
        self.assertEqual(states.AVAILABLE, task.status)
        self.assertIn('Backup status must be available or error',
                      task.reason)
        self.assertEqual(started + datetime.timedelta(seconds=1800),
                         task.retry_after)
        self.assertIn(backup_3, self.in_cinder())

        # At once again: not retried.
        self.delete_calls.clear()
        soon = self.retention()
        self.assertEqual([], self.delete_calls)
        self.assertIn('tried again after',
                      dict((t.id, w) for t, w in soon.deferred)[3])

        # The next cycle deletes the chain.
        self.clock.advance(self.conf.retention.retention_interval)
        later = self.retention()
        self.assertEqual([3, 2, 1], self.task_ids(later.deleted))
        self.assertEqual([], self.refusals())

    def test_an_uncertain_delete_is_checked_and_sent_again(self):
        self.flags(group='conductor', full_backup_depth=0)
        self.history(20)
        backup_2 = self.backup_of(2)
        self.sim.cloud.faults.add(method='DELETE',
                                  path_regex=f'/backups/{backup_2}$',
                                  status=503, count=1)
        result = self.retention()
        self.assertEqual(1, len(result.errors))
        self.assertIn('may have failed', result.errors[0])
        self.assertEqual(states.DELETING, self.by_id()[2].status)
        self.assertIsNone(self.by_id()[2].claimed_by)
        self.clock.advance(60)
        again = self.retention()
        self.assertEqual([2], self.task_ids(again.deleted))
        self.assertNotIn(backup_2, self.in_cinder())

    def test_intent_left_by_a_crash_is_carried_out(self):
        self.flags(group='conductor', full_backup_depth=0)
        self.history(20)
        # A conductor recorded the intent and died before the call.
        self.assertTrue(db_api.transition(self.context, 1, states.AVAILABLE,
                                          states.DELETING,
                                          now=self.clock.now()))
        result = self.retention()
        self.assertIn(1, self.task_ids(result.deleted))
        self.assertNotIn(self.backup_of(1), self.in_cinder())

    def test_error_deleting_is_reported_then_finished_after_a_reset(self):
        self.history(20)
        self.sim.cloud.fail_next_backup_deletes(self.volume_id, count=1)
        result = self.retention()
        self.assertEqual([3], [t.id for t, _ in result.stuck])
        self.assertEqual([6, 5, 4], self.task_ids(result.deleted))
        self.assertEqual({1, 2}, {t.id for t, _ in result.deferred})
        task = self.by_id()[3]
        self.assertEqual(states.DELETING, task.status)
        self.assertIn('error_deleting', task.reason)
        self.assertFalse(result.ok)

        # Still stuck: reported again, nothing sent.
        self.delete_calls.clear()
        self.clock.advance(3600)
        again = self.retention()
        self.assertEqual([3], [t.id for t, _ in again.stuck])
        self.assertEqual([], self.delete_calls)

        # An admin resets the backup to error: the next run finishes.
        self.sim.cloud.backup(self.backup_of(3)).status = 'error'
        self.clock.advance(3600)
        final = self.retention()
        self.assertEqual([3, 2, 1], self.task_ids(final.deleted))
        self.assertEqual([], self.refusals())

    def test_a_vanished_backup_is_recorded_as_deleted(self):
        self.flags(group='conductor', full_backup_depth=0)
        self.history(20)
        gone = self.sim.cloud.backup(self.backup_of(2))
        self.sim.cloud.backups.remove(gone)
        result = self.retention()
        self.assertEqual([2], self.task_ids(result.vanished))
        self.assertEqual(states.DELETED, self.by_id()[2].status)
        self.assertEqual('vanished from Cinder', self.by_id()[2].reason)
        self.assertNotIn(2, self.deleted_order())
        self.assertEqual([1, 3, 4, 5, 6, 7],
                         sorted(self.task_ids(result.deleted)))

    def test_a_backup_cinder_is_restoring_waits(self):
        self.flags(group='conductor', full_backup_depth=0)
        self.history(20)
        self.sim.cloud.backup(self.backup_of(1)).status = 'restoring'
        result = self.retention()
        self.assertEqual(
            [(1, 'the backup is restoring in Cinder; tried again next run')],
            [(t.id, why) for t, why in result.deferred])
        self.assertEqual(states.AVAILABLE, self.by_id()[1].status)
        self.assertEqual([], self.refusals())

    def test_limit_of_deletes_per_run(self):
        self.flags(group='conductor', full_backup_depth=0)
        self.flags(group='retention', max_deletes_per_run=2)
        self.history(20)
        result = self.retention()
        self.assertEqual(2, len(result.deleted))
        self.assertEqual(5, len(result.deferred))
        self.clock.advance(3600)
        self.assertEqual(2, len(self.retention().deleted))


class TestScope(base.RetentionTestCase):

    def test_manual_backups_are_never_touched(self):
        self.flags(group='conductor', full_backup_depth=0)
        project, _user = self.sim.add_tenant('acme')
        self.sim.cloud.set_quota(project.id, backups=-1, backup_gigabytes=-1)
        server = self.server(project, 'web')
        volume_id = server.volume_ids[0]
        tenant = self.sim.connect(project='acme', user='acme-user')
        self.history(1)
        # The tenant's own backups: a full, and an incremental that Cinder
        # bases on Staffeln's backup (the newest available one).
        incremental = tenant.block_storage.create_backup(
            volume_id=volume_id, name='mine-incremental', force=True,
            is_incremental=True)
        self.clock.advance(120)
        full = tenant.block_storage.create_backup(
            volume_id=volume_id, name='mine-full', force=True)
        self.clock.advance(120)
        self.history(20)
        staffeln_first = self.backup_of(1)
        self.assertEqual(staffeln_first,
                         self.sim.cloud.backup(incremental.id).parent_id)
        due = self.due_ids()
        self.assertIn(1, due)

        result = self.retention()
        # Backup 1 is due but Cinder says an incremental backup depends on
        # it, so it is not even tried; the others go.
        self.assertEqual(sorted(due - {1}),
                         sorted(self.task_ids(result.deleted)))
        self.assertEqual(
            [(1, 'Cinder reports incremental backups of it that Staffeln '
                 'did not make')],
            [(t.id, why) for t, why in result.deferred])
        self.assertEqual([], self.refusals())
        left = self.in_cinder()
        self.assertLessEqual({incremental.id, full.id, staffeln_first}, left)
        # Only Staffeln's tasks were ever asked for.
        mine = {t.backup_id for t in self.tasks()}
        self.assertLessEqual({b for b, _ in self.delete_calls}, mine)

    def test_each_project_deletes_in_its_own_scope(self):
        self.flags(group='conductor', full_backup_depth=0)
        for name in ('acme', 'globex'):
            self.server(self.tenant(name), f'{name}-web')
        self.history(10, step=2 * DAY)
        due = self.due_ids()
        result = self.retention()
        self.assertEqual(sorted(due), sorted(self.task_ids(result.deleted)))
        self.assertEqual([], self.refusals())
        projects = {t.project_id for t in result.deleted}
        self.assertEqual(2, len(projects))


class TestPolicies(base.RetentionTestCase):

    def setUp(self):
        super().setUp()
        self.flags(group='conductor', full_backup_depth=0)
        self.project = self.tenant('acme')

    def volume_tasks(self, server) -> list:
        return self.tasks(volume_id=server.volume_ids[0])

    def test_server_overrides_are_clamped_and_reported(self):
        longer = self.server(self.project, 'longer',
                             metadata={'backup_retention': '3w'})
        short = self.server(self.project, 'short',
                            metadata={'backup_retention': '1d'})
        bogus = self.server(self.project, 'bogus',
                            metadata={'backup_keep': 'forever'})
        weekly = self.server(self.project, 'weekly',
                             metadata={'backup_retention': '7d',
                                       'backup_keep': 'weekly=4'})
        self.history(16, step=2 * DAY)
        result = self.retention()

        now = self.clock.now()

        def alive(server):
            return sum(1 for t in self.volume_tasks(server)
                       if t.status == states.AVAILABLE)

        def within(server, days):
            limit = datetime.timedelta(days=days)
            return sum(1 for t in self.volume_tasks(server)
                       if now - t.started_at <= limit)
        self.assertEqual(within(longer, 21), alive(longer))
        self.assertEqual(within(short, 7), alive(short))  # clamped up
        self.assertEqual(within(bogus, 14), alive(bogus))  # the default
        self.assertGreater(within(longer, 21), within(bogus, 14))
        self.assertGreater(within(bogus, 14), within(short, 7))
        # 7 days, plus the newest backup of each of 4 ISO weeks, some of
        # them within the 7 days already.
        self.assertGreater(alive(weekly), within(weekly, 7))
        self.assertLessEqual(alive(weekly), within(weekly, 7) + 4)

        problems = {p.server_name: p.message for p in result.problems}
        self.assertEqual({'short', 'bogus'}, set(problems))
        self.assertEqual('backup_retention 1d is shorter than the minimum '
                         '1w; using the minimum', problems['short'])
        self.assertIn("backup_keep ignored: 'forever' is not a keep rule",
                      problems['bogus'])
        stored = db_api.get_volume(self.context, short.volume_ids[0])
        self.assertEqual(problems['short'], stored.problems)
        # Once the server is fixed, the problem is cleared.
        self.sim.cloud.server(short.id).metadata['backup_retention'] = '8d'
        self.make_manager().discover_and_schedule(self.context)
        self.assertEqual(['bogus'], [p.server_name
                                     for p in self.retention().problems])
        self.assertIsNone(db_api.get_volume(
            self.context, short.volume_ids[0]).problems)

    def test_gone_volume_keeps_its_last_backup_until_it_is_deleted(self):
        server = self.server(self.project, 'web',
                             metadata={'backup_retention': '10d'})
        self.history(5)
        # The server is opted out: its volume still exists, and keeps the
        # policy it last had.
        self.sim.cloud.server(server.id).metadata['backup'] = 'no'
        self.history(10, step=2 * DAY)
        volume = db_api.get_volume(self.context, server.volume_ids[0])
        self.assertIsNotNone(volume.gone_at)
        self.assertEqual('10d', volume.retention['backup_retention'])
        self.retention()
        # (The runs of run-once may have deleted them already.)
        self.assertEqual(
            [states.DELETED] * 4 + [states.AVAILABLE],
            [self.by_id()[i].status for i in range(1, 6)])

        # The volume is deleted: its last backup ages out too.
        volume_id = server.volume_ids[0]
        server.volume_ids.clear()
        self.sim.cloud.volumes.remove(self.sim.cloud.volume(volume_id))
        result = self.retention()
        self.assertEqual([5], self.task_ids(result.deleted))

    def test_keep_rules_from_the_configuration(self):
        self.flags(group='retention', retention_time='7d', keep_weekly=3,
                   keep_monthly=2)
        server = self.server(self.project, 'web')
        self.history(25, step=2 * DAY)
        result = self.retention()
        kept = sorted(t.started_at for t in self.volume_tasks(server)
                      if t.status == states.AVAILABLE)
        self.assertEqual(result.kept, len(kept))
        now = self.clock.now()
        recent = sum(1 for t in kept if now - t <= datetime.timedelta(7))
        # The last 7 days, and the newest of 3 ISO weeks and of 2 months
        # (some of which fall within the 7 days).
        weeks = {t.isocalendar()[:2] for t in kept}
        months = {(t.year, t.month) for t in kept}
        self.assertGreaterEqual(len(weeks), 3)
        self.assertGreaterEqual(len(months), 2)
        self.assertGreater(len(kept), recent)
        self.assertLessEqual(len(kept), recent + 3 + 2)


class TestPreview(base.RetentionTestCase):

    def test_preview_shows_the_plan_and_changes_nothing(self):
        project = self.tenant('acme')
        self.server(project, 'web', metadata={'backup_keep': 'nonsense'})
        self.history(20)
        before = (self.in_cinder(), [(t.id, t.status, t.updated_at)
                                     for t in self.tasks()])
        rows = self.make_retention().preview(self.context)
        self.assertEqual(20, len(rows))
        verdicts = {task.id: (keep, why) for task, keep, why in rows}
        self.assertEqual((False, 'older than 2w'), verdicts[1])
        self.assertEqual((True, 'needed by kept incremental task 8'),
                         verdicts[7])
        self.assertEqual((True, 'within 2w'), verdicts[20])
        self.assertEqual(before, (self.in_cinder(),
                                  [(t.id, t.status, t.updated_at)
                                   for t in self.tasks()]))
        self.assertEqual([], self.delete_calls)

        out = io.StringIO()
        cloud = self.make_retention().cloud
        self.assertEqual(0, retention_cmd.preview_command(
            self.conf, cloud, project.id, out=out, clock=self.clock))
        text = out.getvalue()
        self.assertIn('Retention preview: 20 backups, 14 kept, 6 to delete.',
                      text)
        self.assertEqual(6, text.count(' DELETE '))
        self.assertIn("backup_keep ignored: 'nonsense'", text)

        other = io.StringIO()
        retention_cmd.preview_command(
            self.conf, cloud, 'no-such-project', out=other,
            clock=self.clock)
        self.assertIn('0 backups', other.getvalue())
