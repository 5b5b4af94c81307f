"""Cinder volumes and snapshots: listing, pages, metadata."""

from staffeln.tests.functional.simcloud import base

DETAIL = '/volume/v3/volumes/detail'


class TestVolumes(base.SimCloudTestCase):

    def test_pages_with_volumes_links(self):
        ids = [self.cloud.add_volume(self.project.id, name=f'v{i}').id
               for i in range(25)]
        conn = self.tenant()
        conn.authorize()
        self.cloud.reset_calls()
        seen = []
        url = '/volumes/detail?limit=10'
        while url:
            body = conn.block_storage.get(url).json()
            seen += [v['id'] for v in body['volumes']]
            url = next((link['href'] for link in
                        body.get('volumes_links', [])), None)
        # Same created_at (the clock did not move): newest first is id desc.
        self.assertEqual(sorted(ids, reverse=True), seen)
        self.assertEqual(3, self.calls('GET', DETAIL))
        self.cloud.reset_calls()
        found = list(conn.block_storage.volumes(limit=10))
        self.assertEqual(25, len(found))

    def test_admin_all_projects_and_project_filter(self):
        other = self.cloud.add_project('other')
        mine = self.cloud.add_volume(self.project.id)
        theirs = self.cloud.add_volume(other.id)
        everything = {v.id for v in self.admin.block_storage.volumes(
            all_projects=True)}
        self.assertLessEqual({mine.id, theirs.id}, everything)
        filtered = [v.id for v in self.admin.block_storage.volumes(
            all_projects=True, project_id=other.id)]
        self.assertEqual([theirs.id], filtered)
        # A member's all_tenants is silently ignored by Cinder.
        resp = self.raw(self.tenant(), 'block_storage', 'GET',
                        '/volumes?all_tenants=1')
        self.assertEqual([mine.id], [v['id'] for v in resp.json()['volumes']])

    def test_metadata_field_and_updates(self):
        volume = self.cloud.add_volume(self.project.id,
                                       metadata={'backup_skip': 'yes'})
        conn = self.tenant()
        self.assertEqual({'backup_skip': 'yes'},
                         conn.block_storage.get_volume(volume.id).metadata)
        conn.block_storage.set_volume_metadata(volume.id, owner='ops')
        conn.block_storage.delete_volume_metadata(volume.id,
                                                  keys=['backup_skip'])
        self.assertEqual({'owner': 'ops'},
                         conn.block_storage.get_volume(volume.id).metadata)
        resp = self.raw(conn, 'block_storage', 'GET',
                        f'/volumes/{volume.id}/metadata/nope')
        self.assertFault(resp, 404, f'Volume {volume.id} has no metadata '
                                    'with key nope.')
        resp = self.raw(conn, 'block_storage', 'GET',
                        '/volumes?metadata={"owner": "ops"}')
        self.assertEqual([volume.id],
                         [v['id'] for v in resp.json()['volumes']])

    def test_missing_volume(self):
        resp = self.raw(self.tenant(), 'block_storage', 'GET',
                        '/volumes/nope')
        self.assertFault(resp, 404, 'Volume nope could not be found.',
                         'itemNotFound')


class TestSnapshots(base.SimCloudTestCase):

    def test_snapshot_lifecycle_and_backup_from_snapshot(self):
        volume = self.cloud.add_volume(self.project.id, size=3)
        conn = self.tenant()
        snapshot = conn.block_storage.create_snapshot(volume_id=volume.id,
                                                      name='snap')
        snapshot = conn.block_storage.get_snapshot(snapshot.id)
        self.assertEqual('available', snapshot.status)
        resp = self.raw(conn, 'block_storage', 'POST', '/backups',
                        json={'backup': {'volume_id': volume.id,
                                         'snapshot_id': snapshot.id}})
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual('backing-up',
                         conn.block_storage.get_snapshot(snapshot.id).status)
        self.sim.clock.advance(60)
        self.assertEqual('available',
                         conn.block_storage.get_snapshot(snapshot.id).status)
        conn.block_storage.delete_snapshot(snapshot.id)
        self.assertEqual([], list(conn.block_storage.snapshots()))

    def test_in_use_snapshot_before_and_after_3_66(self):
        volume = self.cloud.add_volume(self.project.id)
        self.cloud.add_server(self.project.id, 's', volume_ids=[volume.id])
        conn = self.tenant()
        body = {'snapshot': {'volume_id': volume.id}}
        resp = self.raw(conn, 'block_storage', 'POST', '/snapshots',
                        json=body, microversion='3.65')
        self.assertFault(resp, 400, f'Invalid volume: Volume {volume.id} '
                                    'status must be available, but current '
                                    'status is: in-use.')
        resp = self.raw(conn, 'block_storage', 'POST', '/snapshots',
                        json=body, microversion='3.66')
        self.assertEqual(202, resp.status_code)
