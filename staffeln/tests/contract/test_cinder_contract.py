"""What Staffeln relies on from Cinder, checked on every target.

Each scenario runs against the simulated cloud and, with
``STAFFELN_REALCLOUD=1``, against the real Cinder on loopback; the error texts
below are the ones real Cinder answers with.
"""

from __future__ import annotations

from typing import Any

import testscenarios

from staffeln.tests.contract import base
from staffeln.tests.contract import paging

load_tests = testscenarios.load_tests_apply_scenarios

NO_PARENT = 'Invalid backup: No backups available to do an incremental backup.'
HAS_CHILDREN = 'Invalid backup: Incremental backups exist for this backup.'
IN_USE = ('Invalid volume: Backing up an in-use volume must use the force '
          'flag.')
BACKING_UP = ('Invalid volume: Volume to be backed up must be available or '
              'in-use, but the current status is "backing-up".')
BACKUPS_EXCEEDED = ('BackupLimitExceeded: Maximum number of backups allowed '
                    '({limit}) exceeded')
GIGABYTES_EXCEEDED = (
    'VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed '
    'Backup gigabytes quota. Requested {size}G, quota is {limit}G and '
    '{used}G has been consumed.')
SMALLER_THAN_BACKUP = ('Invalid input received: Volume size 1GB cannot be '
                       'smaller than the backup size 2GB. It must be >= '
                       'backup size.')
VOLUME_NOT_DELETABLE = (
    'Invalid volume: Volume status must be available or error or '
    'error_restoring or error_extending or error_managing and must not be '
    'migrating, attached, belong to a group, have snapshots, awaiting a '
    'transfer, or be disassociated from snapshots after volume transfer.')
GIGABYTES_OVER = (
    'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds '
    'allowed gigabytes quota. Requested {size}G, quota is {limit}G and '
    '{used}G has been consumed.')
METADATA_UNEXPECTED = (
    'Invalid input for field/attribute backup. Value: {body!r}. Additional '
    "properties are not allowed ('metadata' was unexpected)")


class BackupChainTest(base.ContractTestCase):
    """Full and incremental backups, and what their chains forbid."""

    def setUp(self) -> None:
        super().setUp()
        self.tenant = self.target.add_tenant()
        self.conn = self.tenant.conn
        self.volume_id = self.target.add_volume(self.tenant)

    def _full_and_incremental(self) -> tuple[Any, Any]:
        storage = self.conn.block_storage
        full = storage.create_backup(volume_id=self.volume_id, name='full')
        full = self.target.wait_backup(self.conn, full.id)
        incr = storage.create_backup(volume_id=self.volume_id, name='incr',
                                     is_incremental=True)
        incr = self.target.wait_backup(self.conn, incr.id)
        return full, incr

    def test_incremental_after_full(self) -> None:
        full, incr = self._full_and_incremental()
        self.assertFalse(full.is_incremental)
        self.assertFalse(full.has_dependent_backups)
        self.assertTrue(incr.is_incremental)
        self.assertFalse(incr.has_dependent_backups)
        full = self.conn.block_storage.get_backup(full.id)
        self.assertTrue(full.has_dependent_backups)
        self.assertFalse(full.is_incremental)
        raw = self.conn.block_storage.get(
            f'/backups/{incr.id}', microversion='3.64').json()['backup']
        self.assertNotIn('parent_id', raw)

    def test_incremental_without_parent_is_refused(self) -> None:
        self.assertHttpError(
            400, NO_PARENT, self.conn.block_storage.create_backup,
            volume_id=self.volume_id, is_incremental=True)
        self.assertEqual([], list(self.conn.block_storage.backups()))

    def test_second_backup_while_one_runs_is_refused(self) -> None:
        storage = self.conn.block_storage
        full = storage.create_backup(volume_id=self.volume_id)
        self.assertEqual('backing-up',
                         storage.get_volume(self.volume_id).status)
        for incremental in (False, True):
            self.assertHttpError(
                400, BACKING_UP, storage.create_backup,
                volume_id=self.volume_id, is_incremental=incremental)
        self.target.wait_backup(self.conn, full.id)
        self.assertEqual('available',
                         storage.get_volume(self.volume_id).status)
        self.assertEqual([full.id], [b.id for b in storage.backups()])

    def test_parent_with_children_cannot_be_deleted(self) -> None:
        storage = self.conn.block_storage
        full, incr = self._full_and_incremental()
        self.assertHttpError(400, HAS_CHILDREN, storage.delete_backup,
                             full.id)
        self.assertEqual('available', storage.get_backup(full.id).status)
        storage.delete_backup(incr.id)
        self.target.wait_backup_deleted(self.conn, incr.id)
        self.assertFalse(storage.get_backup(full.id).has_dependent_backups)
        storage.delete_backup(full.id)
        self.target.wait_backup_deleted(self.conn, full.id)
        self.assertEqual([], list(storage.backups()))


class InUseVolumeTest(base.ContractTestCase):

    def test_in_use_volume_needs_force(self) -> None:
        self.requires_compute()
        tenant = self.target.add_tenant()
        storage = tenant.conn.block_storage
        volume_id = self.target.add_volume(tenant)
        self.target.add_server(tenant, 'in-use', volume_ids=[volume_id])
        self.assertEqual('in-use', storage.get_volume(volume_id).status)
        self.assertHttpError(400, IN_USE, storage.create_backup,
                             volume_id=volume_id)
        self.assertEqual([], list(storage.backups()))
        backup = storage.create_backup(volume_id=volume_id, force=True)
        backup = self.target.wait_backup(tenant.conn, backup.id)
        self.assertEqual(volume_id, backup.volume_id)
        self.assertEqual('in-use', storage.get_volume(volume_id).status)


class QuotaTest(base.ContractTestCase):

    def _usage(self, conn: Any, project_id: str) -> dict[str, Any]:
        response = conn.block_storage.get(
            f'/os-quota-sets/{project_id}?usage=True')
        self.assertEqual(200, response.status_code, response.text)
        quota_set = response.json()['quota_set']
        return {key: quota_set[key]
                for key in ('backups', 'backup_gigabytes')}

    def test_usage_and_limits(self) -> None:
        tenant = self.target.add_tenant()
        conn, project_id = tenant.conn, tenant.project_id
        storage = conn.block_storage
        volume_id = self.target.add_volume(tenant)
        before = self._usage(conn, project_id)
        for key in ('backups', 'backup_gigabytes'):
            self.assertEqual((0, 0), (before[key]['in_use'],
                                      before[key]['reserved']))

        backup = storage.create_backup(volume_id=volume_id)
        used = self._usage(conn, project_id)
        for key in ('backups', 'backup_gigabytes'):
            self.assertEqual({'limit': before[key]['limit'], 'in_use': 1,
                              'reserved': 0}, used[key])
        self.target.wait_backup(conn, backup.id)
        self.assertEqual(used, self._usage(conn, project_id))

        self.target.set_quota(project_id, backups=1)
        self.assertEqual(1, self._usage(conn, project_id)['backups']['limit'])
        self.assertHttpError(413, BACKUPS_EXCEEDED.format(limit=1),
                             storage.create_backup, volume_id=volume_id)
        self.target.set_quota(project_id, backups=10, backup_gigabytes=1)
        self.assertHttpError(
            413, GIGABYTES_EXCEEDED.format(size=1, limit=1, used=1),
            storage.create_backup, volume_id=volume_id)
        self.assertEqual([backup.id], [b.id for b in storage.backups()])
        after = self._usage(conn, project_id)
        for key in ('backups', 'backup_gigabytes'):
            self.assertEqual((1, 0), (after[key]['in_use'],
                                      after[key]['reserved']))

        storage.delete_backup(backup.id)
        self.target.wait_backup_deleted(conn, backup.id)
        freed = self._usage(conn, project_id)
        for key in ('backups', 'backup_gigabytes'):
            self.assertEqual((0, 0), (freed[key]['in_use'],
                                      freed[key]['reserved']))


class OwnershipTest(base.ContractTestCase):

    def test_backup_belongs_to_the_token_project(self) -> None:
        tenant = self.target.add_tenant()
        admin = self.target.admin
        volume_id = self.target.add_volume(tenant)

        mine = tenant.conn.block_storage.create_backup(volume_id=volume_id)
        self.assertEqual(
            tenant.project_id,
            admin.block_storage.get_backup(mine.id).project_id)
        # The owner is an admin-only attribute: a member does not see it.
        self.assertIsNone(tenant.conn.block_storage.get_backup(
            mine.id).project_id)
        self.assertEqual([mine.id], [
            b.id for b in tenant.conn.block_storage.backups()])
        self.target.wait_backup(tenant.conn, mine.id)

        # The tenant's full is no parent for a backup in another project.
        self.assertHttpError(
            400, NO_PARENT, admin.block_storage.create_backup,
            volume_id=volume_id, is_incremental=True)
        theirs = admin.block_storage.create_backup(volume_id=volume_id)
        self.target.delete_backups_later(admin, [theirs.id])
        self.assertEqual(
            self.target.admin_project_id,
            admin.block_storage.get_backup(theirs.id).project_id)
        self.assertEqual([mine.id], [
            b.id for b in tenant.conn.block_storage.backups()])
        self.target.wait_backup(admin, theirs.id)


class BackupMetadataTest(base.ContractTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.tenant = self.target.add_tenant()
        self.volume_id = self.target.add_volume(self.tenant)

    def test_metadata_round_trips_on_create(self) -> None:
        storage = self.tenant.conn.block_storage
        metadata = {'__automated_backup': 'True', 'staffeln_task': '42'}
        created = storage.create_backup(volume_id=self.volume_id,
                                        metadata=metadata)
        self.assertEqual(metadata, created.metadata)
        self.assertEqual(metadata, storage.get_backup(created.id).metadata)
        self.assertEqual(metadata, self.target.wait_backup(
            self.tenant.conn, created.id).metadata)
        listed = {b.id: b.metadata for b in storage.backups(details=True)}
        self.assertEqual({created.id: metadata}, listed)

    def test_metadata_needs_microversion_3_43(self) -> None:
        storage = self.tenant.conn.block_storage
        body = {'volume_id': self.volume_id, 'metadata': {'a': 'b'}}
        response = storage.post('/backups', json={'backup': body},
                                microversion='3.42')
        self.assertEqual(400, response.status_code)
        self.assertEqual(
            {'badRequest': {'code': 400, 'message': METADATA_UNEXPECTED.format(
                body=body)}}, response.json())
        self.assertEqual([], list(storage.backups()))


class VolumeFromBackupTest(base.ContractTestCase):
    """A new volume from a backup (microversion 3.47): restores use it."""

    def test_volume_from_backup(self) -> None:
        tenant = self.target.add_tenant()
        storage = tenant.conn.block_storage
        volume_id = self.target.add_volume(tenant, size=2)
        backup = storage.create_backup(volume_id=volume_id)
        self.target.wait_backup(tenant.conn, backup.id)

        def create(**volume):
            return storage.post('/volumes', json={'volume': dict(
                backup_id=backup.id, **volume)}, microversion='3.47')
        small = create(size=1)
        self.assertEqual(400, small.status_code)
        self.assertIn(SMALLER_THAN_BACKUP, small.text)
        made = create(name='restored')
        self.assertEqual(202, made.status_code, made.text)
        volume = made.json()['volume']
        self.assertEqual((2, 'restored'), (volume['size'], volume['name']))
        self.target.wait_backup(tenant.conn, backup.id)


class VolumeDeleteTest(base.ContractTestCase):
    """What a restore drill relies on to remove the volume it restored."""

    def setUp(self) -> None:
        super().setUp()
        self.tenant = self.target.add_tenant()
        self.storage = self.tenant.conn.block_storage

    def delete(self, volume_id: str):
        return self.storage.delete(f'/volumes/{volume_id}',
                                   microversion='3.64')

    def test_delete_then_gone(self) -> None:
        volume_id = self.target.add_volume(self.tenant)
        self.assertEqual(202, self.delete(volume_id).status_code)
        self.target.wait_volume_deleted(self.tenant.conn, volume_id)
        gone = self.delete(volume_id)
        self.assertEqual(404, gone.status_code)
        self.assertIn(f'Volume {volume_id} could not be found.', gone.text)

    def test_a_volume_with_a_snapshot_is_refused(self) -> None:
        volume_id = self.target.add_volume(self.tenant)
        snapshot = self.storage.post('/snapshots', json={'snapshot': {
            'volume_id': volume_id}}, microversion='3.64').json()['snapshot']
        refused = self.delete(volume_id)
        self.assertEqual(400, refused.status_code)
        self.assertEqual(VOLUME_NOT_DELETABLE,
                         refused.json()['badRequest']['message'])
        # Not to leave the snapshot behind on the real cloud.
        self.target.wait_snapshot(self.tenant.conn, snapshot['id'])
        self.storage.delete_snapshot(snapshot['id'])

    def test_restore_over_the_volume_quota_is_refused(self) -> None:
        volume_id = self.target.add_volume(self.tenant, size=2)
        backup = self.storage.create_backup(volume_id=volume_id)
        self.target.wait_backup(self.tenant.conn, backup.id)
        self.target.set_quota(self.tenant.project_id, gigabytes=3)
        refused = self.storage.post('/volumes', json={'volume': {
            'backup_id': backup.id}}, microversion='3.47')
        self.assertEqual(413, refused.status_code, refused.text)
        self.assertIn(GIGABYTES_OVER.format(size=2, limit=3, used=2),
                      refused.text)


class VolumePaginationTest(base.ContractTestCase):

    def test_all_projects_listing_pages_through_everything(self) -> None:
        admin = self.target.admin
        mine = set()
        for count in (3, 2):
            tenant = self.target.add_tenant()
            mine.update(self.target.add_volume(tenant) for _ in range(count))

        listed = [v.id for v in admin.block_storage.volumes(
            details=True, all_projects=True, limit=2)]
        self.assertEqual(len(listed), len(set(listed)))
        self.assertTrue(mine <= set(listed), mine - set(listed))

        pages = paging.walk(self, admin.block_storage,
                            '/volumes/detail?all_tenants=1&limit=2',
                            'volumes', limit=2)
        walked = [item['id'] for page in pages for item in page]
        self.assertEqual(len(walked), len(set(walked)))
        self.assertTrue(mine <= set(walked), mine - set(walked))
        self.assertGreaterEqual(len(pages), 3)


class ServiceListTest(base.ContractTestCase):
    """``os-services``, which ``staffeln-status upgrade check`` reads."""

    def test_admin_lists_the_backup_service(self) -> None:
        response = self.target.admin.block_storage.get(
            '/os-services?binary=cinder-backup')
        self.assertEqual(200, response.status_code, response.text)
        services = response.json()['services']
        self.assertTrue(services)
        for service in services:
            self.assertEqual('cinder-backup', service['binary'])
            self.assertIn(service['state'], ('up', 'down'))
            self.assertIn(service['status'], ('enabled', 'disabled'))
            self.assertIn('host', service)
        self.assertIn('up', [s['state'] for s in services])

    def test_unknown_binary_lists_nothing(self) -> None:
        response = self.target.admin.block_storage.get(
            '/os-services?binary=cinder-nothing')
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual({'services': []}, response.json())

    def test_member_is_refused(self) -> None:
        tenant = self.target.add_tenant()
        response = tenant.conn.block_storage.get(
            '/os-services?binary=cinder-backup')
        self.assertEqual(403, response.status_code)
        self.assertEqual(
            {'forbidden': {'code': 403, 'message':
                           "Policy doesn't allow volume_extension:services:"
                           "index to be performed."}}, response.json())
