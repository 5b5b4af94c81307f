"""The CLI's client: errors as the API words them, bodies as sent."""

import json
from unittest import mock

from osc_lib import exceptions
import requests

from staffeln.osc import client as staffeln_client
from staffeln.osc.v1 import common
from staffeln.tests import base


def answer(status: int, body, headers=None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = (body if isinstance(body, bytes)
                         else json.dumps(body).encode())
    response.headers.update(headers or {})
    return response


class TestClient(base.TestCase):

    def setUp(self):
        super().setUp()
        self.session = mock.Mock()
        self.client = staffeln_client.Client(self.session,
                                             'http://staffeln:8808/')

    def test_request_goes_to_the_endpoint_without_raising(self):
        self.session.request.return_value = answer(200, {'volumes': []})
        self.assertEqual({'volumes': []},
                         self.client.get('/v1/volumes', limit=5,
                                         marker=None))
        self.session.request.assert_called_once_with(
            'http://staffeln:8808/v1/volumes', 'GET', params={'limit': 5},
            json=None, raise_exc=False,
            headers={'Accept': 'application/json'})

    def test_api_errors_keep_their_reason_and_request_id(self):
        self.session.request.return_value = answer(403, {'error': {
            'code': 403, 'message': 'Policy does not allow it.',
            'request_id': 'req-1'}})
        error = self.assertRaises(exceptions.CommandError,
                                  self.client.get, '/v1/volumes')
        self.assertEqual('Policy does not allow it. (HTTP 403, request '
                         'req-1)', str(error))

    def test_other_errors_are_reported_as_they_came(self):
        self.session.request.return_value = answer(
            413, b'The request body is too large.\n',
            {'X-OpenStack-Request-Id': 'req-2'})
        error = self.assertRaises(exceptions.CommandError,
                                  self.client.post, '/v1/backups', {})
        self.assertEqual('The request body is too large. (HTTP 413, '
                         'request req-2)', str(error))

    def test_no_content(self):
        self.session.request.return_value = answer(204, b'')
        self.assertIsNone(self.client.delete('/v1/policies/x'))


class TestShow(base.TestCase):

    def test_nested_values_are_flattened_one_level(self):
        columns, values = common.show({'id': 'v', 'rpo': {'state': 'met'}})
        self.assertEqual(('id', 'rpo.state'), columns)
        self.assertEqual(('v', 'met'), values)
