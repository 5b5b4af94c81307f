"""Nova: listing with all_tenants and pages, metadata, tags, volumes."""

import urllib.parse

from staffeln.tests.functional.simcloud import base
from staffeln.tests.simcloud import seed

DETAIL = '/compute/v2.1/servers/detail'


class TestServerListing(base.SimCloudTestCase):

    def follow_links(self, url: str) -> list[dict]:
        """Page with servers_links exactly as Nova hands them out."""
        servers = []
        while url:
            resp = self.admin.compute.get(url, microversion='2.96')
            body = resp.json()
            servers += body['servers']
            links = body.get('servers_links', [])
            url = next((link['href'] for link in links
                        if link['rel'] == 'next'), None)
        return servers

    def test_all_tenants_pages_of_1000_over_2500_servers(self):
        seed.seed_bench(self.cloud, projects=5, servers=2500, tagged=0,
                        volumes_per_server=1)
        self.admin.authorize()
        self.cloud.reset_calls()
        servers = self.follow_links(
            '/servers/detail?all_tenants=1&limit=1000')
        self.assertEqual(2500, len({s['id'] for s in servers}))
        self.assertEqual(3, self.calls('GET', DETAIL))
        keys = [(s['created'], s['id']) for s in servers]
        self.assertEqual(sorted(keys, reverse=True), keys)
        self.assertEqual(5, len({s['tenant_id'] for s in servers}))

    def test_next_link_keeps_the_query_and_adds_the_marker(self):
        for i in range(3):
            self.cloud.add_server(self.project.id, f's{i}')
        resp = self.admin.compute.get(
            f'/servers/detail?all_tenants=1&limit=2&project_id='
            f'{self.project.id}')
        body = resp.json()
        href = body['servers_links'][0]['href']
        self.assertTrue(href.startswith(f'{self.sim.url}{DETAIL}?'))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
        self.assertEqual({'all_tenants': ['1'], 'limit': ['2'],
                          'project_id': [self.project.id],
                          'marker': [body['servers'][-1]['id']]}, query)

    def test_sdk_generator_walks_every_page(self):
        for i in range(25):
            self.cloud.add_server(self.project.id, f's{i}')
        self.admin.authorize()
        self.cloud.reset_calls()
        servers = list(self.admin.compute.servers(all_projects=True,
                                                  limit=10))
        self.assertEqual(25, len({s.id for s in servers}))
        # 10 + 10 + 5, then openstacksdk asks once more when it was given a
        # limit and the last page had no next link: 4 calls, as against
        # a real Nova.
        self.assertEqual(4, self.calls('GET', DETAIL))

    def test_project_filter_needs_all_tenants(self):
        other = self.cloud.add_project('other')
        mine = self.cloud.add_server(self.project.id, 'mine')
        self.cloud.add_server(other.id, 'theirs')
        filtered = list(self.admin.compute.servers(
            all_projects=True, project_id=self.project.id))
        self.assertEqual([mine.id], [s.id for s in filtered])
        # Without all_tenants, Nova lists the caller's own project.
        self.assertEqual([], list(self.admin.compute.servers(
            project_id=self.project.id)))

    def test_member_sees_only_own_servers_and_no_all_tenants(self):
        other = self.cloud.add_project('other')
        mine = self.cloud.add_server(self.project.id, 'mine')
        self.cloud.add_server(other.id, 'theirs')
        conn = self.tenant()
        self.assertEqual([mine.id], [s.id for s in conn.compute.servers()])
        resp = self.raw(conn, 'compute', 'GET',
                        '/servers/detail?all_tenants=1')
        self.assertFault(resp, 403, "Policy doesn't allow os_compute_api:"
                                    "servers:detail:get_all_tenants to be "
                                    "performed.", 'forbidden')

    def test_unknown_marker_is_400(self):
        resp = self.raw(self.admin, 'compute', 'GET',
                        '/servers/detail?marker=nope')
        self.assertFault(resp, 400, 'marker [nope] not found', 'badRequest')

    def test_tags_filter_with_microversion_2_26(self):
        tagged = self.cloud.add_server(self.project.id, 'a', tags=['backup'])
        self.cloud.add_server(self.project.id, 'b', tags=['other'])
        found = list(self.admin.compute.servers(all_projects=True,
                                                tags='backup'))
        self.assertEqual([tagged.id], [s.id for s in found])
        self.assertEqual(['backup'], found[0].tags)


class TestServerDetail(base.SimCloudTestCase):

    def setUp(self):
        super().setUp()
        self.boot = self.cloud.add_volume(self.project.id, size=10,
                                          bootable=True)
        self.data = self.cloud.add_volume(self.project.id, size=20)
        self.server = self.cloud.add_server(
            self.project.id, 'web-1', metadata={'backup': 'yes'},
            volume_ids=[self.boot.id, self.data.id])

    def test_detail_fields(self):
        server = self.admin.compute.get_server(self.server.id)
        self.assertEqual(self.project.id, server.project_id)
        self.assertEqual({'backup': 'yes'}, server.metadata)
        self.assertEqual('ACTIVE', server.status)
        self.assertEqual([self.boot.id, self.data.id],
                         [v.id for v in server.attached_volumes])
        resp = self.admin.compute.get(f'/servers/{self.server.id}',
                                      microversion='2.96')
        self.assertEqual('compute 2.96',
                         resp.headers['OpenStack-API-Version'])
        raw = resp.json()['server']
        self.assertEqual([{'id': self.boot.id,
                           'delete_on_termination': False},
                          {'id': self.data.id,
                           'delete_on_termination': False}],
                         raw['os-extended-volumes:volumes_attached'])
        self.assertEqual('2026-01-01T00:00:00Z', raw['created'])
        self.assertIsNone(raw['pinned_availability_zone'])

    def test_attaching_made_the_volumes_in_use(self):
        volumes = {v.id: v for v in self.tenant().block_storage.volumes()}
        self.assertEqual('in-use', volumes[self.data.id].status)
        self.assertEqual(self.server.id,
                         volumes[self.data.id].attachments[0]['server_id'])

    def test_volume_attachments(self):
        attachments = list(self.admin.compute.volume_attachments(
            self.server.id))
        self.assertEqual([self.boot.id, self.data.id],
                         [a.volume_id for a in attachments])
        self.assertEqual(['/dev/vda', '/dev/vdb'],
                         [a.device for a in attachments])

    def test_metadata_set_and_delete(self):
        conn = self.tenant()
        conn.compute.set_server_metadata(
            self.server.id, **{'last-backup-time': '2026-01-01T00:00:00Z'})
        self.assertEqual({'backup': 'yes',
                          'last-backup-time': '2026-01-01T00:00:00Z'},
                         self.cloud.servers.get(self.server.id).metadata)
        conn.compute.delete_server_metadata(self.server.id, ['backup'])
        server = conn.compute.get_server(self.server.id)
        self.assertEqual({'last-backup-time': '2026-01-01T00:00:00Z'},
                         server.metadata)

    def test_metadata_errors(self):
        conn = self.tenant()
        url = f'/servers/{self.server.id}/metadata'
        self.assertFault(self.raw(conn, 'compute', 'GET', f'{url}/nope'),
                         404, 'Metadata item was not found')
        self.assertFault(self.raw(conn, 'compute', 'DELETE', f'{url}/nope'),
                         404, 'Metadata item was not found')
        self.assertFault(
            self.raw(conn, 'compute', 'PUT', f'{url}/a',
                     json={'meta': {'b': '1'}}),
            400, 'Request body and URI mismatch')
        self.assertFault(
            self.raw(conn, 'compute', 'POST', url,
                     json={'metadata': {f'k{i}': 'v' for i in range(130)}}),
            403, 'Maximum number of metadata items exceeds 128')
        missing = self.raw(conn, 'compute', 'GET',
                           '/servers/00000000-0000-4000-8000-000000000000')
        self.assertFault(missing, 404, 'Instance 00000000-0000-4000-8000-'
                                       '000000000000 could not be found.',
                         'itemNotFound')

    def test_another_project_cannot_see_the_server(self):
        self.cloud.add_project('other')
        self.cloud.add_user('stranger', 'pw', roles={'other': ['member']})
        conn = self.sim.connect(project='other', user='stranger',
                                password='pw')
        resp = self.raw(conn, 'compute', 'GET', f'/servers/{self.server.id}')
        self.assertEqual(404, resp.status_code)

    def test_unsupported_microversion_is_406(self):
        resp = self.raw(self.admin, 'compute', 'GET', '/servers',
                        microversion='2.200')
        self.assertFault(resp, 406, 'Version 2.200 is not supported by the '
                                    'API. Minimum is 2.1 and maximum is '
                                    '2.96.', 'computeFault')


class TestHundredThousandServers(base.SimCloudTestCase):

    def test_listing_100000_servers_in_pages_of_1000(self):
        seed.seed_bench(self.cloud, projects=100, servers=100_000,
                        tagged=1000, volumes_per_server=0)
        self.admin.authorize()
        self.cloud.reset_calls()
        seen = 0
        url = '/servers/detail?all_tenants=1&limit=1000'
        while url:
            body = self.admin.compute.get(url).json()
            seen += len(body['servers'])
            url = next((link['href'] for link in
                        body.get('servers_links', [])), None)
        self.assertEqual(100_000, seen)
        # 100 full pages; a full page always carries a next link in Nova,
        # so the client learns it is done from a 101st, empty page.
        self.assertEqual(101, self.calls('GET', DETAIL))
