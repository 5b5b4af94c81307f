"""The WSGI app in-process (no sockets): templates, errors, discovery."""

import testtools

from staffeln.tests.simcloud import app
from staffeln.tests.simcloud import state


class TestTemplate(testtools.TestCase):

    def test_templates(self):
        self.assertEqual('/volume/v3/backups/{id}',
                         app.template('/volume/v3/<hex:project_id>/backups/'
                                      '<backup_id>'))
        self.assertEqual('/compute/v2.1/servers/{id}/metadata/{key}',
                         app.template('/compute/v2.1/servers/<server_id>/'
                                      'metadata/<key>'))


class TestApp(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = state.Cloud()
        self.client = app.create_app(self.cloud).test_client()

    def test_discovery_documents(self):
        resp = self.client.get('/identity')
        self.assertEqual(300, resp.status_code)
        self.assertEqual('v3.14', resp.json['versions']['values'][0]['id'])
        resp = self.client.get('/compute/v2.1')
        version = resp.json['version']
        self.assertEqual(('2.96', '2.1'),
                         (version['version'], version['min_version']))
        resp = self.client.get('/volume/')
        self.assertEqual(300, resp.status_code)
        self.assertEqual('3.70', resp.json['versions'][0]['version'])
        self.assertEqual(401, self.client.get('/volume/v3/').status_code)

    def test_unknown_path_in_the_service_shape(self):
        resp = self.client.get('/compute/v2.1/nothing-here',
                               headers={'X-Auth-Token': 'x'})
        self.assertEqual(404, resp.status_code)
        self.assertIn('itemNotFound', resp.json)
        self.assertEqual(1, self.cloud.calls[('GET',
                                              '/compute/v2.1/nothing-here')])

    def test_injected_fault_in_keystone_shape(self):
        self.cloud.faults.add(path_regex='/identity/v3/auth/tokens',
                              status=503)
        resp = self.client.post('/identity/v3/auth/tokens', json={})
        self.assertEqual({'error': {'code': 503, 'title':
                                    'Service Unavailable', 'message':
                                    'Service Unavailable'}}, resp.json)
