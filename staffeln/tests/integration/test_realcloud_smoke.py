"""The integration helpers work: a server boots from volume, and attaches."""

from __future__ import annotations

from staffeln.tests.integration import base


class BootFromVolumeTest(base.IntegrationTestCase):

    def test_boot_from_volume_and_attach_a_second_volume(self) -> None:
        self.requires_compute()
        tenant = self.cloud.add_tenant()
        conn = tenant.connection
        booted = self.cloud.boot_from_volume(tenant, 'smoke',
                                             metadata={'backup': 'yes'})
        data = self.cloud.create_volume(tenant, name='smoke-data')
        self.cloud.attach_volume(tenant, booted.server_id, data.id)

        response = conn.compute.get(f'/servers/{booted.server_id}')
        self.assertEqual(200, response.status_code, response.text)
        server = response.json()['server']
        self.assertEqual('ACTIVE', server['status'])
        self.assertEqual(tenant.project_id, server['tenant_id'])
        self.assertEqual({'backup': 'yes'}, server['metadata'])
        self.assertEqual(
            sorted([booted.boot_volume_id, data.id]),
            sorted(v['id'] for v in
                   server['os-extended-volumes:volumes_attached']))
        for volume_id in (booted.boot_volume_id, data.id):
            volume = conn.block_storage.get_volume(volume_id)
            self.assertEqual('in-use', volume.status)
            self.assertEqual([booted.server_id],
                             [a['server_id'] for a in volume.attachments])
