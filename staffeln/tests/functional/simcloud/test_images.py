"""Nova's createImage and the simulated Glance, through the real SDK."""

from __future__ import annotations

import json
from typing import Any

from staffeln.tests.functional.simcloud import base
from staffeln.tests.simcloud.glance import rules as glance_rules


class TestCreateImage(base.SimCloudTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.boot = self.cloud.add_volume(self.project.id, bootable=True)
        self.data = self.cloud.add_volume(self.project.id, size=2,
                                          description='the database')
        self.server = self.cloud.add_server(
            self.project.id, 'db', volume_ids=[self.boot.id, self.data.id],
            image_properties={'hw_qemu_guest_agent': 'yes'})
        self.conn = self.tenant()

    def create_image(self, conn: Any = None, name: str = 'img',
                     microversion: str = '2.45', **extra: Any) -> Any:
        return self.raw(conn or self.conn, 'compute', 'POST',
                        f'/servers/{self.server.id}/action',
                        json={'createImage': {'name': name, **extra}},
                        microversion=microversion)

    def test_volume_backed_server_gets_snapshots_and_an_image(self):
        resp = self.create_image(metadata={'staffeln_run': 'r1'})
        self.assertEqual(202, resp.status_code, resp.text)
        image = self.cloud.image(resp.json()['image_id'])
        self.assertTrue(image.quiesced)
        snapshots = {s.volume_id: s for s in self.cloud.snapshots.values()}
        self.assertEqual({self.boot.id, self.data.id}, set(snapshots))
        data = snapshots[self.data.id]
        self.assertEqual(('snapshot for img', 'the database', 2,
                          self.project.id, {}),
                         (data.name, data.description, data.size,
                          data.project_id, data.metadata))
        shown = self.conn.image.get(f'/images/{image.id}').json()
        self.assertEqual(('active', 0, 'r1', 'yes', '/dev/vda', 'True'),
                         (shown['status'], shown['size'],
                          shown['staffeln_run'], shown['hw_qemu_guest_agent'],
                          shown['root_device_name'], shown['bdm_v2']))
        mapping = json.loads(shown['block_device_mapping'])
        self.assertEqual(
            [(snapshots[self.boot.id].id, '/dev/vda', 0, 1),
             (data.id, '/dev/vdb', None, 2)],
            [(m['snapshot_id'], m['device_name'], m['boot_index'],
              m['volume_size']) for m in mapping])
        self.assertEqual(2, self.cloud.quotas.in_use(self.project.id,
                                                     'snapshots'))

    def test_before_2_45_the_image_is_in_the_location(self):
        resp = self.create_image(microversion='2.44')
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual(b'', resp.content)
        [image] = self.cloud.images.values()
        self.assertTrue(resp.headers['Location'].endswith(
            f'/images/{image.id}'))

    def test_guest_without_agent_is_snapshotted_unfrozen(self):
        self.server.image_properties.clear()
        resp = self.create_image()
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertFalse(self.cloud.image(resp.json()['image_id']).quiesced)

    def test_required_quiesce_without_agent_is_refused(self):
        self.server.image_properties.update(hw_qemu_guest_agent='no',
                                            os_require_quiesce='yes')
        self.assertFault(self.create_image(), 400,
                         'QEMU guest agent is not enabled')
        self.server.image_properties['hw_qemu_guest_agent'] = 'yes'
        self.server.guest_agent_answers = False
        resp = self.create_image()
        self.assertEqual(409, resp.status_code, resp.text)
        self.assertEqual([], list(self.cloud.snapshots.values()))
        self.assertEqual([], list(self.cloud.images.values()))

    def test_stopped_guest_is_not_frozen(self):
        self.server.status = 'SHUTOFF'
        self.server.image_properties['os_require_quiesce'] = 'yes'
        resp = self.create_image()
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertFalse(self.cloud.image(resp.json()['image_id']).quiesced)

    def test_refusals(self):
        self.cloud.nova_denied.add(
            'os_compute_api:servers:create_image:allow_volume_backed')
        self.assertFault(
            self.create_image(), 403,
            "Policy doesn't allow os_compute_api:servers:create_image:"
            "allow_volume_backed to be performed.")
        self.cloud.nova_denied.clear()
        self.cloud.set_quota(self.project.id, snapshots=1)
        self.assertFault(self.create_image(), 403,
                         'Quota exceeded for resources: snapshots')
        self.server.status = 'ERROR'
        self.assertFault(self.create_image(), 409,
                         f"Cannot 'createImage' instance {self.server.id} "
                         'while it is in vm_state error')
        reader = self.cloud.add_user('reader', 'pw',
                                     roles={self.project.id: ['reader']})
        conn = self.sim.connect(project='tenant', user=reader.name,
                                password='pw')
        self.assertFault(self.create_image(conn), 403,
                         "Policy doesn't allow os_compute_api:servers:"
                         "create_image to be performed.")
        resp = self.raw(self.conn, 'compute', 'POST',
                        f'/servers/{self.server.id}/action',
                        json={'reboot': {'type': 'SOFT'}})
        self.assertEqual(404, resp.status_code)
        self.assertEqual([], list(self.cloud.snapshots.values()))

    def test_admin_token_puts_them_in_the_admin_project(self):
        resp = self.create_image(self.admin)
        image = self.cloud.image(resp.json()['image_id'])
        admin_project = self.cloud.admin_project.id
        self.assertEqual((admin_project, 'shared'),
                         (image.owner, image.visibility))
        self.assertEqual({admin_project}, {
            s.project_id for s in self.cloud.snapshots.values()})

    def test_image_booted_server(self):
        server = self.cloud.add_server(self.project.id, 'web',
                                       image_id='4b1d0000-0000-4000-8000-'
                                                '000000000001')
        shown = self.conn.compute.get(f'/servers/{server.id}').json()
        self.assertEqual('4b1d0000-0000-4000-8000-000000000001',
                         shown['server']['image']['id'])
        resp = self.raw(self.conn, 'compute', 'POST',
                        f'/servers/{server.id}/action',
                        json={'createImage': {'name': 'web-img'}},
                        microversion='2.45')
        image = self.conn.image.get(
            f"/images/{resp.json()['image_id']}").json()
        self.assertEqual(('queued', None, server.id),
                         (image['status'], image['size'],
                          image['instance_uuid']))
        self.assertNotIn('block_device_mapping', image)
        self.assertEqual([], list(self.cloud.snapshots.values()))


class TestGlance(base.SimCloudTestCase):

    def cloud_images(self) -> glance_rules.ImageService:
        return glance_rules.ImageService(self.cloud)

    def test_catalog_lists_glance(self):
        self.assertTrue(self.tenant().image.get_endpoint().endswith(
            '/image/v2/'))

    def test_list_pages_with_next_and_filters(self):
        service = self.cloud_images()
        mine = [service.add(self.project.id, f'img-{n}', 'active', {}).id
                for n in range(3)]
        other = self.cloud.add_project('other')
        service.add(other.id, 'theirs', 'active', {})
        conn = self.tenant()
        body = conn.image.get('/images', params={'limit': 2}).json()
        self.assertEqual(mine[::-1][:2], [i['id'] for i in body['images']])
        self.assertIn('marker=', body['next'])
        following = conn.image.get(body['next'].removeprefix('/v2')).json()
        self.assertEqual([mine[0]], [i['id'] for i in following['images']])
        self.assertNotIn('next', following)
        named = self.admin.image.get('/images', params={'name': 'theirs'})
        self.assertEqual(['theirs'],
                         [i['name'] for i in named.json()['images']])

    def test_errors_are_html_pages(self):
        service = self.cloud_images()
        image = service.add(self.cloud.add_project('other').id, 'theirs',
                            'active', {})
        resp = self.raw(self.tenant(), 'image', 'GET', f'/images/{image.id}')
        self.assertEqual(404, resp.status_code)
        self.assertTrue(resp.headers['Content-Type'].startswith('text/html'))
        self.assertIn(f'No image found with ID {image.id}', resp.text)
        resp = self.raw(self.tenant(), 'image', 'DELETE',
                        f'/images/{image.id}')
        self.assertIn(f'Failed to find image {image.id} to delete',
                      resp.text)
        self.assertEqual(204, self.raw(self.admin, 'image', 'DELETE',
                                       f'/images/{image.id}').status_code)
        self.assertIsNone(self.cloud.image(image.id))
