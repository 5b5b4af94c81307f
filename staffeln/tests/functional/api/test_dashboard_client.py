"""The dashboard's API client against staffeln-api over HTTP.

What the Horizon forms rely on: the API's refusals come back as
:class:`~staffeln.dashboard.client.ApiError` naming the field they are
about, and listings page by marker and limit as the panels ask.
"""

import requests

from staffeln.dashboard import client
from staffeln.tests.functional.api import rest


class TestDashboardClient(rest.RestTestCase):

    def as_persona(self, headers) -> client.Client:
        session = requests.Session()
        session.headers.update(headers)
        self.addCleanup(session.close)
        return client.Client(self.api.url, 'a-token', session=session)

    def refusal(self, call, *args) -> client.ApiError:
        return self.assertRaises(client.ApiError, call, *args)

    def test_policy_refusals_name_the_form_field(self):
        admin = self.as_persona(rest.ADMIN)
        for body, field, words in (
                ({'schedule': '0 25 * * *'}, 'schedule', 'hour 25'),
                ({'schedule': '1d', 'window': '02:00-02:00'}, 'window',
                 'empty'),
                ({'schedule': '1d', 'timezone': 'Mars/Olympus'},
                 'timezone', 'Mars/Olympus'),
                ({'schedule': '1d', 'retention': 'forever'}, 'retention',
                 'forever')):
            error = self.refusal(admin.post, '/v1/policies',
                                 dict(body, name='nightly'))
            self.assertEqual((400, field), (error.status, error.field),
                             error.message)
            self.assertIn(words, error.field_message)
            self.assertFalse(error.field_message.startswith(f'{field}:'))

    def test_other_refusals_name_no_field(self):
        admin = self.as_persona(rest.ADMIN)
        admin.post('/v1/policies', {'name': 'nightly', 'schedule': '1d'})
        clash = self.refusal(admin.post, '/v1/policies',
                             {'name': 'nightly', 'schedule': '1d'})
        self.assertEqual((409, None), (clash.status, clash.field))
        self.assertTrue(clash.request_id)
        member = self.as_persona(rest.MEMBER_A)
        denied = self.refusal(member.post, '/v1/policies',
                              {'name': 'mine', 'schedule': '1d'})
        self.assertEqual((403, None), (denied.status, denied.field))

    def test_a_member_pages_the_volumes_and_backups_of_the_project(self):
        world = rest.World()
        member = self.as_persona(rest.MEMBER_A)
        first = member.get('/v1/volumes', limit=1)['volumes']
        rest_ = member.get('/v1/volumes', limit=1,
                           marker=first[0]['id'])['volumes']
        self.assertEqual(sorted([world.vol_a, world.skipped_a]),
                         sorted(v['id'] for v in first + rest_))
        full = member.get('/v1/backups', type='full',
                          server_id=world.server_a)['backups']
        incremental = member.get('/v1/backups', type='incremental',
                                 server_id=world.server_a)['backups']
        self.assertEqual(([world.full_a], [world.incr_a]),
                         ([b['id'] for b in full],
                          [b['id'] for b in incremental]))
        # Empty values are not sent: the API refuses unknown arguments,
        # not missing ones.
        self.assertEqual(2, len(member.get('/v1/volumes', state='',
                                           server_id=None)['volumes']))
