"""Stopping the API server: it stops listening, and stopping it again is
harmless (a test or a service that stops it twice gets no error)."""

import requests

from staffeln.tests import base
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture


class TestStop(base.TestCase):

    def test_stop_twice(self):
        self.useFixture(db_fixture.Database('sqlite'))
        api = self.useFixture(api_fixtures.ApiServer(self.conf))
        self.assertEqual(200, requests.get(api.url + '/', timeout=10)
                         .status_code)
        api.stop()
        self.assertFalse(api.thread.is_alive())
        self.assertRaises(requests.ConnectionError, requests.get,
                          api.url + '/', timeout=10)
        api.stop()
