"""A project deleted in Keystone stalls nobody else's backups."""

import datetime

from staffeln.db import states
from staffeln.tests.functional.conductor import base

load_tests = base.load_tests
DAY = datetime.timedelta(days=1)


class TestDeletedProject(base.ConductorTestCase):

    def setUp(self):
        super().setUp()
        self.flags(group='conductor', full_backup_depth=0)
        self.acme, self.gone = self.tenant('acme'), self.tenant('gone')
        self.web = self.server(self.acme, 'web', volumes=2)
        self.lost = self.server(self.gone, 'lost', volumes=2)
        for day in range(2):
            self.clock.advance(day * DAY)
            result = self.make_manager().run_once(self.context)
            self.assertTrue(result.ok, result.errors)
        self.assertEqual(8, len(self.backups()))
        self.sim.cloud.delete_project(self.gone.id)
        self.clock.advance(DAY)

    def by_project(self, project_id):
        return [t for t in self.tasks() if t.project_id == project_id]

    def test_other_projects_are_backed_up_and_the_gone_one_waits(self):
        manager = self.make_manager()
        started = self.clock.now()
        result = manager.run_once(self.context)
        self.assertEqual([], result.errors)
        acme = self.by_project(self.acme.id)
        self.assertEqual([states.AVAILABLE] * 6, [t.status for t in acme])
        waiting = [t for t in self.by_project(self.gone.id)
                   if t.status != states.AVAILABLE]
        self.assertEqual([states.QUEUED] * 2, [t.status for t in waiting])
        for task in waiting:
            self.assertIn(f'no token can be had for project {self.gone.id}',
                          task.reason)
            self.assertLessEqual(started + datetime.timedelta(hours=1),
                                 task.retry_after)
        # The next discoveries queue nothing more for it, and nothing is
        # tried again before the retry interval.
        posts = self.sim.cloud.calls[('POST', '/volume/v3/backups')]
        self.clock.advance(1800)
        manager.discover_and_schedule(self.context)
        manager.backup_step(self.context)
        self.assertEqual(2, len(waiting))
        self.assertEqual(12, len(self.tasks()))
        self.assertEqual(posts,
                         self.sim.cloud.calls[('POST', '/volume/v3/backups')])

    def test_the_backup_loop_starts_other_projects_work(self):
        manager = self.make_manager()
        manager.discover_and_schedule(self.context)
        manager.backup_step(self.context)
        self.assertEqual({states.CREATING},
                         {t.status for t in self.by_project(self.acme.id)
                          if t.status != states.AVAILABLE})
        self.assertEqual([], self.tasks(status=states.STARTING))

    def test_retention_goes_on_for_the_other_projects(self):
        self.flags(group='retention', retention_time='7d',
                   min_retention='1d')
        manager = self.make_manager()
        deleted, refused = set(), set()
        for _ in range(9):
            self.clock.advance(DAY)
            result = manager.run_once(self.context).retention
            self.assertEqual([], result.errors)
            deleted.update(t.project_id for t in result.deleted)
            refused.update(job.project_id for job, _ in result.refused)
        self.assertEqual({self.acme.id}, deleted)
        self.assertEqual({self.gone.id}, refused)
