"""Whatever the path, the API answers 401, 404 or a version document."""

from unittest import mock

import fixtures
from keystonemiddleware import auth_token

from staffeln.api import app as api_app
from staffeln.tests import base

ODD_PATHS = ('/v1/backup/', '/V1/backup', '/v1/backup%00', '/v1//backup',
             '/../v1/backup', '/v1/tasks/abc', '/nope', '/v2', '/v1/%ff',
             '/v1/tasks?limit=-1')


class TestPaths(base.TestCase):

    def client(self):
        return api_app.create_app(self.conf).test_client()

    def test_a_hook_only_deployment_never_answers_500(self):
        # keystonemiddleware refuses to work without [keystone_authtoken].
        self.useFixture(fixtures.MockPatchObject(
            auth_token.AuthProtocol, '__call__',
            side_effect=RuntimeError('www_authenticate_uri is not set')))
        logs = self.useFixture(fixtures.FakeLogger(name='staffeln'))
        client = self.client()
        for path in ODD_PATHS:
            for method in ('get', 'post', 'delete'):
                response = getattr(client, method)(
                    path, headers={'X-Auth-Token': 'abc'})
                self.assertIn(response.status_code, (401, 404, 405), path)
                self.assertNotIn(b'Traceback', response.data)
        self.assertEqual(1, logs.output.count('Tokens cannot be validated'))

    def test_version_documents_need_no_token(self):
        client = self.client()
        with mock.patch.object(auth_token.AuthProtocol, '__call__') as auth:
            root = client.get('/')
            v1 = client.get('/v1')
            auth.assert_not_called()
        self.assertEqual(200, root.status_code)
        [version] = root.json['versions']
        self.assertEqual('v1.0', version['id'])
        self.assertEqual('CURRENT', version['status'])
        self.assertEqual('http://localhost/v1/', version['links'][0]['href'])
        self.assertEqual('v1.0', v1.json['version']['id'])
