"""run-once against the real Keystone, Nova and Cinder.

Two tenants with servers booted from volume and an extra attached volume;
some servers opted in, some not, one volume opted out. Only the opted-in
servers' volumes are backed up, in the tenants' own projects (the tenant's
member sees them), full first and incremental on the next cycle, in-use
volumes forced, and ``last-backup-time`` set on the servers.
"""

from __future__ import annotations


from staffeln.common import clock
from staffeln.conductor import manager
from staffeln.db import states
from staffeln.tests.integration import service_user


class TestBackupCycle(service_user.StaffelnTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.flags(group='conductor', backup_interval='0s',
                   min_backup_interval='0s')

    def run_once(self):
        mgr = manager.Manager.build(self.conf, clock.Clock())
        return mgr.run_once(self.context)

    def test_backs_up_opted_in_servers_in_the_tenants_projects(self):
        acme, globex = self.cloud.add_tenant(), self.cloud.add_tenant()
        web = self.cloud.boot_from_volume(acme, 'web',
                                          metadata={self.key: 'yes'})
        data = self.cloud.create_volume(acme, name='web-data')
        self.cloud.attach_volume(acme, web.server_id, data.id)
        scratch = self.cloud.create_volume(
            acme, name='web-scratch', metadata={'backup_skip': 'yes'})
        self.cloud.attach_volume(acme, web.server_id, scratch.id)
        self.cloud.boot_from_volume(acme, 'lab')            # not opted in
        app = self.cloud.boot_from_volume(globex, 'app',
                                          metadata={self.key: 'True'})

        first = self.run_once()
        self.assertTrue(first.ok, (first.errors, [
            (t.volume_id, t.reason) for t in first.failed]))
        expected = {web.boot_volume_id: acme, data.id: acme,
                    app.boot_volume_id: globex}
        self.assertEqual(set(expected), {t.volume_id for t in first.tasks})
        self.assertEqual({'full'}, {t.backup_type for t in first.tasks})
        self.assertEqual(
            [(scratch.id, 'opted out by volume metadata backup_skip')],
            [(c.volume.id, c.skip_reason) for c in first.skipped])

        for task in first.tasks:
            tenant = expected[task.volume_id]
            backup = tenant.connection.block_storage.get_backup(
                task.backup_id)
            self.assertEqual(('available', False),
                             (backup.status, backup.is_incremental))
            self.assertEqual('Full backup by Staffeln', backup.description)
            self.assertEqual(task.uuid, backup.metadata['__staffeln_task'])
            owner = self.cloud.admin.block_storage.get_backup(
                task.backup_id).project_id
            self.assertEqual(tenant.project_id, owner)

        for server in (web, app):
            metadata = self.cloud.admin.compute.get_server_metadata(
                server.server_id).metadata
            self.assertIn('last-backup-time', metadata)

        second = self.run_once()
        self.assertTrue(second.ok, second.errors)
        self.assertEqual({'incremental'},
                         {t.backup_type for t in second.tasks})
        for task in second.tasks:
            self.assertEqual(states.AVAILABLE, task.status)
            backup = expected[task.volume_id].connection.block_storage \
                .get_backup(task.backup_id)
            self.assertTrue(backup.is_incremental)
            self.assertEqual('Incremental backup by Staffeln',
                             backup.description)
