"""A create whose answer is lost makes one backup, never two, never none.

The task's marker in the backup's metadata is the create's idempotency key:
before a second create for a task, Staffeln looks for the first by it for
as long as Cinder could still be making it, adopts exactly one backup per
task, and deletes every other backup that carries the same marker.
"""

import collections

from staffeln.common import failpoints
from staffeln.db import api_strays
from staffeln.db import states
from staffeln.tests.functional.conductor import base

load_tests = base.load_tests
POST = ('POST', '/volume/v3/backups')


class TestAmbiguousCreate(base.ConductorTestCase):

    def setUp(self):
        super().setUp()
        self.acme = self.tenant('acme')
        self.web = self.server(self.acme, 'web')
        self.volume_id = self.web.volume_ids[0]

    def backups_of_volume(self):
        return [b for b in self.backups() if b['volume_id'] == self.volume_id
                and b['status'] != 'deleted']

    def assertOneGoodBackup(self):
        [task] = self.tasks()
        self.assertEqual(states.AVAILABLE, task.status)
        [backup] = self.backups_of_volume()
        self.assertEqual(task.backup_id, backup['id'])
        self.assertEqual(task.uuid, backup['metadata']['__staffeln_task'])

    def test_a_server_error_after_cinder_made_the_backup(self):
        self.sim.cloud.faults.add(method='POST', path_regex='/backups$',
                                  status=503, after=True)
        result = self.make_manager().run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        self.assertOneGoodBackup()
        self.assertEqual(1, self.sim.cloud.calls[POST])

    def test_an_answer_that_comes_after_the_client_gave_up(self):
        self.flags(group='openstack', timeout=1)
        self.sim.cloud.faults.add(method='POST', path_regex='/backups$',
                                  status=None, delay=2.5, after=True)
        result = self.make_manager().run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        self.assertOneGoodBackup()
        self.assertEqual(1, self.sim.cloud.calls[POST])

    def test_no_second_create_while_cinder_may_still_make_the_first(self):
        self.sim.cloud.faults.add(method='POST', path_regex='/backups$',
                                  status=502)
        manager = self.make_manager()
        manager.discover_and_schedule(self.context)
        manager.backup_step(self.context)
        [task] = self.tasks()
        self.assertEqual(states.STARTING, task.status)
        settle = self.conf.conductor.create_settle_time
        # Cinder made nothing; until the settle time has passed, nothing
        # is created again.
        self.clock.advance(settle.total_seconds() - 1)
        manager.backup_step(self.context)
        self.assertEqual(states.STARTING, self.tasks()[0].status)
        self.assertEqual(1, self.sim.cloud.calls[POST])
        self.clock.advance(2)
        manager.backup_step(self.context)
        self.assertEqual(2, self.sim.cloud.calls[POST])
        self.clock.advance(120)
        manager.backup_step(self.context)
        self.assertOneGoodBackup()

    def test_duplicates_are_adopted_once_and_the_rest_deleted(self):
        manager = self.make_manager()
        manager.discover_and_schedule(self.context)
        [task] = self.tasks()
        # Three creates for the task reached Cinder and no answer came
        # back: the intent is recorded, the claim lapsed.
        self.sim.cloud.faults.add(method='POST', path_regex='/backups$',
                                  status=504, after=True)
        manager.backup_step(self.context)
        storage = self.sim.connect(user='staffeln', password='staffeln-secret',
                                   project_id=self.acme.id).block_storage
        for _ in range(2):
            self.clock.advance(61)
            storage.create_backup(volume_id=self.volume_id, force=True,
                                  metadata={'__staffeln_task': task.uuid,
                                            '__automated_backup': 'True'})
        self.clock.advance(120)
        manager.backup_step(self.context)
        strays = api_strays.list_strays(self.context,
                                        (api_strays.FOUND,
                                         api_strays.DELETING,
                                         api_strays.DELETED))
        self.assertEqual(2, len(strays))
        for _ in range(3):
            self.clock.advance(60)
            manager.backup_step(self.context)
        self.assertOneGoodBackup()
        self.assertEqual({api_strays.DELETED}, {
            s.status for s in api_strays.list_strays(
                self.context, (api_strays.FOUND, api_strays.DELETING,
                               api_strays.DELETED))})

    def test_a_conductor_that_froze_cannot_record_its_late_backup(self):
        frozen = self.make_manager()
        frozen.engine.host = 'frozen'
        other = self.make_manager()
        other.engine.host = 'other'
        frozen.discover_and_schedule(self.context)
        conductor = self.conf.conductor
        woke = []

        def freeze(name):
            if name != 'before_create' or woke:
                return
            woke.append(name)
            # Frozen between its intent and its create call, for longer
            # than its claim and the settle time: another conductor takes
            # the task over and makes the backup.
            self.clock.advance((conductor.claim_timeout
                                + conductor.create_settle_time
                                ).total_seconds() + 1)
            other.backup_step(self.context)
            self.clock.advance(61)
            other.backup_step(self.context)
        failpoints.install(freeze)
        self.addCleanup(failpoints.install, None)
        frozen.backup_step(self.context)
        failpoints.install(None)
        # The frozen conductor's create went through late: two backups
        # carry the marker, and the late one is a stray.
        self.assertEqual(2, len(self.backups_of_volume()))
        [stray] = api_strays.list_strays(self.context)
        [task] = self.tasks()
        self.assertNotEqual(task.backup_id, stray.backup_id)
        for _ in range(3):
            self.clock.advance(120)
            other.backup_step(self.context)
        self.assertOneGoodBackup()
        self.assertEqual(2, self.sim.cloud.calls[POST])

    def test_every_volume_gets_one_backup_under_lost_answers(self):
        for name in ('db', 'app', 'cache'):
            self.server(self.acme, name, volumes=2)
        self.sim.cloud.faults.add(method='POST', path_regex='/backups$',
                                  status=503, after=True, count=None,
                                  ratio=0.5, seed=7)
        result = self.make_manager().run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        per_volume = collections.Counter(
            b['volume_id'] for b in self.backups()
            if b['status'] != 'deleted')
        self.assertEqual({1}, set(per_volume.values()))
        self.assertEqual(7, len(per_volume))
