"""What Staffeln relies on for consistent backups, checked on every target.

Nova's createImage of a volume-backed server (snapshots of every volume and
an image record that names them), Glance's image show and delete, and
Cinder's backups made from a snapshot. The texts are the real services'.
"""

from __future__ import annotations

import json
from typing import Any
import uuid

from openstack import exceptions as os_exc
import testscenarios

from staffeln.tests.contract import base

load_tests = testscenarios.load_tests_apply_scenarios

#: createImage answers ``{"image_id": ...}`` from this microversion on.
IMAGE_ID_MICROVERSION = '2.45'
VOLUME_MICROVERSION = '3.64'
SNAPSHOT_QUOTA = 'Quota exceeded for resources: snapshots'
WRONG_STATE = ("Cannot 'createImage' instance {id} while it is in vm_state "
               "error")
NO_SERVER = 'Instance {id} could not be found.'
VOLUME_BUSY = ('Invalid input received: Invalid volume: Volume {id} status '
               'must be available, in-use, but current status is: '
               'backing-up. (HTTP 400) (Request-ID: req-')
NO_NAME = ("Invalid input for field/attribute createImage. Value: {}. 'name' "
           "is a required property")
SNAPSHOT_NOT_AVAILABLE = ('Invalid snapshot: Snapshot to be backed up must '
                          'be available, but the current status is '
                          '"{status}".')
SNAPSHOT_NOT_DELETABLE = ('Invalid snapshot: Snapshot status must be '
                          'available or error and must not be part of a '
                          'group.')
SNAPSHOT_OF_OTHER_VOLUME = ('Invalid volume: Volume {volume} does not match '
                            'with snapshot.volume_id {other}.')
NO_SNAPSHOT = 'Snapshot {id} could not be found.'
NO_PARENT = 'Invalid backup: No backups available to do an incremental backup.'
NO_IMAGE = 'No image found with ID {id}'
NO_IMAGE_TO_DELETE = 'Failed to find image {id} to delete'


def _name(kind: str) -> str:
    return f'staffeln-contract-{kind}-{uuid.uuid4().hex[:8]}'


class CreateImageTest(base.ContractTestCase):
    """createImage of a volume-backed server with a second volume."""

    def setUp(self) -> None:
        super().setUp()
        self.requires_compute()
        self.tenant = self.target.add_tenant()
        self.conn = self.tenant.conn
        self.data_id = self.target.add_volume(self.tenant)
        self.server_id, self.boot_id = self.target.add_volume_backed_server(
            self.tenant, 'consistent', volume_ids=[self.data_id])

    def _create_image(self, conn: Any = None, name: str | None = None,
                      metadata: dict[str, str] | None = None,
                      microversion: str = IMAGE_ID_MICROVERSION) -> Any:
        body: dict[str, Any] = {'name': name or _name('image')}
        if metadata is not None:
            body['metadata'] = metadata
        return (conn or self.conn).compute.post(
            f'/servers/{self.server_id}/action',
            json={'createImage': body}, microversion=microversion)

    def _snapshots(self, conn: Any, name: str | None = None,
                   **params: Any) -> list[dict[str, Any]]:
        """Snapshots the connection lists, those called ``name`` if given.

        Filtered here: the test cloud's Cinder has no resource filters
        file, so it refuses a member's filters (400 "Invalid filters name
        are found in query options.").
        """
        response = conn.block_storage.get(
            '/snapshots/detail', params=params,
            microversion=VOLUME_MICROVERSION)
        self.assertEqual(200, response.status_code, response.text)
        return [s for s in response.json()['snapshots']
                if name is None or s['name'] == name]

    def _usage(self, keys: tuple[str, ...]) -> dict[str, int]:
        response = self.conn.block_storage.get(
            f'/os-quota-sets/{self.tenant.project_id}?usage=True')
        self.assertEqual(200, response.status_code, response.text)
        quota_set = response.json()['quota_set']
        return {key: quota_set[key]['in_use'] for key in keys}

    def _image(self, conn: Any, image_id: str) -> Any:
        return conn.image.get(f'/images/{image_id}')

    def assertGlanceError(self, response: Any, status: int,
                          message: str) -> None:
        """Glance answers an HTML page; its text carries the message."""
        self.assertEqual(status, response.status_code, response.text)
        self.assertIn(message, response.text)

    def test_snapshots_every_volume_and_records_an_image(self) -> None:
        server = self.conn.compute.get(f'/servers/{self.server_id}').json()
        self.assertEqual('', server['server']['image'])
        name = _name('image')
        response = self._create_image(name=name, metadata={'by': 'staffeln'})
        self.assertEqual(202, response.status_code, response.text)
        image_id = response.json()['image_id']
        self.assertEqual(['image_id'], list(response.json()))

        made = self._snapshots(self.conn, name=f'snapshot for {name}')
        self.assertEqual({self.boot_id, self.data_id},
                         {s['volume_id'] for s in made})
        # Still being made when Nova answers.
        self.assertEqual({'creating'}, {s['status'] for s in made})
        for snapshot in made:
            self.assertEqual(self.tenant.project_id, snapshot[
                'os-extended-snapshot-attributes:project_id'])
            self.assertEqual({}, snapshot['metadata'])

        response = self._image(self.conn, image_id)
        self.assertEqual(200, response.status_code, response.text)
        image = response.json()
        self.assertEqual(('active', 0, self.tenant.project_id, 'private',
                          name, 'staffeln', 'True'),
                         (image['status'], image['size'], image['owner'],
                          image['visibility'], image['name'], image['by'],
                          image['bdm_v2']))
        mapping = json.loads(image['block_device_mapping'])
        by_snapshot = {s['id']: s for s in made}
        self.assertEqual(set(by_snapshot), {m['snapshot_id']
                                            for m in mapping})
        [root] = [m for m in mapping if m['boot_index'] == 0]
        self.assertEqual(self.boot_id,
                         by_snapshot[root['snapshot_id']]['volume_id'])
        self.assertEqual(image['root_device_name'], root['device_name'])
        for entry in mapping:
            self.assertEqual(('snapshot', 'volume', None),
                             (entry['source_type'],
                              entry['destination_type'],
                              entry['volume_id']))
        # Every snapshot was made before the image was recorded.
        for snapshot in made:
            self.assertLessEqual(snapshot['created_at'][:19],
                                 image['created_at'][:19])

        for snapshot in made:
            self.target.wait_snapshot(self.conn, snapshot['id'])
        # Each snapshot counts as one snapshot and its size in gigabytes,
        # beside the two volumes.
        self.assertEqual({'snapshots': 2, 'gigabytes': 4},
                         self._usage(('snapshots', 'gigabytes')))
        # Deleting the image leaves the snapshots.
        response = self.conn.image.delete(f'/images/{image_id}')
        self.assertEqual(204, response.status_code, response.text)
        self.assertGlanceError(self._image(self.conn, image_id), 404,
                               NO_IMAGE.format(id=image_id))
        self.assertGlanceError(
            self.conn.image.delete(f'/images/{image_id}'), 404,
            NO_IMAGE_TO_DELETE.format(id=image_id))
        left = self._snapshots(self.conn, name=f'snapshot for {name}')
        self.assertEqual(({'available'}, set(by_snapshot)),
                         ({s['status'] for s in left},
                          {s['id'] for s in left}))

    def test_the_boot_volume_image_properties_reach_the_image(self) -> None:
        # The fake driver of the real cloud freezes every guest, so a
        # required freeze succeeds there.
        wanted = {'hw_qemu_guest_agent': 'yes', 'os_require_quiesce': 'yes'}
        server_id, boot_id = self.target.add_volume_backed_server(
            self.tenant, 'agent', image_metadata=wanted)
        volume = self.conn.block_storage.get(
            f'/volumes/{boot_id}', microversion=VOLUME_MICROVERSION).json()
        self.assertEqual(wanted, volume['volume']['volume_image_metadata'])
        volume = self.conn.block_storage.get(
            f'/volumes/{self.data_id}',
            microversion=VOLUME_MICROVERSION).json()
        self.assertNotIn('volume_image_metadata', volume['volume'])
        response = self.conn.compute.post(
            f'/servers/{server_id}/action',
            json={'createImage': {'name': _name('agent')}},
            microversion=IMAGE_ID_MICROVERSION)
        self.assertEqual(202, response.status_code, response.text)
        image = self._image(self.conn, response.json()['image_id']).json()
        self.assertEqual(wanted, {key: image.get(key) for key in wanted})
        self.assertEqual('', image['base_image_ref'])
        for snapshot in self._snapshots(self.conn):
            self.target.wait_snapshot(self.conn, snapshot['id'])

    def test_before_245_the_image_is_in_the_location(self) -> None:
        response = self._create_image(microversion='2.44')
        self.assertEqual(202, response.status_code, response.text)
        self.assertEqual('', response.text)
        image_id = response.headers['Location'].rsplit('/', 1)[-1]
        self.assertEqual(200, self._image(self.conn, image_id).status_code)
        for snapshot in self._snapshots(self.conn):
            self.target.wait_snapshot(self.conn, snapshot['id'])

    def test_over_the_snapshot_quota_nothing_is_made(self) -> None:
        self.target.set_quota(self.tenant.project_id, snapshots=1)
        self.assertHttpError(403, SNAPSHOT_QUOTA, self._checked,
                             self._create_image())
        self.assertEqual([], self._snapshots(self.conn))
        response = self.conn.image.get(
            '/images', params={'owner': self.tenant.project_id})
        self.assertEqual([], response.json()['images'])

    def test_a_volume_being_backed_up_fails_it_half_way(self) -> None:
        backup = self.conn.block_storage.create_backup(
            volume_id=self.data_id, force=True)
        response = self._create_image(name=_name('busy'))
        self.assertEqual(400, response.status_code, response.text)
        message = response.json()['badRequest']['message']
        self.assertTrue(message.startswith(VOLUME_BUSY.format(
            id=self.data_id)), message)
        # The boot volume's snapshot was made and is left; no image.
        left = self._snapshots(self.conn)
        self.assertEqual([self.boot_id], [s['volume_id'] for s in left])
        response = self.conn.image.get(
            '/images', params={'owner': self.tenant.project_id})
        self.assertEqual([], response.json()['images'])
        self.target.wait_snapshot(self.conn, left[0]['id'])
        self.target.wait_backup(self.conn, backup.id)

    def test_refusals(self) -> None:
        missing = str(uuid.uuid4())
        response = self.conn.compute.post(
            f'/servers/{missing}/action', json={'createImage': {'name': 'x'}},
            microversion=IMAGE_ID_MICROVERSION)
        self.assertHttpError(404, NO_SERVER.format(id=missing),
                             self._checked, response)
        response = self.conn.compute.post(
            f'/servers/{self.server_id}/action', json={'createImage': {}},
            microversion=IMAGE_ID_MICROVERSION)
        self.assertHttpError(400, NO_NAME, self._checked, response)
        self.target.reset_server_state(self.server_id, 'error')
        self.assertHttpError(409, WRONG_STATE.format(id=self.server_id),
                             self._checked, self._create_image())
        self.target.reset_server_state(self.server_id, 'active')
        self.assertEqual([], self._snapshots(self.conn))

    def test_an_admin_token_makes_them_in_the_admin_project(self) -> None:
        admin = self.target.admin
        name = _name('admin-image')
        response = self._create_image(conn=admin, name=name)
        self.assertEqual(202, response.status_code, response.text)
        image_id = response.json()['image_id']
        self.addCleanup(admin.image.delete, f'/images/{image_id}')
        made = self._snapshots(admin, all_tenants=1,
                               name=f'snapshot for {name}')
        for snapshot in made:
            self.addCleanup(self._delete_snapshot, admin, snapshot['id'])
        self.assertEqual({self.boot_id, self.data_id},
                         {s['volume_id'] for s in made})
        self.assertEqual({self.target.admin_project_id}, {
            s['os-extended-snapshot-attributes:project_id'] for s in made})
        image = self._image(admin, image_id).json()
        self.assertEqual((self.target.admin_project_id, 'shared'),
                         (image['owner'], image['visibility']))
        self.assertEqual([], self._snapshots(self.conn))

    def _delete_snapshot(self, conn: Any, snapshot_id: str) -> None:
        self.target.wait_snapshot(conn, snapshot_id)
        conn.block_storage.delete_snapshot(snapshot_id)
        self.target.wait_snapshot_deleted(conn, snapshot_id)

    @staticmethod
    def _checked(response: Any) -> Any:
        os_exc.raise_from_response(response)
        return response


class ImageBootedServerTest(base.ContractTestCase):

    def test_create_image_uploads_and_makes_no_snapshot(self) -> None:
        self.requires_compute()
        tenant = self.target.add_tenant()
        conn = tenant.conn
        server_id = self.target.add_image_booted_server(tenant, 'web')
        server = conn.compute.get(f'/servers/{server_id}').json()['server']
        self.assertIsInstance(server['image'], dict)
        self.assertTrue(server['image']['id'])
        response = conn.compute.post(
            f'/servers/{server_id}/action',
            json={'createImage': {'name': _name('upload')}},
            microversion=IMAGE_ID_MICROVERSION)
        self.assertEqual(202, response.status_code, response.text)
        image = conn.image.get(
            f"/images/{response.json()['image_id']}").json()
        # Being uploaded (the fake driver of the real cloud never does).
        self.assertIn(image['status'], ('queued', 'saving', 'active'))
        self.assertEqual((server_id, 'snapshot', server['image']['id']),
                         (image['instance_uuid'], image['image_type'],
                          image['base_image_ref']))
        self.assertNotIn('block_device_mapping', image)
        response = conn.block_storage.get('/snapshots/detail')
        self.assertEqual([], response.json()['snapshots'])


class BackupFromSnapshotTest(base.ContractTestCase):
    """Backups of an in-use volume made from its snapshot."""

    def setUp(self) -> None:
        super().setUp()
        self.requires_compute()
        self.tenant = self.target.add_tenant()
        self.conn = self.tenant.conn
        self.storage = self.conn.block_storage
        self.volume_id = self.target.add_volume(self.tenant)
        self.other_id = self.target.add_volume(self.tenant)
        self.target.add_server(self.tenant, 'in-use',
                               volume_ids=[self.volume_id])

    def _snapshot(self, volume_id: str) -> dict[str, Any]:
        response = self.storage.post('/snapshots', json={'snapshot': {
            'volume_id': volume_id, 'name': _name('snap'), 'force': True}},
            microversion=VOLUME_MICROVERSION)
        self.assertEqual(202, response.status_code, response.text)
        return response.json()['snapshot']

    def _backup(self, **spec: Any) -> Any:
        return self.storage.post('/backups', json={'backup': spec},
                                 microversion=VOLUME_MICROVERSION)

    def _refused(self, status: int, message: str, **spec: Any) -> None:
        response = self._backup(**spec)
        self.assertEqual(status, response.status_code, response.text)
        (fault,) = response.json().values()
        self.assertEqual(message, fault['message'])

    def test_backups_from_a_snapshot(self) -> None:
        snapshot = self._snapshot(self.volume_id)
        self.assertEqual('creating', snapshot['status'])
        self._refused(400, SNAPSHOT_NOT_AVAILABLE.format(status='creating'),
                      volume_id=self.volume_id, snapshot_id=snapshot['id'])
        snapshot = self.target.wait_snapshot(self.conn, snapshot['id'])

        other = self._snapshot(self.other_id)
        self.addCleanup(self._delete_snapshot, other['id'])
        self._refused(400, SNAPSHOT_OF_OTHER_VOLUME.format(
            volume=self.volume_id, other=self.other_id),
            volume_id=self.volume_id, snapshot_id=other['id'])
        missing = str(uuid.uuid4())
        self._refused(404, NO_SNAPSHOT.format(id=missing),
                      volume_id=self.volume_id, snapshot_id=missing)
        self._refused(400, NO_PARENT, volume_id=self.volume_id,
                      snapshot_id=snapshot.id, incremental=True)

        # No force for an in-use volume: the snapshot is what is read.
        response = self._backup(volume_id=self.volume_id,
                                snapshot_id=snapshot.id)
        self.assertEqual(202, response.status_code, response.text)
        full_id = response.json()['backup']['id']
        self.assertEqual('backing-up',
                         self.storage.get_snapshot(snapshot.id).status)
        self.assertEqual('in-use',
                         self.storage.get_volume(self.volume_id).status)
        self._refused(400, SNAPSHOT_NOT_AVAILABLE.format(
            status='backing-up'), volume_id=self.volume_id,
            snapshot_id=snapshot.id)
        response = self.storage.delete(f'/snapshots/{snapshot.id}',
                                       microversion=VOLUME_MICROVERSION)
        self.assertEqual(400, response.status_code, response.text)
        self.assertEqual(SNAPSHOT_NOT_DELETABLE,
                         response.json()['badRequest']['message'])
        full = self.target.wait_backup(self.conn, full_id)
        self.assertEqual((snapshot.id, False),
                         (full.snapshot_id, full.is_incremental))
        self.assertEqual(snapshot.created_at, full.data_timestamp)
        self.assertEqual('available',
                         self.storage.get_snapshot(snapshot.id).status)

        response = self._backup(volume_id=self.volume_id,
                                snapshot_id=snapshot.id, incremental=True)
        self.assertEqual(202, response.status_code, response.text)
        incr = self.target.wait_backup(self.conn,
                                       response.json()['backup']['id'])
        self.assertEqual((snapshot.id, True),
                         (incr.snapshot_id, incr.is_incremental))

        self.storage.delete_snapshot(snapshot.id)
        self.target.wait_snapshot_deleted(self.conn, snapshot.id)
        for _ in range(2):
            response = self.storage.delete(f'/snapshots/{snapshot.id}',
                                           microversion=VOLUME_MICROVERSION)
            self.assertEqual(404, response.status_code, response.text)
            self.assertEqual(NO_SNAPSHOT.format(id=snapshot.id),
                             response.json()['itemNotFound']['message'])
        # The backups outlive the snapshot they were made from.
        self.assertEqual('available', self.storage.get_backup(incr.id).status)

    def _delete_snapshot(self, snapshot_id: str) -> None:
        self.target.wait_snapshot(self.conn, snapshot_id)
        self.storage.delete_snapshot(snapshot_id)
        self.target.wait_snapshot_deleted(self.conn, snapshot_id)
