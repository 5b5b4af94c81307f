"""The adapter's createImage, snapshot, image and backup-from-snapshot calls.

Through openstacksdk and HTTP against the simulated cloud, as Staffeln's
service user (an admin with an inherited member role in every project).
"""

from staffeln.cloud import client as cloud_client
from staffeln.common import exception
from staffeln.tests import base
from staffeln.tests.functional.conductor import base as conductor_base
from staffeln.tests.simcloud import fixture as sim_fixture

SNAPSHOT_SECONDS = 10.0
ACTION = ('POST', '/compute/v2.1/servers/{id}/action')


class CloudSnapshotTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.sim = self.useFixture(sim_fixture.SimCloudFixture(
            snapshot_duration=SNAPSHOT_SECONDS))
        conductor_base.configure_cloud(self.conf, self.sim)
        self.cloud = cloud_client.Cloud(self.conf, sleep=lambda s: None)
        self.sim_cloud = self.sim.cloud
        self.project, _user = self.sim.add_tenant('acme')
        self.boot = self.sim_cloud.add_volume(self.project.id,
                                              bootable=True)
        self.data = self.sim_cloud.add_volume(self.project.id, size=2)
        self.server = self.sim_cloud.add_server(
            self.project.id, 'db', volume_ids=[self.boot.id, self.data.id],
            image_properties={'hw_qemu_guest_agent': 'yes'})

    def create_image(self, name='staffeln-run-1', **metadata):
        return self.cloud.create_server_image(
            self.project.id, self.server.id, name, metadata)

    def snapshots_made(self, name='staffeln-run-1'):
        return {s.volume_id: s for s in self.cloud.list_snapshots(
            name=f'snapshot for {name}')}

    def settle(self):
        self.sim.clock.advance(SNAPSHOT_SECONDS)


class TestCreateServerImage(CloudSnapshotTestCase):

    def test_snapshots_and_image_in_the_server_project(self):
        image_id = self.create_image(staffeln_task='t-1')
        self.assertEqual(1, self.sim_cloud.calls[ACTION])
        made = self.snapshots_made()
        self.assertEqual({self.boot.id, self.data.id}, set(made))
        for snapshot in made.values():
            self.assertEqual((self.project.id, 'creating'),
                             (snapshot.project_id, snapshot.status))
        image = self.cloud.get_image(image_id)
        self.assertEqual((self.project.id, 'active', 't-1'),
                         (image.project_id, image.status,
                          image.properties['staffeln_task']))
        self.assertEqual([made[self.boot.id].id, made[self.data.id].id],
                         image.snapshot_ids)
        self.assertEqual(0, image.snapshots[0].boot_index)
        self.settle()
        self.assertTrue(self.cloud.get_snapshot(
            made[self.data.id].id).available)
        quota = self.cloud.get_snapshot_quota(self.project.id)
        self.assertEqual({'snapshots': (10, 2), 'gigabytes': (1000, 6)},
                         {k: (v['limit'], v['in_use'])
                          for k, v in quota.items()})

    def test_the_server_says_it_is_volume_backed(self):
        [server] = self.cloud.list_servers()
        self.assertTrue(server.volume_backed)
        boot = self.sim_cloud.add_volume(
            self.project.id, image_metadata={'hw_qemu_guest_agent': 'yes'})
        self.assertEqual({'hw_qemu_guest_agent': 'yes'},
                         self.cloud.get_volume(boot.id).image_metadata)

    def test_never_sent_twice(self):
        self.sim_cloud.faults.add(method='POST', path_regex='/action$',
                                  status=503, after=True)
        error = self.assertRaises(exception.CloudError, self.create_image)
        self.assertTrue(error.ambiguous)
        self.assertEqual(1, self.sim_cloud.calls[ACTION])
        # It took effect: the image and its snapshots are found by name.
        [image] = self.cloud.list_images_named('staffeln-run-1')
        self.assertEqual(set(image.snapshot_ids),
                         {s.id for s in self.snapshots_made().values()})

    def test_refusals(self):
        self.sim_cloud.set_quota(self.project.id, snapshots=1)
        self.assertRaises(exception.QuotaExceeded, self.create_image)
        self.sim_cloud.set_quota(self.project.id, snapshots=10)
        self.server.image_properties['os_require_quiesce'] = 'yes'
        self.server.guest_agent_answers = False
        self.assertRaises(exception.QuiesceFailed, self.create_image)
        self.server.image_properties.clear()
        self.data.status = 'backing-up'
        self.assertRaises(exception.VolumeBusy, self.create_image)
        [left] = self.snapshots_made().values()
        self.assertEqual(self.boot.id, left.volume_id)
        self.settle()
        self.cloud.delete_snapshot(self.project.id, left.id)
        self.server.status = 'ERROR'
        self.assertRaises(exception.ServerBusy, self.create_image)
        self.assertRaises(exception.NotFound,
                          self.cloud.create_server_image, self.project.id,
                          self.data.id, 'x', {})
        self.assertEqual({}, self.snapshots_made())


class TestImagesAndSnapshots(CloudSnapshotTestCase):

    def test_delete_image_leaves_the_snapshots(self):
        image_id = self.create_image()
        self.settle()
        self.cloud.delete_image(self.project.id, image_id)
        self.assertIsNone(self.cloud.get_image(image_id))
        self.cloud.delete_image(self.project.id, image_id)
        self.assertEqual(2, len(self.snapshots_made()))

    def test_list_images_named_pages(self):
        self.flags(group='openstack', page_size=1)
        self.cloud = cloud_client.Cloud(self.conf, sleep=lambda s: None)
        first = self.create_image('same')
        second = self.create_image('same')
        self.create_image('other')
        self.assertEqual({first, second}, {
            i.id for i in self.cloud.list_images_named('same')})

    def test_backups_from_the_snapshots(self):
        self.create_image()
        snapshot = self.snapshots_made()[self.data.id]
        self.assertRaises(exception.SnapshotBusy, self.backup, snapshot)
        self.settle()
        backup = self.backup(snapshot)
        self.assertEqual((snapshot.id, self.project.id),
                         (backup.snapshot_id, backup.project_id))
        self.assertEqual('backing-up',
                         self.cloud.get_snapshot(snapshot.id).status)
        self.assertRaises(exception.SnapshotBusy, self.cloud.delete_snapshot,
                          self.project.id, snapshot.id)
        self.sim.clock.advance(self.sim_cloud.backup_duration)
        made = self.cloud.get_backup(backup.id)
        self.assertEqual(('available', snapshot.id),
                         (made.status, made.snapshot_id))
        incremental = self.backup(snapshot, incremental=True)
        self.sim.clock.advance(self.sim_cloud.backup_duration)
        self.assertTrue(self.cloud.get_backup(incremental.id).is_incremental)

        self.cloud.delete_snapshot(self.project.id, snapshot.id)
        self.assertIsNone(self.cloud.get_snapshot(snapshot.id))
        self.cloud.delete_snapshot(self.project.id, snapshot.id)

    def backup(self, snapshot, incremental=False):
        return self.cloud.create_backup(
            self.project.id, self.data.id, 'db-data', 'Full backup',
            incremental=incremental, force=False, metadata={},
            snapshot_id=snapshot.id)
