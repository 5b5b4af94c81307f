"""Cinder's backup rules, driven without HTTP."""

import testtools

from staffeln.tests.simcloud.cinder import backups
from staffeln.tests.simcloud.cinder import volumes
from staffeln.tests.simcloud import context
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import state

V = (3, 64)


class TestBackupRules(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = state.Cloud(backup_duration=10)
        self.project = self.cloud.add_project('p')
        self.user = self.cloud.add_user('u', 'pw',
                                        roles={'p': ['member']})
        self.ctx = context.RequestContext(self.user.id, self.project.id,
                                          ('member', 'reader'), 't')
        self.admin = context.RequestContext(
            self.cloud.admin_user.id, self.cloud.admin_project.id,
            ('admin', 'member'), 'a')
        self.volumes = volumes.VolumeService(self.cloud)
        self.service = backups.BackupService(self.cloud, self.volumes)
        self.volume = self.cloud.add_volume(self.project.id, size=4)

    def create(self, ctx=None, **spec):
        spec.setdefault('volume_id', self.volume.id)
        return self.service.create(ctx or self.ctx, {'backup': spec}, V)

    def finish(self):
        self.cloud.advance(self.cloud.backup_duration)

    def test_parent_is_the_latest_available_in_the_callers_project(self):
        first = self.create()
        self.finish()
        second = self.create()
        self.finish()
        self.create(ctx=self.admin)  # in the admin project: not a parent
        self.finish()
        child = self.create(incremental=True)
        self.assertEqual(second.id, child.parent_id)
        self.assertEqual({child.id}, second.child_ids)
        self.assertEqual(set(), first.child_ids)

    def test_an_error_backup_is_no_parent(self):
        self.cloud.fail_next_backups(reason='x')
        self.create()
        self.finish()
        error = self.assertRaises(errors.BadRequest, self.create,
                                  incremental=True)
        self.assertEqual('Invalid backup: No backups available to do an '
                         'incremental backup.', error.message)
        # The refused incremental was not charged.
        self.assertEqual(1, self.cloud.quotas.in_use(self.project.id,
                                                     'backups'))

    def test_failure_restores_the_volume_and_keeps_the_quota(self):
        self.cloud.fail_next_backups(self.volume.id, reason='no space')
        backup = self.create()
        self.finish()
        self.assertEqual(('error', 'no space'),
                         (backup.status, backup.fail_reason))
        self.assertEqual(('available', 'error_backing-up'),
                         (self.volume.status, self.volume.previous_status))
        self.assertEqual(4, self.cloud.quotas.in_use(self.project.id,
                                                     'backup_gigabytes'))
        self.service.delete(self.ctx, backup.id)
        self.cloud.tick()
        self.assertEqual(0, self.cloud.quotas.in_use(self.project.id,
                                                     'backups'))
        self.assertEqual('deleted', self.cloud.backup(backup.id).status)

    def test_delete_failure_outcome(self):
        backup = self.create()
        self.finish()
        self.cloud.fail_next_backup_deletes()
        self.service.delete(self.ctx, backup.id)
        self.cloud.tick()
        self.assertEqual('error_deleting', backup.status)

    def test_other_projects_backups_are_not_found(self):
        backup = self.create(ctx=self.admin)
        error = self.assertRaises(errors.NotFound, self.service.get,
                                  self.ctx, backup.id)
        self.assertEqual(f'Backup {backup.id} could not be found.',
                         error.message)
        self.assertIs(backup, self.service.get(self.admin, backup.id))

    def test_force_delete_is_admin_only_and_ignores_status(self):
        backup = self.create()
        error = self.assertRaises(errors.Forbidden, self.service.delete,
                                  self.ctx, backup.id, force=True)
        self.assertEqual("Policy doesn't allow volume_extension:"
                         "backup_admin_actions:force_delete to be "
                         "performed.", error.message)
        self.service.delete(self.admin, backup.id, force=True)
        self.assertEqual('deleting', backup.status)

    def test_restore_into_a_too_small_volume(self):
        backup = self.create()
        self.finish()
        small = self.cloud.add_volume(self.project.id, size=1)
        error = self.assertRaises(
            errors.BadRequest, self.service.restore, self.ctx, backup.id,
            {'restore': {'volume_id': small.id}})
        self.assertEqual('Invalid volume: volume size 1 is too small to '
                         'restore backup of size 4.', error.message)

    def test_listing_filters_and_sorts(self):
        for name in ('b', 'a', 'c'):
            self.create(name=name)
            self.finish()
        names = [b.name for b in self.service.list(
            self.ctx, {'sort': 'name:asc'}, (3, 37))]
        self.assertEqual(['a', 'b', 'c'], names)
        error = self.assertRaises(errors.BadRequest, self.service.list,
                                  self.ctx, {'sort_key': 'name'}, (3, 0))
        self.assertEqual('Invalid input received: Invalid sort key',
                         error.message)
        self.assertEqual(['a'], [b.name for b in self.service.list(
            self.ctx, {'name': 'a'})])
