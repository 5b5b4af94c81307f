"""Restores and backup records over HTTP, against the simulated cloud.

openstacksdk -> HTTP -> the simulated Cinder, from the API in-process.
"""

import testscenarios

from staffeln.cloud import client as cloud_client
from staffeln.common import context as staffeln_context
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.functional.api import rest
from staffeln.tests.functional.api import samples
from staffeln.tests.functional.conductor import base as conductor_base
from staffeln.tests.functional import db_fixture
from staffeln.tests.simcloud import fixture as sim_fixture

load_tests = testscenarios.load_tests_apply_scenarios


class TestRestores(rest.RestTestCase):

    scenarios = db_fixture.scenarios(('sqlite', 'postgresql'))

    def setUp(self):
        super().setUp()
        # The simulated cloud runs on the API's manual clock; the API
        # builds its cloud adapter from [openstack] on first use.
        self.sim = self.useFixture(sim_fixture.SimCloudFixture(
            clock=self.clock))
        conductor_base.configure_cloud(self.conf, self.sim)
        self.project, _ = self.sim.add_tenant('alpha')
        self.other, _ = self.sim.add_tenant('beta')
        self.member = rest.persona(self.project.id, 'member', 'reader')
        self.reader = rest.persona(self.project.id, 'reader')
        self.volume = self.sim.cloud.add_volume(self.project.id, size=3,
                                                name='data')
        self.backup_id = self.make_backup()

    def make_backup(self) -> str:
        cloud = cloud_client.Cloud(self.conf, sleep=lambda s: None)
        backup = cloud.create_backup(
            self.project.id, self.volume.id, 'data-backup',
            'Full backup by Staffeln', incremental=False, force=True,
            metadata={'__automated_backup': 'True'})
        self.sim.cloud.advance(self.sim.cloud.backup_duration)
        db_api.create_task(staffeln_context.get_admin_context(), {
            'project_id': self.project.id, 'volume_id': self.volume.id,
            'backup_type': 'full', 'status': states.AVAILABLE,
            'backup_id': backup.id, 'size_gb': 3})
        return backup.id

    def test_restore_to_a_new_volume(self):
        body = samples.load('restore-create-req.json')
        body['backup_id'] = self.backup_id
        answer = self.ok('POST', '/v1/restores', self.member, 202, json=body)
        samples.check(self, 'restore-create-resp.json', answer)
        restore = answer['restore']
        self.assertEqual(('restoring', True, 'data-restored'),
                         (restore['status'], restore['new_volume'],
                          restore['volume_name']))
        volume = self.sim.cloud.volumes.get(restore['volume_id'])
        self.assertEqual((self.project.id, 3, 'creating', self.backup_id),
                         (volume.project_id, volume.size, volume.status,
                          volume.backup_id))
        path = f'/v1/restores/{restore["uuid"]}'
        self.assertEqual('restoring',
                         self.get(path, self.reader)['restore']['status'])
        self.sim.cloud.advance(self.sim.cloud.restore_duration)
        answer = self.get(path, self.reader)
        samples.check(self, 'restore-show-resp.json', answer)
        done = answer['restore']
        self.assertEqual('available', done['status'])
        self.assertIsNotNone(done['finished_at'])
        listed = self.get('/v1/restores', self.reader)
        samples.check(self, 'restores-list-resp.json', listed)
        self.assertEqual([restore['uuid']],
                         [r['uuid'] for r in listed['restores']])

    def test_restore_to_a_larger_volume_in_a_zone(self):
        message = self.refused(400, 'POST', '/v1/restores', self.member,
                               json={'backup_id': self.backup_id,
                                     'size': 2})
        self.assertIn('cannot be smaller than the backup size 3GB',
                      message)
        self.refused(400, 'POST', '/v1/restores', self.member,
                     json={'backup_id': self.backup_id,
                           'availability_zone': 'elsewhere'})
        restore = self.ok('POST', '/v1/restores', self.member, 202, json={
            'backup_id': self.backup_id, 'size': 5,
            'availability_zone': 'nova'})['restore']
        volume = self.sim.cloud.volumes.get(restore['volume_id'])
        self.assertEqual((5, 'nova'), (volume.size,
                                       volume.availability_zone))
        # Cinder restores one backup at a time.
        message = self.refused(400, 'POST', '/v1/restores', self.member,
                               json={'backup_id': self.backup_id})
        self.assertIn("status must be one of 'available'", message)

    def test_restore_onto_an_existing_volume(self):
        target = self.sim.cloud.add_volume(self.project.id, size=5,
                                           name='target')
        restore = self.ok('POST', '/v1/restores', self.member, 202, json={
            'backup_id': self.backup_id, 'volume_id': target.id})['restore']
        self.assertEqual((target.id, False),
                         (restore['volume_id'], restore['new_volume']))
        listed = self.get('/v1/restores', self.member)['restores']
        self.assertEqual(['restoring'], [r['status'] for r in listed])
        self.sim.cloud.advance(self.sim.cloud.restore_duration)
        # The listing asks Cinder about a restore still restoring, as
        # showing it alone does.
        listed = self.get('/v1/restores', self.member)['restores']
        self.assertEqual([('available', True)], [
            (r['status'], r['finished_at'] is not None) for r in listed])
        done = self.get(f'/v1/restores/{restore["uuid"]}', self.member)
        self.assertEqual('available', done['restore']['status'])

    def _volumes_from_backup(self) -> list:
        return [v for v in self.sim.cloud.volumes.values()
                if getattr(v, 'backup_id', None) == self.backup_id]

    def test_a_lost_answer_finds_the_volume_cinder_made(self):
        # Cinder makes the volume, then its answer is lost.
        self.sim.cloud.faults.add(method='POST', path_regex='/volumes$',
                                  status=503, after=True)
        restore = self.ok('POST', '/v1/restores', self.member, 202, json={
            'backup_id': self.backup_id})['restore']
        name = f'staffeln-restore-{restore["uuid"]}'
        self.assertEqual(('requested', None, name),
                         (restore['status'], restore['volume_id'],
                          restore['volume_name']))
        self.assertIn("Cinder's answer was lost", restore['reason'])
        [volume] = self._volumes_from_backup()
        self.assertEqual((name, restore['uuid']),
                         (volume.name, volume.metadata['staffeln_restore']))
        # Reading the restore finds the volume by its name and mark.
        found = self.get(f'/v1/restores/{restore["uuid"]}',
                         self.reader)['restore']
        self.assertEqual(('restoring', volume.id, None),
                         (found['status'], found['volume_id'],
                          found['reason']))
        self.sim.cloud.advance(self.sim.cloud.restore_duration)
        listed = self.get('/v1/restores', self.reader)['restores']
        self.assertEqual([('available', volume.id)],
                         [(r['status'], r['volume_id']) for r in listed])
        self.assertEqual([volume.id],
                         [v.id for v in self._volumes_from_backup()])

    def test_a_lost_request_ends_in_error_once_settled(self):
        # The request never took effect, but Staffeln cannot know that.
        self.sim.cloud.faults.add(method='POST', path_regex='/volumes$',
                                  status=503)
        restore = self.ok('POST', '/v1/restores', self.member, 202, json={
            'backup_id': self.backup_id, 'name': 'mine'})['restore']
        path = f'/v1/restores/{restore["uuid"]}'
        self.assertEqual('requested', self.get(path, self.reader)
                         ['restore']['status'])
        self.sim.cloud.advance(
            self.conf.conductor.create_settle_time.total_seconds())
        ended = self.get(path, self.reader)['restore']
        self.assertEqual('error', ended['status'])
        self.assertIn('Cinder made no volume', ended['reason'])
        self.assertEqual([], self._volumes_from_backup())

    def test_cinder_refusals_are_recorded(self):
        small = self.sim.cloud.add_volume(self.project.id, size=1,
                                          name='small')
        message = self.refused(400, 'POST', '/v1/restores', self.member,
                               json={'backup_id': self.backup_id,
                                     'volume_id': small.id})
        self.assertIn('too small', message)
        elsewhere = self.sim.cloud.add_volume(self.other.id, size=5)
        self.refused(404, 'POST', '/v1/restores', self.member,
                     json={'backup_id': self.backup_id,
                           'volume_id': elsewhere.id})
        listed = self.get('/v1/restores', self.member)['restores']
        self.assertEqual(['error', 'error'], [r['status'] for r in listed])

    def test_stats_give_the_project_s_quota(self):
        self.sim.cloud.set_quota(self.project.id, backups=10,
                                 backup_gigabytes=100)
        stats = self.get('/v1/stats', self.reader)['stats']
        self.assertEqual(
            {'backups': {'limit': 10, 'in_use': 1, 'reserved': 0},
             'backup_gigabytes': {'limit': 100, 'in_use': 3,
                                  'reserved': 0}}, stats['quota'])
        # Cinder's answer is the project's quota use, read now.
        self.assertEqual(
            {'quota_backups_used': 1, 'quota_backups_limit': 10,
             'quota_backup_gigabytes_used': 3,
             'quota_backup_gigabytes_limit': 100,
             'quota_read_at': self.clock.now().isoformat(),
             # No forecast yet: no conductor has made one.
             'quota_backups_forecast': None,
             'quota_backup_gigabytes_forecast': None,
             'quota_forecast_at': None},
            {k: v for k, v in stats['total'].items()
             if k.startswith('quota_')})
        self.assertNotIn('quota', self.get('/v1/stats?all_projects=true')
                         ['stats'])

    def test_refusals(self):
        other = rest.persona(self.other.id, 'member', 'reader')
        body = {'backup_id': self.backup_id}
        self.refused(403, 'POST', '/v1/restores', self.reader, json=body)
        self.refused(403, 'POST', '/v1/restores', other, json=body)
        self.refused(401, 'POST', '/v1/restores', {}, json=body)
        for bad in ({}, {'backup_id': 'x'}, {'backup_id': self.backup_id,
                                             'colour': 'red'},
                    {'backup_id': self.backup_id, 'name': ''},
                    {'backup_id': self.backup_id, 'name': 'n',
                     'volume_id': self.volume.id},
                    {'backup_id': self.backup_id, 'size': 0},
                    {'backup_id': self.backup_id, 'size': '3'},
                    {'backup_id': self.backup_id, 'size': 3,
                     'volume_id': self.volume.id}):
            self.refused(400, 'POST', '/v1/restores', self.member, json=bad)
        self.refused(404, 'POST', '/v1/restores', self.member,
                     json={'backup_id': rest.ids(1, 'f')[0]})
        self.assertEqual([], self.get('/v1/restores', self.member)
                         ['restores'])

    def test_export_and_import_record(self):
        path = f'/v1/backups/{self.backup_id}/export_record'
        self.refused(403, 'GET', path, self.member)
        exported = self.get(path)
        samples.check(self, 'export-record-resp.json', exported)
        record = exported['backup_record']
        self.assertEqual({'backup_service', 'backup_url'}, set(record))
        self.refused(403, 'POST', '/v1/backups/import_record', self.member,
                     json=record)
        self.refused(400, 'POST', '/v1/backups/import_record', rest.ADMIN,
                     json=record)  # Cinder still has it.
        self.sim.cloud.backups.remove(
            self.sim.cloud.backups.get(self.backup_id))
        self.assertEqual(set(samples.load('import-record-req.json')),
                         set(record))
        answer = self.ok('POST', '/v1/backups/import_record', rest.ADMIN,
                         201, json=record)
        samples.check(self, 'import-record-resp.json', answer)
        imported = answer['backup']
        self.assertEqual(self.backup_id, imported['id'])
        self.refused(400, 'POST', '/v1/backups/import_record', rest.ADMIN,
                     json={'backup_service': 'x'})
