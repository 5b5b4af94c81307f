import os

import fixtures
from oslo_policy import generator
from oslo_policy import policy as oslo_policy

from staffeln.api import authz
from staffeln import policies
from staffeln.tests import base


class TestRules(base.TestCase):

    def test_every_api_rule_is_documented(self):
        rules = list(policies.list_rules())
        names = [rule.name for rule in rules]
        self.assertEqual(len(names), len(set(names)))
        for rule in rules:
            if rule.name.startswith('staffeln:'):
                self.assertIsInstance(rule, oslo_policy.DocumentedRuleDefault)
                self.assertTrue(rule.operations)
                self.assertEqual(['project'], rule.scope_types)

    def test_sample_generator(self):
        # oslopolicy-sample-generator --namespace staffeln
        out = os.path.join(self.useFixture(fixtures.TempDir()).path,
                           'policy.yaml')
        generator._generate_sample(['staffeln'], out, 'yaml')
        with open(out) as f:
            sample = f.read()
        for rule in policies.list_rules():
            self.assertIn(f'"{rule.name}"', sample)

    def test_enforcer_entry_point(self):
        fresh = self.useFixture(fixtures.MockPatch(
            'staffeln.conf.CONF', self.conf)).mock
        enforcer = authz.get_enforcer()
        self.assertIs(fresh, enforcer.conf)
        self.assertIn('staffeln:task:list', enforcer.registered_rules)


class TestAuthorize(base.TestCase):

    def setUp(self):
        super().setUp()
        self.enforcer = authz.make_enforcer(self.conf)

    def creds(self, project_id, *roles):
        return {'project_id': project_id, 'roles': list(roles),
                'user_id': 'u', 'system_scope': None}

    def test_project_reader(self):
        target = {'project_id': 'a'}
        authz.authorize(self.enforcer, 'staffeln:task:list', target,
                        self.creds('a', 'reader'))
        for creds in (self.creds('b', 'reader'), self.creds('a', 'other'),
                      self.creds('a')):
            self.assertRaises(authz.errors.Forbidden, authz.authorize,
                              self.enforcer, 'staffeln:task:list', target,
                              creds)

    def test_admin(self):
        creds = self.creds('x', 'admin')
        for rule in ('staffeln:task:list', 'staffeln:task:get',
                     'staffeln:task:list:all_projects'):
            authz.authorize(self.enforcer, rule, {'project_id': 'a'}, creds)
        self.assertRaises(authz.errors.Forbidden, authz.authorize,
                          self.enforcer, 'staffeln:task:list:all_projects',
                          {}, self.creds('a', 'member', 'reader'))

    def test_policy_file_overrides(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'policy.yaml')
        with open(path, 'w') as f:
            f.write('"staffeln:task:list": "!"\n')
        self.flags(policy_file=path, group='oslo_policy')
        self.assertRaises(authz.errors.Forbidden, authz.authorize,
                          authz.make_enforcer(self.conf),
                          'staffeln:task:list', {'project_id': 'a'},
                          self.creds('a', 'admin'))
