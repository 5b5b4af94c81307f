"""``/v1/policies`` and ``/v1/projects/{id}/settings`` over HTTP."""

import testscenarios

from staffeln.tests.functional.api import rest
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios
A, B = rest.PROJECT_A, rest.PROJECT_B


class TestPolicies(rest.RestTestCase):

    scenarios = db_fixture.scenarios()

    def create(self, **body):
        return self.ok('POST', '/v1/policies', rest.ADMIN, 201,
                       json=body)['policy']

    def names(self, headers, query=''):
        return [p['name'] for p in
                self.get(f'/v1/policies{query}', headers)['policies']]

    def test_admin_crud_and_tenants_see_granted(self):
        hourly = self.create(name='hourly', schedule='1h', retention='2w',
                             keep={'daily': 7}, projects=[A])
        self.assertEqual(([A], 14 * 86400, {'daily': 7}),
                         (hourly['projects'], hourly['retention_s'],
                          hourly['keep']))
        self.create(name='nightly', schedule='daily at 02:00', public=True)
        self.assertEqual(['default', 'hourly', 'nightly'],
                         self.names(rest.ADMIN))
        # The default policy is public.
        self.assertEqual(['default', 'hourly', 'nightly'],
                         self.names(rest.READER_A))
        self.assertEqual(['default', 'nightly'], self.names(rest.MEMBER_B))
        shown = self.get('/v1/policies/hourly', rest.READER_A)['policy']
        self.assertNotIn('projects', shown)
        self.refused(404, 'GET', '/v1/policies/hourly', rest.MEMBER_B)

        changed = self.ok('PATCH', '/v1/policies/hourly', rest.ADMIN,
                          json={'grant': [B], 'revoke': [A],
                                'description': 'every hour'})['policy']
        self.assertEqual(([B], 'every hour'),
                         (changed['projects'], changed['description']))
        self.assertEqual(['default', 'hourly', 'nightly'],
                         self.names(rest.MEMBER_B))
        self.ok('DELETE', '/v1/policies/hourly', rest.ADMIN, 204)
        self.assertEqual(['default', 'nightly'], self.names(rest.ADMIN))
        self.refused(404, 'GET', '/v1/policies/hourly', rest.ADMIN)

    def test_refusals(self):
        self.create(name='hourly', schedule='1h')
        self.refused(409, 'POST', '/v1/policies', rest.ADMIN,
                     json={'name': 'hourly', 'schedule': '2h'})
        for body in ({'name': 'x'}, {'schedule': '1h'},
                     {'name': 'bad name!', 'schedule': '1h'},
                     {'name': 'p', 'schedule': 'sometimes'},
                     {'name': 'p', 'schedule': '1h', 'retention': '-1d'},
                     {'name': 'p', 'schedule': '1h', 'colour': 'red'},
                     {'name': 'p', 'schedule': '1h', 'projects': 'a'},
                     {'name': 5, 'schedule': '1h'}):
            self.refused(400, 'POST', '/v1/policies', rest.ADMIN, json=body)
        self.refused(409, 'DELETE', '/v1/policies/default', rest.ADMIN)
        self.refused(404, 'PATCH', '/v1/policies/nope', rest.ADMIN,
                     json={'description': 'x'})
        self.refused(400, 'GET', '/v1/policies/' + 'x' * 65, rest.ADMIN)


class TestProjectSettings(rest.RestTestCase):

    def test_member_pauses_and_resumes(self):
        path = f'/v1/projects/{A}/settings'
        settings = self.get(path, rest.READER_A)['settings']
        self.assertEqual({'project_id': A, 'default_policy': None,
                          'global_default_policy': 'default',
                          'paused': False, 'digest_recipients': []},
                         settings)
        paused = self.ok('PATCH', path, rest.MEMBER_A,
                         json={'paused': True,
                               'digest_recipients': ['ops@example.org']})
        self.assertEqual((True, ['ops@example.org']),
                         (paused['settings']['paused'],
                          paused['settings']['digest_recipients']))
        resumed = self.ok('PATCH', path, rest.MEMBER_A,
                          json={'paused': False, 'default_policy': 'default'})
        self.assertEqual((False, 'default'),
                         (resumed['settings']['paused'],
                          resumed['settings']['default_policy']))

    def test_admin_lists_every_project_s_settings(self):
        self.assertEqual([], self.get('/v1/projects/settings')['settings'])
        self.ok('PATCH', f'/v1/projects/{B}/settings', rest.MEMBER_B,
                json={'digest_recipients': ['b@example.org']})
        self.ok('PATCH', f'/v1/projects/{A}/settings', rest.MEMBER_A,
                json={'paused': True})
        listed = self.get('/v1/projects/settings')['settings']
        self.assertEqual([(A, True, []), (B, False, ['b@example.org'])],
                         [(s['project_id'], s['paused'],
                           s['digest_recipients']) for s in listed])
        self.refused(403, 'GET', '/v1/projects/settings', rest.MEMBER_A)
        self.refused(400, 'GET', '/v1/projects/settings?all_projects=1',
                     rest.ADMIN)

    def test_refusals(self):
        path = f'/v1/projects/{A}/settings'
        for body in ({}, {'paused': 'yes'}, {'digest_recipients': 'a@b'},
                     {'digest_recipients': ['not an address']},
                     {'default_policy': 7}, {'colour': 'red'}):
            self.refused(400, 'PATCH', path, rest.MEMBER_A, json=body)
        self.refused(404, 'PATCH', path, rest.MEMBER_A,
                     json={'default_policy': 'nope'})
        self.refused(400, 'GET', '/v1/projects/' + 'x' * 65 + '/settings',
                     rest.ADMIN)


class TestServerSettings(rest.RestTestCase):

    def setUp(self):
        super().setUp()
        self.world = rest.World()

    def test_member_pauses_and_resumes_a_server(self):
        path = f'/v1/servers/{self.world.server_a}/settings'
        self.assertEqual({'server_id': self.world.server_a, 'project_id': A,
                          'paused': False},
                         self.get(path, rest.READER_A)['settings'])
        paused = self.ok('PATCH', path, rest.MEMBER_A, json={'paused': True})
        self.assertTrue(paused['settings']['paused'])
        self.assertTrue(self.get(path, rest.READER_A)['settings']['paused'])
        resumed = self.ok('PATCH', path, rest.MEMBER_A,
                          json={'paused': False})
        self.assertFalse(resumed['settings']['paused'])

    def test_refusals(self):
        path = f'/v1/servers/{self.world.server_a}/settings'
        for body in ({}, {'paused': 'yes'}, {'paused': True, 'x': 1}):
            self.refused(400, 'PATCH', path, rest.MEMBER_A, json=body)
        self.refused(400, 'GET', '/v1/servers/nope/settings', rest.MEMBER_A)
        unknown = f'/v1/servers/{rest.ids(1, "f")[0]}/settings'
        self.refused(404, 'GET', unknown, rest.MEMBER_A)
        self.refused(404, 'PATCH', unknown, rest.ADMIN,
                     json={'paused': True})
