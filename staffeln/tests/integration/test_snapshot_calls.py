"""The adapter's createImage, snapshot and image calls on the real cloud.

As Staffeln's own service user: createImage of a volume-backed server in
the tenant's project, the snapshots found by name and through the image,
a backup made from a snapshot, and the image and snapshots deleted.
"""

from __future__ import annotations

import uuid

from staffeln.cloud import client as cloud_client
from staffeln.common import exception
from staffeln.tests.integration import service_user
from staffeln.tests import realcloud


class TestSnapshotCalls(service_user.StaffelnTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.tenant = self.cloud.add_tenant()
        self.server = self.cloud.boot_from_volume(self.tenant, 'db')
        self.data = self.cloud.create_volume(self.tenant, name='db-data')
        self.cloud.attach_volume(self.tenant, self.server.server_id,
                                 self.data.id)
        self.api = cloud_client.Cloud(self.conf, sleep=lambda _: None)

    def wait_snapshot(self, snapshot_id: str) -> None:
        realcloud.wait_for(lambda: self.api.get_snapshot(snapshot_id),
                           lambda s: s.available,
                           what=f'snapshot {snapshot_id} available',
                           timeout=realcloud.VOLUME_TIMEOUT,
                           failed=lambda s: s.failed)

    def test_image_snapshots_backup_and_cleanup(self) -> None:
        project_id = self.tenant.project_id
        name = f'staffeln-{uuid.uuid4().hex[:8]}'
        [server] = [s for s in self.api.list_servers()
                    if s.id == self.server.server_id]
        self.assertTrue(server.volume_backed)

        image_id = self.api.create_server_image(
            project_id, server.id, name, {'staffeln_task': 't-1'})
        image = self.api.get_image(image_id)
        self.assertEqual((project_id, 't-1'),
                         (image.project_id, image.properties['staffeln_task']))
        made = {s.id: s for s in self.api.list_snapshots(
            name=f'snapshot for {name}')}
        self.assertEqual(set(image.snapshot_ids), set(made))
        self.assertEqual({self.server.boot_volume_id, self.data.id},
                         {s.volume_id for s in made.values()})
        self.assertEqual({project_id}, {s.project_id for s in made.values()})
        self.assertEqual([image_id], [
            i.id for i in self.api.list_images_named(name)])
        for snapshot_id in made:
            self.wait_snapshot(snapshot_id)

        [data_snapshot] = [s for s in made.values()
                           if s.volume_id == self.data.id]
        backup = self.api.create_backup(
            project_id, self.data.id, 'db-data', 'Full backup by Staffeln',
            incremental=False, force=False, metadata={},
            snapshot_id=data_snapshot.id)
        self.assertRaises(exception.SnapshotBusy, self.api.delete_snapshot,
                          project_id, data_snapshot.id)
        backup = realcloud.wait_backup(self.tenant.connection, backup.id)
        self.assertEqual(data_snapshot.id, backup.snapshot_id)

        self.api.delete_image(project_id, image_id)
        self.assertIsNone(self.api.get_image(image_id))
        self.api.delete_image(project_id, image_id)
        for snapshot_id in made:
            self.api.delete_snapshot(project_id, snapshot_id)
        for snapshot_id in made:
            realcloud.wait_snapshot_deleted(self.tenant.connection,
                                            snapshot_id)
            self.assertIsNone(self.api.get_snapshot(snapshot_id))
            self.api.delete_snapshot(project_id, snapshot_id)
