"""Keystone: tokens, catalog, scoping, and the identity reads Staffeln uses."""

import openstack.exceptions
import requests

from staffeln.tests.functional.simcloud import base

PASSWORD_AUTH = {'auth': {'identity': {'methods': ['password'], 'password': {
    'user': {'name': 'admin', 'domain': {'name': 'Default'},
             'password': 'secret'}}},
    'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}}


class TestTokens(base.SimCloudTestCase):

    def test_password_token_has_catalog_roles_and_project(self):
        resp = requests.post(f'{self.sim.auth_url}/auth/tokens',
                             json=PASSWORD_AUTH, timeout=10)
        self.assertEqual(201, resp.status_code)
        self.assertTrue(resp.headers['X-Subject-Token'])
        token = resp.json()['token']
        self.assertEqual('admin', token['project']['name'])
        self.assertEqual({'admin', 'manager', 'member', 'reader'},
                         {r['name'] for r in token['roles']})
        self.assertTrue(token['expires_at'].endswith('Z'))
        by_type = {s['type']: s for s in token['catalog']}
        self.assertLessEqual({'identity', 'compute', 'block-storage',
                              'volumev3'}, set(by_type))
        for service in by_type.values():
            self.assertEqual(
                {'public', 'internal', 'admin'},
                {e['interface'] for e in service['endpoints']})
            self.assertEqual({'RegionOne'},
                             {e['region'] for e in service['endpoints']})
        self.assertEqual(f'{self.sim.url}/compute/v2.1',
                         by_type['compute']['endpoints'][0]['url'])
        self.assertEqual(
            f'{self.sim.url}/volume/v3/{token["project"]["id"]}',
            by_type['volumev3']['endpoints'][0]['url'])

    def test_sdk_connects_with_explicit_arguments(self):
        conn = self.tenant()
        self.assertEqual(self.project.id, conn.current_project_id)
        self.assertEqual(self.user.id, conn.current_user_id)
        self.assertEqual(1, self.calls('POST', '/identity/v3/auth/tokens'))

    def test_wrong_password_is_401(self):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {
            'user': {'name': 'admin', 'domain': {'id': 'default'},
                     'password': 'wrong'}}}}}
        resp = requests.post(f'{self.sim.auth_url}/auth/tokens', json=body,
                             timeout=10)
        self.assertEqual(401, resp.status_code)
        self.assertEqual(
            {'error': {'code': 401, 'title': 'Unauthorized', 'message':
                       'The request you have made requires authentication.'}},
            resp.json())

    def test_scoping_needs_a_role_in_the_project(self):
        conn = self.sim.connect(project='admin', user='tenant-user')
        error = self.assertRaises(openstack.exceptions.SDKException,
                                  conn.authorize)
        self.assertIn('(HTTP 401)', str(error))

    def test_inherited_domain_role_allows_scoping_to_every_project(self):
        self.cloud.add_user('svc', 'pw', inherited_roles=['member'])
        later = self.cloud.add_project('created-later')
        for name in ('tenant', later.name):
            conn = self.sim.connect(project=name, user='svc', password='pw')
            conn.authorize()
            self.assertEqual(self.cloud.project(name).id,
                             conn.current_project_id)

    def test_validate_token_like_keystonemiddleware(self):
        tenant_token = self.tenant().auth_token
        resp = self.raw(self.admin, 'identity', 'GET', '/auth/tokens',
                        headers={'X-Subject-Token': tenant_token})
        self.assertEqual(200, resp.status_code)
        self.assertEqual(tenant_token, resp.headers['X-Subject-Token'])
        self.assertEqual(self.project.id,
                         resp.json()['token']['project']['id'])
        resp = self.raw(self.admin, 'identity', 'GET', '/auth/tokens',
                        headers={'X-Subject-Token': 'gAAAAAbogus'})
        self.assertEqual(404, resp.status_code)
        self.assertEqual('Could not recognize Fernet token',
                         resp.json()['error']['message'])

    def test_services_refuse_a_missing_token(self):
        resp = requests.get(f'{self.sim.url}/compute/v2.1/servers',
                            timeout=10)
        self.assertEqual(401, resp.status_code)
        self.assertIn('Keystone uri=', resp.headers['WWW-Authenticate'])
        resp = requests.get(f'{self.sim.url}/volume/v3/backups',
                            headers={'X-Auth-Token': 'nope'}, timeout=10)
        self.assertEqual(401, resp.status_code)


class TestIdentityReads(base.SimCloudTestCase):

    def test_projects_and_users_with_email(self):
        projects = {p.name: p.id for p in self.admin.identity.projects()}
        self.assertEqual(self.project.id, projects['tenant'])
        users = {u.name: u for u in self.admin.identity.users()}
        self.assertEqual('tenant-user@example.org',
                         users['tenant-user'].email)
        user = self.admin.identity.get_user(self.user.id)
        self.assertEqual('tenant-user@example.org', user.email)

    def test_member_cannot_list_projects(self):
        resp = self.raw(self.tenant(), 'identity', 'GET', '/projects')
        self.assertEqual(403, resp.status_code)
        self.assertEqual('You are not authorized to perform the requested '
                         'action: identity:list_projects.',
                         resp.json()['error']['message'])

    def test_role_assignments_filters_and_names(self):
        svc = self.cloud.add_user('svc', 'pw', inherited_roles=['member'])
        direct = list(self.admin.identity.role_assignments(
            user_id=svc.id))
        self.assertEqual(1, len(direct))
        self.assertEqual('projects',
                         direct[0].scope['OS-INHERIT:inherited_to'])
        resp = self.raw(
            self.admin, 'identity', 'GET',
            f'/role_assignments?user.id={svc.id}&scope.project.id='
            f'{self.project.id}&effective&include_names')
        rows = resp.json()['role_assignments']
        self.assertEqual({'member', 'reader'},
                         {r['role']['name'] for r in rows})
        self.assertEqual({'tenant'},
                         {r['scope']['project']['name'] for r in rows})
        reader = next(r for r in rows if r['role']['name'] == 'reader')
        self.assertIn('/implies/', reader['links']['prior_role'])
