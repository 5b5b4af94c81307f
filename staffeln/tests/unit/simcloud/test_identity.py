"""Keystone state: authentication, scoping, implied and inherited roles."""

import testtools

from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import state


def password(user, project=None, domain='Default'):
    auth = {'identity': {'methods': ['password'], 'password': {'user': {
        'name': user, 'domain': {'name': domain}, 'password': 'pw'}}}}
    if project:
        auth['scope'] = {'project': {'name': project,
                                     'domain': {'id': 'default'}}}
    return {'auth': auth}


class TestIdentity(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = state.Cloud()
        self.store = self.cloud.identity
        self.project = self.cloud.add_project('p1')

    def test_member_token_scoped_to_its_project(self):
        self.cloud.add_user('u', 'pw', roles={'p1': ['member']})
        token = self.store.authenticate(password('u', 'p1'))
        self.assertEqual(self.project.id, token.project_id)
        self.assertEqual(['member', 'reader'],
                         sorted(self.store.role_names(token)))
        self.assertIs(token, self.store.validate(token.id))

    def test_admin_implies_manager_member_reader(self):
        user = {'id': self.cloud.admin_user.id, 'password': 'secret'}
        body = {'auth': {
            'identity': {'methods': ['password'],
                         'password': {'user': user}},
            'scope': {'project': {'id': self.cloud.admin_project.id}}}}
        token = self.store.authenticate(body)
        self.assertEqual({'admin', 'manager', 'member', 'reader'},
                         set(self.store.role_names(token)))

    def test_no_role_no_scope(self):
        self.cloud.add_user('u', 'pw')
        self.assertRaises(errors.Unauthorized, self.store.authenticate,
                          password('u', 'p1'))
        unscoped = self.store.authenticate(password('u'))
        self.assertIsNone(unscoped.project_id)

    def test_inherited_role_reaches_later_projects(self):
        self.cloud.add_user('svc', 'pw', inherited_roles=['member'])
        later = self.cloud.add_project('later')
        token = self.store.authenticate(password('svc', 'later'))
        self.assertEqual(later.id, token.project_id)

    def test_bad_password_and_domain_name_case(self):
        self.cloud.add_user('u', 'pw', roles={'p1': ['member']})
        self.store.authenticate(password('u', domain='default'))
        body = password('u')
        body['auth']['identity']['password']['user']['password'] = 'no'
        self.assertRaises(errors.Unauthorized, self.store.authenticate,
                          body)

    def test_duplicate_project_name(self):
        self.assertRaises(errors.Conflict, self.cloud.add_project, 'p1')
