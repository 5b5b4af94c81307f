"""Injected faults and call counting, seen through openstacksdk."""

import keystoneauth1.exceptions
import openstack.exceptions

from staffeln.tests.functional.simcloud import base


class TestFaults(base.SimCloudTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.cloud.add_server(self.project.id, 'web')
        self.admin.authorize()

    def test_503_for_the_next_matching_call_only(self):
        self.cloud.faults.add(method='GET', path_regex=r'/servers/detail$',
                              status=503, count=1)
        error = self.assertRaises(
            openstack.exceptions.HttpException,
            lambda: list(self.admin.compute.servers(all_projects=True)))
        self.assertEqual(503, error.status_code)
        resp = self.raw(self.admin, 'compute', 'GET', '/servers/detail')
        self.assertEqual(200, resp.status_code)
        self.assertEqual(2, self.calls('GET', '/compute/v2.1/servers/detail'))

    def test_fault_body_has_the_service_shape(self):
        self.cloud.faults.add(path_regex='/volume/v3/backups', status=500,
                              message='boom')
        resp = self.raw(self.admin, 'block_storage', 'GET', '/backups')
        self.assertFault(resp, 500, 'boom', 'computeFault')
        self.cloud.faults.add(path_regex='/volume/', status=503, count=None)
        for _ in range(3):
            resp = self.raw(self.admin, 'block_storage', 'GET', '/backups')
            self.assertFault(resp, 503, 'Service Unavailable',
                             'serviceUnavailable')
        self.cloud.faults.clear()
        resp = self.raw(self.admin, 'block_storage', 'GET', '/backups')
        self.assertEqual(200, resp.status_code)

    def test_delay_trips_the_client_timeout(self):
        slow = self.sim.connect(api_timeout=0.2)
        slow.authorize()
        # Every matching call is slow (the SDK retries once on a timeout).
        rule = self.cloud.faults.add(method='GET', path_regex='/servers/',
                                     status=None, delay=0.5, count=None)
        self.assertRaises(
            (keystoneauth1.exceptions.ConnectTimeout,
             openstack.exceptions.SDKException),
            slow.compute.get_server, self.server.id)
        self.cloud.faults.remove(rule)
        self.assertEqual(self.server.id,
                         slow.compute.get_server(self.server.id).id)

    def test_calls_are_counted_per_route_template(self):
        self.cloud.reset_calls()
        conn = self.tenant()
        conn.compute.get_server(self.server.id)
        conn.compute.get_server(self.server.id)
        list(conn.block_storage.backups())
        self.assertEqual(2, self.calls('GET', '/compute/v2.1/servers/{id}'))
        self.assertEqual(1, self.calls('GET', '/volume/v3/backups/detail'))
        self.assertEqual(1, self.calls('POST', '/identity/v3/auth/tokens'))
        self.cloud.reset_calls()
        self.assertEqual(0, sum(self.cloud.calls.values()))
