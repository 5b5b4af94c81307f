"""The backup engine over HTTP: what tenants and operators see in Cinder."""

import datetime

from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.functional.conductor import base

load_tests = base.load_tests
DAY = 86400


class TestBackups(base.ConductorTestCase):

    def test_backup_lands_in_the_volumes_project(self):
        acme = self.tenant('acme')
        server = self.server(acme, 'web')
        result = self.make_manager().run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        [backup] = self.backups()
        self.assertEqual(acme.id, backup['project_id'])
        self.assertEqual('available', backup['status'])
        tenant = self.sim.connect(project='acme', user='acme-user')
        seen = [b.id for b in tenant.block_storage.backups()]
        self.assertEqual([backup['id']], seen)
        self.assertEqual(server.volume_ids[0], backup['volume_id'])

    def test_name_description_and_markers(self):
        acme = self.tenant('acme')
        self.server(acme, 'web')
        self.clock.set(datetime.datetime(2026, 5, 4, 3, 2, 1,
                                         tzinfo=datetime.timezone.utc))
        self.make_manager().run_once(self.context)
        [backup] = self.backups()
        [task] = self.tasks()
        self.assertEqual('web-vol0-20260504T030201Z', backup['name'])
        self.assertEqual('Full backup by Staffeln', backup['description'])
        self.assertEqual({'__automated_backup': 'True',
                          '__staffeln_task': task.uuid},
                         backup['metadata'])

    def test_unnamed_volume_named_after_its_id(self):
        acme = self.tenant('acme')
        volume = self.sim.cloud.add_volume(acme.id, name='')
        self.sim.cloud.add_server(acme.id, 'web',
                                  metadata={'backup': 'yes'},
                                  volume_ids=[volume.id])
        self.make_manager().run_once(self.context)
        [backup] = self.backups()
        self.assertTrue(backup['name'].startswith(volume.id + '-'))

    def test_last_backup_time_set_on_the_server(self):
        acme = self.tenant('acme')
        server = self.server(acme, 'web')
        self.make_manager().run_once(self.context)
        stamp = self.sim.cloud.server(server.id).metadata[
            'last-backup-time']
        [task] = self.tasks()
        self.assertEqual(task.finished_at.strftime('%Y-%m-%dT%H:%M:%SZ'),
                         stamp)

    def test_full_then_incrementals_then_full(self):
        self.flags(group='conductor', full_backup_depth=2)
        acme = self.tenant('acme')
        self.server(acme, 'web')
        kinds = []
        for _ in range(4):
            self.make_manager().run_once(self.context)
            kinds.append(self.backups()[-1]['is_incremental'])
            self.clock.advance(DAY)
        self.assertEqual([False, True, True, False], kinds)
        tasks = self.tasks()
        self.assertEqual(tasks[0].id, tasks[1].parent_id)
        self.assertEqual(tasks[1].id, tasks[2].parent_id)
        self.assertIsNone(tasks[3].parent_id)

    def test_failed_backup_does_not_count_toward_interval_or_depth(self):
        self.flags(group='conductor', full_backup_depth=1)
        acme = self.tenant('acme')
        server = self.server(acme, 'web')
        self.make_manager().run_once(self.context)   # full
        self.clock.advance(DAY)
        self.sim.cloud.fail_next_backups(server.volume_ids[0],
                                         reason='disk on fire')
        result = self.make_manager().run_once(self.context)
        self.assertFalse(result.ok)
        self.assertEqual('Cinder: disk on fire', result.tasks[0].reason)
        # Due again at once, and still the incremental after the full.
        result = self.make_manager().run_once(self.context)
        self.assertTrue(result.ok)
        self.assertEqual('incremental', result.tasks[0].backup_type)

    def test_failed_backup_is_deleted_from_cinder(self):
        acme = self.tenant('acme')
        server = self.server(acme, 'web')
        self.sim.cloud.fail_next_backups(server.volume_ids[0])
        result = self.make_manager().run_once(self.context)
        self.assertEqual(states.FAILED, result.tasks[0].status)
        self.assertEqual([], self.backups())

    def test_incremental_without_parent_in_cinder_retried_as_full(self):
        acme = self.tenant('acme')
        self.server(acme, 'web')
        self.make_manager().run_once(self.context)
        # An admin deletes the full behind Staffeln's back.
        [full] = self.backups()
        self.sim.admin_connection().block_storage.delete_backup(full['id'])
        self.clock.advance(DAY)
        result = self.make_manager().run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        self.assertEqual('full', result.tasks[0].backup_type)
        self.assertFalse(self.backups()[-1]['is_incremental'])

    def test_in_use_volume_is_forced(self):
        acme = self.tenant('acme')
        server = self.server(acme, 'web')
        self.assertEqual('in-use',
                         self.sim.cloud.volume(server.volume_ids[0]).status)
        result = self.make_manager().run_once(self.context)
        self.assertTrue(result.ok, result.errors)

    def test_interval_and_server_override(self):
        self.flags(group='conductor', backup_interval='1d',
                   min_backup_interval='2h')
        acme = self.tenant('acme')
        daily = self.server(acme, 'daily')
        often = self.server(acme, 'often',
                            metadata={'backup_interval': '6h'})
        clamped = self.server(acme, 'clamped',
                              metadata={'backup_interval': '1min'})
        bad = self.server(acme, 'bad',
                          metadata={'backup_interval': 'hourly'})
        self.make_manager().run_once(self.context)
        self.clock.advance(6 * 3600)
        result = self.make_manager().run_once(self.context)
        self.assertEqual({often.volume_ids[0], clamped.volume_ids[0]},
                         {t.volume_id for t in result.tasks})
        volume = db_api.get_volume(self.context, clamped.volume_ids[0])
        self.assertEqual(2 * 3600, volume.interval_s)
        self.assertIn('shorter than the minimum 2h', volume.problems)
        volume = db_api.get_volume(self.context, bad.volume_ids[0])
        self.assertEqual(DAY, volume.interval_s)
        self.assertIn("'hourly' is not a duration", volume.problems)
        self.clock.advance(18 * 3600)
        result = self.make_manager().run_once(self.context)
        self.assertIn(daily.volume_ids[0],
                      {t.volume_id for t in result.tasks})

    def test_zero_interval_backs_up_every_cycle(self):
        self.flags(group='conductor', backup_interval='0s',
                   min_backup_interval='0s')
        acme = self.tenant('acme')
        self.server(acme, 'web')
        for _ in range(3):
            self.make_manager().run_once(self.context)
        self.assertEqual(3, len(self.backups()))

    def test_quota_exceeded_is_not_sent(self):
        acme = self.tenant('acme')
        self.server(acme, 'web', volumes=2, size=10)
        self.sim.cloud.set_quota(acme.id, backup_gigabytes=15)
        self.sim.cloud.reset_calls()
        result = self.make_manager().run_once(self.context)
        statuses = sorted((t.status, t.reason or '') for t in result.tasks)
        self.assertEqual(states.AVAILABLE, statuses[0][0])
        # Held in the queue, not failed: tried again after retry_interval.
        self.assertEqual(states.QUEUED, statuses[1][0])
        self.assertIn('quota exceeded: backup_gigabytes limit is 15 GB',
                      statuses[1][1])
        self.assertEqual(1, len(self.backups()))
        self.assertEqual(
            1, self.sim.cloud.calls[('POST', '/volume/v3/backups')])

    def test_zero_quota_means_none(self):
        acme = self.tenant('acme')
        self.server(acme, 'web')
        self.sim.cloud.set_quota(acme.id, backups=0)
        result = self.make_manager().run_once(self.context)
        self.assertIn('quota exceeded: backups limit is 0',
                      result.tasks[0].reason)
        self.assertEqual([], self.backups())

    def test_caps_on_backups_in_flight(self):
        self.flags(group='conductor', max_in_flight=3,
                   max_in_flight_per_project=2)
        acme, globex = self.tenant('acme'), self.tenant('globex')
        self.server(acme, 'a', volumes=4)
        self.server(globex, 'g', volumes=4)
        mgr = self.make_manager()
        mgr.discover_and_schedule(self.context)
        mgr.backup_step(self.context)
        creating = self.tasks(status=states.CREATING)
        self.assertEqual(3, len(creating))
        per_project = {p: sum(1 for t in creating if t.project_id == p)
                       for p in (acme.id, globex.id)}
        self.assertEqual({1, 2}, set(per_project.values()))
        result = mgr.run_once(self.context)
        self.assertTrue(result.ok)
        self.assertEqual(8, len(self.backups()))

    def test_polling_costs_one_listing_whatever_finished(self):
        acme = self.tenant('acme')
        self.server(acme, 'web', volumes=5)
        mgr = self.make_manager()
        mgr.discover_and_schedule(self.context)
        mgr.engine.start_queued(self.context)
        self.sim.cloud.reset_calls()
        mgr.engine.poll(self.context)   # nothing finished yet
        self.assertEqual(1, sum(self.sim.cloud.calls.values()))
        self.clock.advance(self.sim.cloud.backup_duration)
        self.sim.cloud.reset_calls()
        mgr.engine.poll(self.context)   # all five finished
        # One listing tells all five apart, and the server's
        # last-backup-time is written once for its five volumes.
        self.assertEqual(
            {('GET', '/volume/v3/backups/detail'): 1,
             ('POST', '/compute/v2.1/servers/{id}/metadata'): 1},
            dict(self.sim.cloud.calls))
        self.assertEqual({states.AVAILABLE},
                         {t.status for t in self.tasks()})

    def test_the_listing_reaches_back_to_the_oldest_start_only(self):
        self.flags(group='openstack', page_size=5)
        acme = self.tenant('acme')
        self.sim.cloud.set_quota(acme.id, backups=-1, backup_gigabytes=-1)
        self.server(acme, 'web', volumes=5)
        mgr = self.make_manager()
        for _ in range(4):
            mgr.run_once(self.context)
            self.clock.advance(86400)
        # Retention keeps two pages of older backups or more.
        self.assertGreaterEqual(len(self.backups()), 10)
        mgr.discover_and_schedule(self.context)
        mgr.engine.start_queued(self.context)
        self.clock.advance(self.sim.cloud.backup_duration)
        self.sim.cloud.reset_calls()
        self.assertEqual({'available': 5, 'failed': 0},
                         mgr.engine.poll(self.context))
        # The five new backups, then a page of older ones that ends the
        # listing: not the five pages of everything Cinder keeps.
        self.assertEqual(
            2, self.sim.cloud.calls[('GET', '/volume/v3/backups/detail')])

    def test_a_server_is_marked_once_when_its_last_backup_ends(self):
        self.flags(group='conductor', backup_timeout='1h')
        acme = self.tenant('acme')
        server = self.server(acme, 'db', volumes=2)
        self.sim.cloud.stick_next_backups(server.volume_ids[0])
        mgr = self.make_manager()
        mgr.discover_and_schedule(self.context)
        mgr.engine.start_queued(self.context)
        metadata = ('POST', '/compute/v2.1/servers/{id}/metadata')
        self.sim.cloud.reset_calls()
        self.clock.advance(self.sim.cloud.backup_duration)
        mgr.engine.poll(self.context)
        # One volume is done, the other is still being backed up.
        self.assertEqual(0, self.sim.cloud.calls[metadata])
        self.clock.advance(3600)
        self.assertEqual({'available': 0, 'failed': 1},
                         mgr.engine.poll(self.context))
        self.assertEqual(1, self.sim.cloud.calls[metadata])
        [done] = self.tasks(status=states.AVAILABLE)
        self.assertEqual(
            done.finished_at.strftime('%Y-%m-%dT%H:%M:%SZ'),
            self.sim.cloud.servers.get(server.id).metadata[
                self.conf.conductor.last_backup_time_key])

    def test_a_stopping_conductor_ends_its_pass_at_the_next_task(self):
        acme = self.tenant('acme')
        self.server(acme, 'web', volumes=5)
        mgr = self.make_manager()
        mgr.discover_and_schedule(self.context)
        create = mgr.cloud.create_backup

        def create_then_sigterm(*args, **kwargs):
            backup = create(*args, **kwargs)
            mgr.engine.stopping.set()    # what SIGTERM does meanwhile
            return backup
        mgr.cloud.create_backup = create_then_sigterm
        self.assertEqual(1, mgr.engine.start_queued(self.context))
        queued = self.tasks(status=states.QUEUED)
        self.assertEqual(4, len(queued))
        # Released: another conductor (or this one, restarted) takes them
        # at once, not after the claim expires.
        self.assertEqual({None}, {t.claimed_by for t in queued})

    def test_stuck_backup_times_out_and_is_cleaned_up(self):
        self.flags(group='conductor', backup_timeout='1h')
        acme = self.tenant('acme')
        server = self.server(acme, 'web')
        self.sim.cloud.stick_next_backups(server.volume_ids[0])
        result = self.make_manager().run_once(self.context)
        [task] = result.tasks
        self.assertIn('timed out', task.reason)
        self.assertFalse(result.ok)
        # Cinder refuses to delete a backup that is still creating: the
        # task waits in cleanup and nothing else is blocked.
        self.assertEqual(states.CLEANUP, task.status)
        self.assertEqual(1, len(self.backups()))
