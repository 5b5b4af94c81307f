"""What Staffeln relies on from Nova, checked on every target."""

from __future__ import annotations

import testscenarios

from staffeln.tests.contract import base
from staffeln.tests.contract import paging

load_tests = testscenarios.load_tests_apply_scenarios

METADATA_ITEM_NOT_FOUND = 'Metadata item was not found'


class ServerMetadataTest(base.ContractTestCase):

    def test_set_get_delete(self) -> None:
        self.requires_compute()
        tenant = self.target.add_tenant()
        compute = tenant.conn.compute
        [server_id] = self.target.add_servers(
            tenant, ['meta'], metadata={'backup': 'yes'})
        self.assertEqual({'backup': 'yes'},
                         compute.get_server_metadata(server_id).metadata)

        # POST merges and answers with the whole merged set.
        response = compute.post(f'/servers/{server_id}/metadata',
                                json={'metadata': {'backup': 'no', 'a': '1'}})
        self.assertEqual(200, response.status_code, response.text)
        merged = {'backup': 'no', 'a': '1'}
        self.assertEqual({'metadata': merged}, response.json())
        compute.set_server_metadata(server_id, b='2')
        merged['b'] = '2'
        self.assertEqual(merged,
                         compute.get_server_metadata(server_id).metadata)
        self.assertEqual(merged, compute.get_server(server_id).metadata)

        compute.delete_server_metadata(server_id, ['a'])
        del merged['a']
        self.assertEqual(merged,
                         compute.get_server_metadata(server_id).metadata)
        self.assertHttpError(404, METADATA_ITEM_NOT_FOUND,
                             compute.delete_server_metadata, server_id, ['a'])


class ServerPaginationTest(base.ContractTestCase):

    def test_all_projects_listing_pages_through_everything(self) -> None:
        self.requires_compute()
        admin = self.target.admin
        mine = set()
        for count in (2, 1):
            tenant = self.target.add_tenant()
            mine.update(self.target.add_servers(
                tenant, [f'page-{n}' for n in range(count)]))

        listed = [s.id for s in admin.compute.servers(
            details=True, all_projects=True, limit=2)]
        self.assertEqual(len(listed), len(set(listed)))
        self.assertTrue(mine <= set(listed), mine - set(listed))

        pages = paging.walk(self, admin.compute,
                            '/servers/detail?all_tenants=1&limit=2',
                            'servers', limit=2)
        walked = [item['id'] for page in pages for item in page]
        self.assertEqual(len(walked), len(set(walked)))
        self.assertTrue(mine <= set(walked), mine - set(walked))
        self.assertGreaterEqual(len(pages), 2)
