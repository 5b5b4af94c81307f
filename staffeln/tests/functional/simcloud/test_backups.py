"""Cinder backups: lifecycle, incrementals, ownership, quota, microversions."""

from staffeln.tests.functional.simcloud import base

NO_PARENT = ('Invalid backup: No backups available to do an incremental '
             'backup.')
HAS_CHILDREN = 'Invalid backup: Incremental backups exist for this backup.'


class BackupTestCase(base.SimCloudTestCase):

    def setUp(self):
        super().setUp()
        self.volume = self.cloud.add_volume(self.project.id, size=2,
                                            name='data')
        self.conn = self.tenant()

    def create(self, conn=None, microversion='3.64', **backup):
        backup.setdefault('volume_id', self.volume.id)
        return self.raw(conn or self.conn, 'block_storage', 'POST',
                        '/backups', json={'backup': backup},
                        microversion=microversion)

    def show(self, backup_id, conn=None, microversion='3.64'):
        resp = self.raw(conn or self.conn, 'block_storage', 'GET',
                        f'/backups/{backup_id}', microversion=microversion)
        return resp.json()['backup']

    def make_available(self, **backup):
        resp = self.create(**backup)
        self.assertEqual(202, resp.status_code, resp.text)
        self.sim.clock.advance(self.cloud.backup_duration)
        return resp.json()['backup']['id']


class TestLifecycle(BackupTestCase):

    def test_creating_then_available_when_the_clock_passes(self):
        backup = self.conn.block_storage.create_backup(
            volume_id=self.volume.id, name='b1', description='Full backup')
        self.assertEqual('creating',
                         self.conn.block_storage.get_backup(backup.id).status)
        self.assertEqual('backing-up', self.conn.block_storage.get_volume(
            self.volume.id).status)
        self.sim.clock.advance(59)
        self.assertEqual('creating',
                         self.conn.block_storage.get_backup(backup.id).status)
        self.sim.clock.advance(1)
        done = self.conn.block_storage.get_backup(backup.id)
        self.assertEqual('available', done.status)
        self.assertEqual(2, done.size)
        self.assertFalse(done.is_incremental)
        self.assertEqual('available', self.conn.block_storage.get_volume(
            self.volume.id).status)

    def test_second_backup_while_the_volume_is_backing_up(self):
        self.assertEqual(202, self.create().status_code)
        self.assertFault(self.create(), 400,
                         'Invalid volume: Volume to be backed up must be '
                         'available or in-use, but the current status is '
                         '"backing-up".')

    def test_incremental_parent_and_dependents(self):
        self.assertFault(self.create(incremental=True), 400, NO_PARENT,
                         'badRequest')
        full = self.make_available(name='full')
        incr = self.make_available(incremental=True, name='incr')
        self.assertTrue(self.show(incr)['is_incremental'])
        self.assertTrue(self.show(full)['has_dependent_backups'])
        self.assertEqual(full, self.cloud.backup(incr).parent_id)
        resp = self.raw(self.conn, 'block_storage', 'DELETE',
                        f'/backups/{full}')
        self.assertFault(resp, 400, HAS_CHILDREN)
        self.conn.block_storage.delete_backup(incr)
        self.conn.block_storage.delete_backup(full)
        self.assertEqual([], list(self.conn.block_storage.backups()))

    def test_child_in_progress_already_blocks_deleting_the_parent(self):
        full = self.make_available()
        self.assertEqual(202, self.create(incremental=True).status_code)
        self.assertFalse(self.show(full)['has_dependent_backups'])
        resp = self.raw(self.conn, 'block_storage', 'DELETE',
                        f'/backups/{full}')
        self.assertFault(resp, 400, HAS_CHILDREN)

    def test_in_use_volume_needs_force(self):
        attached = self.cloud.add_volume(self.project.id)
        self.cloud.add_server(self.project.id, 'srv',
                              volume_ids=[attached.id])
        self.assertFault(self.create(volume_id=attached.id), 400,
                         'Invalid volume: Backing up an in-use volume must '
                         'use the force flag.')
        self.assertEqual(202, self.create(volume_id=attached.id,
                                          force=True).status_code)
        self.assertEqual('backing-up',
                         self.cloud.volume(attached.id).status)
        self.sim.clock.advance(60)
        self.assertEqual('in-use', self.cloud.volume(attached.id).status)

    def test_error_volume_is_refused(self):
        broken = self.cloud.add_volume(self.project.id, status='error')
        self.assertFault(self.create(volume_id=broken.id), 400,
                         'Invalid volume: Volume to be backed up must be '
                         'available or in-use, but the current status is '
                         '"error".')

    def test_delete_needs_available_or_error(self):
        backup_id = self.create().json()['backup']['id']
        resp = self.raw(self.conn, 'block_storage', 'DELETE',
                        f'/backups/{backup_id}')
        self.assertFault(resp, 400, 'Invalid backup: Backup status must be '
                                    'available or error')

    def test_deleting_then_gone_after_the_delete_duration(self):
        self.cloud.backup_delete_duration = 30
        backup_id = self.make_available()
        self.conn.block_storage.delete_backup(backup_id)
        self.assertEqual('deleting', self.show(backup_id)['status'])
        self.sim.clock.advance(30)
        resp = self.raw(self.conn, 'block_storage', 'GET',
                        f'/backups/{backup_id}')
        self.assertFault(resp, 404, f'Backup {backup_id} could not be '
                                    'found.', 'itemNotFound')

    def test_failed_and_stuck_backups(self):
        self.cloud.fail_next_backups(self.volume.id, reason='disk on fire')
        failed = self.make_available()
        shown = self.show(failed)
        self.assertEqual(('error', 'disk on fire'),
                         (shown['status'], shown['fail_reason']))
        self.assertEqual('available', self.cloud.volume(
            self.volume.id).status)
        self.cloud.stick_next_backups()
        stuck = self.create().json()['backup']['id']
        self.sim.clock.advance(86400)
        self.assertEqual('creating', self.show(stuck)['status'])
        # An error backup is no parent for an incremental.
        self.conn.block_storage.delete_backup(failed)
        self.assertEqual(1, len(list(self.conn.block_storage.backups())))


class TestOwnershipAndQuota(BackupTestCase):

    def test_backup_belongs_to_the_token_project(self):
        mine = self.make_available(name='tenant-made')
        admins = self.make_available_as_admin()
        self.assertEqual(['tenant-made'],
                         [b.name for b in self.conn.block_storage.backups()])
        self.assertEqual([admins], [
            b.id for b in self.admin.block_storage.backups()])
        everything = {b.id: b for b in self.admin.block_storage.backups(
            details=True, all_projects=True)}
        self.assertEqual(self.project.id, everything[mine].project_id)
        self.assertEqual(self.cloud.admin_project.id,
                         everything[admins].project_id)
        # The tenant's incremental cannot chain on the admin's backup.
        other_volume = self.cloud.add_volume(self.project.id)
        self.make_available_as_admin(volume_id=other_volume.id)
        self.assertFault(self.create(volume_id=other_volume.id,
                                     incremental=True), 400, NO_PARENT)

    def make_available_as_admin(self, **backup):
        backup.setdefault('volume_id', self.volume.id)
        resp = self.create(conn=self.admin, **backup)
        self.assertEqual(202, resp.status_code, resp.text)
        self.sim.clock.advance(60)
        return resp.json()['backup']['id']

    def test_project_attributes_only_for_admin(self):
        backup_id = self.make_available()
        self.assertNotIn('os-backup-project-attr:project_id',
                         self.show(backup_id))
        admin_view = self.show(backup_id, conn=self.admin)
        self.assertEqual(self.project.id,
                         admin_view['os-backup-project-attr:project_id'])
        self.assertEqual(self.user.id, admin_view['user_id'])

    def test_quota_usage_and_413(self):
        self.cloud.set_quota(self.project.id, backups=1)
        self.make_available()
        resp = self.raw(self.conn, 'block_storage', 'GET',
                        f'/os-quota-sets/{self.project.id}?usage=True')
        quota = resp.json()['quota_set']
        self.assertEqual({'limit': 1, 'in_use': 1, 'reserved': 0},
                         quota['backups'])
        self.assertEqual({'limit': 1000, 'in_use': 2, 'reserved': 0},
                         quota['backup_gigabytes'])
        resp = self.create(incremental=True)
        self.assertFault(resp, 413, 'BackupLimitExceeded: Maximum number of '
                                    'backups allowed (1) exceeded',
                         'overLimit')
        self.assertEqual('0', resp.headers['Retry-After'])
        self.assertEqual(1, len(self.cloud.backups))
        self.cloud.set_quota(self.project.id, backups=-1,
                             backup_gigabytes=3)
        self.assertFault(self.create(), 413,
                         'VolumeBackupSizeExceedsAvailableQuota: Requested '
                         'backup exceeds allowed Backup gigabytes quota. '
                         'Requested 2G, quota is 3G and 2G has been '
                         'consumed.')

    def test_quota_of_another_project_is_forbidden(self):
        resp = self.raw(self.conn, 'block_storage', 'GET',
                        f'/os-quota-sets/{self.cloud.admin_project.id}')
        self.assertFault(resp, 403, "Policy doesn't allow volume_extension:"
                                    "quotas:show to be performed.")


class TestMicroversionsAndListing(BackupTestCase):

    def test_metadata_needs_3_43(self):
        resp = self.create(microversion='3.42', metadata={'a': 'b'})
        self.assertEqual(400, resp.status_code)
        self.assertIn("Additional properties are not allowed ('metadata' was "
                      "unexpected)", resp.json()['badRequest']['message'])
        backup_id = self.make_available(metadata={'__automated_backup':
                                                  'True'})
        self.assertEqual({'__automated_backup': 'True'},
                         self.show(backup_id)['metadata'])
        self.assertNotIn('metadata', self.show(backup_id,
                                               microversion='3.42'))
        resp = self.raw(self.conn, 'block_storage', 'PUT',
                        f'/backups/{backup_id}', microversion='3.43',
                        json={'backup': {'metadata': {'k': 'v'}}})
        self.assertEqual(200, resp.status_code)
        self.assertEqual({'k': 'v'}, self.show(backup_id)['metadata'])
        resp = self.raw(self.conn, 'block_storage', 'GET',
                        f'/backups/{backup_id}', microversion='3.99')
        self.assertFault(resp, 406, 'Version 3.99 is not supported by the '
                                    'API. Minimum is 3.0 and maximum is '
                                    '3.70.', 'computeFault')
        resp = self.raw(self.conn, 'block_storage', 'GET', '/backups',
                        microversion='3.50')
        self.assertEqual('volume 3.50', resp.headers['OpenStack-API-Version'])

    def test_filters_and_pages(self):
        ids = [self.make_available(name=f'b{i}') for i in range(5)]
        other = self.cloud.add_volume(self.project.id)
        self.make_available(volume_id=other.id)
        self.cloud.reset_calls()
        resp = self.raw(self.conn, 'block_storage', 'GET',
                        f'/backups/detail?volume_id={self.volume.id}&limit=2')
        body = resp.json()
        self.assertEqual(ids[::-1][:2], [b['id'] for b in body['backups']])
        self.assertIn('marker=' + ids[3], body['backups_links'][0]['href'])
        found = list(self.conn.block_storage.backups(
            volume_id=self.volume.id, status='available'))
        self.assertEqual(set(ids), {b.id for b in found})
        self.assertEqual(['b2'], [b.name for b in
                                  self.conn.block_storage.backups(name='b2')])
        resp = self.raw(self.conn, 'block_storage', 'GET',
                        '/backups?marker=nope')
        self.assertFault(resp, 404, 'Backup nope could not be found.')

    def test_project_id_in_url_must_be_the_token_project(self):
        resp = self.raw(self.conn, 'block_storage', 'GET',
                        f'{self.sim.url}/volume/v3/'
                        f'{self.cloud.admin_project.id}/backups')
        self.assertFault(resp, 400, 'Malformed request url')
        resp = self.raw(self.conn, 'block_storage', 'GET',
                        f'{self.sim.url}/volume/v3/{self.project.id}/backups')
        self.assertEqual(200, resp.status_code)

    def test_restore_export_and_import(self):
        backup_id = self.make_available()
        resp = self.raw(self.conn, 'block_storage', 'POST',
                        f'/backups/{backup_id}/restore', json={'restore': {}})
        self.assertEqual(202, resp.status_code)
        restore = resp.json()['restore']
        self.assertEqual(f'restore_backup_{backup_id}',
                         restore['volume_name'])
        self.assertEqual('restoring', self.show(backup_id)['status'])
        self.sim.clock.advance(self.cloud.restore_duration)
        self.assertEqual('available', self.show(backup_id)['status'])
        record = self.admin.block_storage.get(
            f'/backups/{backup_id}/export_record').json()['backup-record']
        self.raw(self.admin, 'block_storage', 'POST',
                 f'/backups/{backup_id}/action',
                 json={'os-force_delete': {}})
        resp = self.raw(self.admin, 'block_storage', 'POST',
                        '/backups/import_record',
                        json={'backup-record': record})
        self.assertEqual(201, resp.status_code, resp.text)
        self.assertEqual(backup_id, resp.json()['backup']['id'])


class TestVolumeFromBackup(BackupTestCase):
    """``POST /volumes`` with ``backup_id``, as Cinder 3.47 and later."""

    def create_volume(self, microversion='3.47', **volume):
        return self.raw(self.conn, 'block_storage', 'POST', '/volumes',
                        json={'volume': volume}, microversion=microversion)

    def test_the_backup_s_size_then_available(self):
        backup_id = self.make_available()
        resp = self.create_volume(backup_id=backup_id, name='restored')
        self.assertEqual(202, resp.status_code, resp.text)
        volume = resp.json()['volume']
        self.assertEqual(('creating', 2, 'restored'),
                         (volume['status'], volume['size'], volume['name']))
        self.assertEqual('restoring', self.show(backup_id)['status'])
        self.sim.clock.advance(self.cloud.restore_duration)
        self.assertEqual('available', self.show(backup_id)['status'])
        self.assertEqual('available',
                         self.cloud.volumes.get(volume['id']).status)

    def test_refusals(self):
        backup_id = self.make_available()
        resp = self.create_volume(backup_id=backup_id, size=1)
        self.assertEqual(400, resp.status_code)
        self.assertIn('Volume size 1GB cannot be smaller than the backup '
                      'size 2GB. It must be >= backup size.', resp.text)
        resp = self.create_volume(backup_id=backup_id,
                                  availability_zone='az9')
        self.assertEqual(400, resp.status_code)
        self.assertIn("Availability zone 'az9' is invalid.", resp.text)
        resp = self.create_volume(backup_id='0' * 8 + '-0000-4000-8000-'
                                  + '0' * 12)
        self.assertEqual(404, resp.status_code)

    def test_before_3_47_the_backup_is_ignored(self):
        backup_id = self.make_available()
        resp = self.create_volume(microversion='3.46', backup_id=backup_id,
                                  size=2)
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual('available', resp.json()['volume']['status'])
        self.assertEqual('available', self.show(backup_id)['status'])
