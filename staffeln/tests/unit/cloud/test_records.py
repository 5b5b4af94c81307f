"""Reading servers, snapshots and images into Staffeln's records."""

import datetime
import json

from staffeln.cloud import records
from staffeln.tests import base

SNAP_A = '08b89a9e-d0ec-4b92-a65b-39f59a300ed9'
SNAP_B = '85a1f1c5-d1a9-4842-9fa7-948937f57553'


def bdm(snapshot_id, device, boot_index, **extra):
    """An entry as Nova writes it into an image's block_device_mapping."""
    entry = {'encryption_format': None, 'volume_id': None,
             'source_type': 'snapshot', 'snapshot_id': snapshot_id,
             'volume_size': 1, 'device_name': device,
             'destination_type': 'volume', 'boot_index': boot_index,
             'no_device': None, 'delete_on_termination': False,
             'image_id': None}
    entry.update(extra)
    return entry


class TestServer(base.TestCase):

    def test_volume_backed_server_has_an_empty_image(self):
        server = records.server({'id': 's', 'image': '',
                                 'tenant_id': 'p'})
        self.assertIsNone(server.image_id)
        self.assertTrue(server.volume_backed)

    def test_image_booted_server(self):
        server = records.server({'id': 's', 'image': {
            'id': 'img', 'links': []}})
        self.assertEqual('img', server.image_id)
        self.assertFalse(server.volume_backed)


class TestVolume(base.TestCase):

    def test_image_metadata_of_a_boot_volume(self):
        volume = records.volume({
            'id': 'v', 'status': 'in-use', 'size': 1,
            'volume_image_metadata': {'hw_qemu_guest_agent': 'yes'}})
        self.assertEqual({'hw_qemu_guest_agent': 'yes'},
                         volume.image_metadata)
        self.assertEqual({}, records.volume({'id': 'w'}).image_metadata)


class TestSnapshot(base.TestCase):

    def test_cinder_snapshot(self):
        snapshot = records.snapshot({
            'id': SNAP_A, 'name': 'snapshot for img1', 'status': 'available',
            'volume_id': 'v', 'size': 1, 'metadata': {},
            'created_at': '2026-12-03T18:19:34.000000',
            'os-extended-snapshot-attributes:project_id': 'p'})
        self.assertEqual(('p', 'v', True, False),
                         (snapshot.project_id, snapshot.volume_id,
                          snapshot.available, snapshot.failed))
        self.assertEqual(datetime.datetime(2026, 12, 3, 18, 19, 34,
                                           tzinfo=datetime.timezone.utc),
                         snapshot.created_at)

    def test_backup_made_from_a_snapshot(self):
        backup = records.backup({'id': 'b', 'volume_id': 'v',
                                 'status': 'creating',
                                 'snapshot_id': SNAP_A})
        self.assertEqual(SNAP_A, backup.snapshot_id)


class TestImage(base.TestCase):

    def glance_image(self, mapping):
        """The image Glance shows after Nova's createImage (trimmed)."""
        return {
            'id': 'img', 'name': 'img1', 'status': 'active', 'size': 0,
            'owner': 'p', 'visibility': 'private', 'checksum': 'x',
            'created_at': '2026-12-03T18:19:38Z', 'tags': [],
            'self': '/v2/images/img', 'schema': '/v2/schemas/image',
            'k': 'v', 'bdm_v2': 'True', 'root_device_name': '/dev/sda',
            'block_device_mapping': mapping}

    def test_snapshots_named_by_the_mapping(self):
        image = records.image(self.glance_image(json.dumps([
            bdm(SNAP_A, '/dev/sda', 0), bdm(SNAP_B, '/dev/sdb', None)])))
        self.assertEqual(('img', 'p', 'active'),
                         (image.id, image.project_id, image.status))
        self.assertEqual([SNAP_A, SNAP_B], image.snapshot_ids)
        self.assertEqual(
            [('/dev/sda', 0, 1), ('/dev/sdb', None, 1)],
            [(s.device_name, s.boot_index, s.size) for s in image.snapshots])
        self.assertEqual('v', image.properties['k'])
        self.assertNotIn('owner', image.properties)
        self.assertEqual(datetime.datetime(2026, 12, 3, 18, 19, 38,
                                           tzinfo=datetime.timezone.utc),
                         image.created_at)

    def test_entries_that_are_not_snapshots_are_skipped(self):
        mapping = [bdm(SNAP_A, '/dev/sda', 0),
                   bdm(None, '/dev/sdb', None, source_type='blank'),
                   {'no_device': True}, 'junk']
        for given in (mapping, json.dumps(mapping)):
            self.assertEqual([SNAP_A], [
                s.snapshot_id for s in records.image_snapshots(given)])

    def test_an_unreadable_or_missing_mapping_names_none(self):
        for mapping in (None, '', '[{', '{}', 42):
            self.assertEqual([], records.image_snapshots(mapping))
        image = records.image({'id': 'img', 'owner': 'p',
                               'status': 'queued'})
        self.assertEqual([], image.snapshot_ids)
