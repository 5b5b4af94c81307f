"""A restore drill against the real Keystone, Nova and Cinder.

run-once backs up an opted-in server's volumes, then drills one: Cinder
restores the real backup to a new volume of the tenant's project, the
volume becomes available with the backup's size, the RTO is recorded, and
the restored volume is gone afterwards.
"""

from __future__ import annotations

from staffeln.common import clock
from staffeln.conductor import manager
from staffeln.db import api_drills
from staffeln.tests.integration import service_user


class TestDrills(service_user.StaffelnTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.flags(group='conductor', run_once_poll_interval='2s')
        self.flags(group='drills', enabled=True)

    def drill_volumes(self, tenant) -> list:
        return [v for v in tenant.connection.block_storage.volumes()
                if (v.name or '').startswith('staffeln-drill-')]

    def test_a_drill_restores_a_real_backup_and_deletes_it(self):
        acme = self.cloud.add_tenant()
        data = self.cloud.create_volume(acme, name='web-data', size=2)
        web = self.cloud.boot_from_volume(acme, 'web',
                                          metadata={self.key: 'yes'})
        self.cloud.attach_volume(acme, web.server_id, data.id)
        mgr = manager.Manager.build(self.conf, clock.Clock())

        result = mgr.run_once(self.context)

        self.assertTrue(result.ok, (result.errors, [
            (t.volume_id, t.reason) for t in result.failed],
            [(d.outcome, d.reason) for d in result.drills]))
        [drill] = result.drills
        sizes = {data.id: 2, web.boot_volume_id: self.cloud.admin
                 .block_storage.get_volume(web.boot_volume_id).size}
        self.assertEqual((api_drills.DONE, api_drills.PASSED),
                         (drill.status, drill.outcome))
        self.assertEqual(sizes[drill.volume_id], drill.size_gb)
        self.assertGreater(drill.rto_s, 0)
        [task] = [t for t in result.tasks if t.volume_id == drill.volume_id]
        self.assertEqual(task.backup_id, drill.backup_id)
        self.assertIsNone(self.cloud.admin.block_storage.find_volume(
            drill.restored_volume_id, all_projects=True))
        self.assertEqual([], self.drill_volumes(acme))
