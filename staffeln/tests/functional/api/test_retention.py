"""Retention's preview and prune over HTTP, then the conductor deletes.

Twenty days of backups made by the real engine on the simulated cloud
(a full backup and two incrementals a chain, kept 14 days): the plan the
API shows is the conductor's, pruning releases what it deletes, and the
next retention run deletes those from Cinder, children first.
"""

import requests

from staffeln.db import states
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional.api import rest
from staffeln.tests.functional import db_fixture
from staffeln.tests.functional.retention import base

load_tests = base.load_tests


class TestRetentionApi(base.RetentionTestCase):

    scenarios = db_fixture.scenarios(('sqlite', 'postgresql'))

    def setUp(self):
        super().setUp()
        project = self.tenant('acme')
        self.volume_id = self.server(project, 'web').volume_ids[0]
        self.history(20)
        self.flags(auth_strategy='noauth', group='api')
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf,
                                                          self.clock))
        self.member = rest.persona(project.id, 'member', 'reader')
        self.reader = rest.persona(project.id, 'reader')
        self.other = rest.persona(rest.PROJECT_B, 'member', 'reader')

    def call(self, method, path, headers, **kwargs):
        return requests.request(method, self.api.url + path,
                                headers=headers, timeout=30, **kwargs)

    def test_preview_prune_then_the_conductor_deletes(self):
        preview = self.call('GET', '/v1/retention/preview?volume_id='
                            f'{self.volume_id}', self.reader)
        self.assertEqual(200, preview.status_code, preview.text)
        backups = preview.json()['backups']
        self.assertEqual(20, len(backups))
        tasks = self.by_id()
        due = {b['task_uuid'] for b in backups if b['action'] == 'delete'}
        self.assertEqual({tasks[i].uuid for i in range(1, 7)}, due)

        self.assertEqual(403, self.call(
            'POST', '/v1/retention/prune', self.reader,
            json={'volume_id': self.volume_id}).status_code)
        self.assertEqual(403, self.call(
            'POST', '/v1/retention/prune', self.other,
            json={'volume_id': self.volume_id}).status_code)
        pruned = self.call('POST', '/v1/retention/prune', self.member,
                           json={'volume_id': self.volume_id})
        self.assertEqual(202, pruned.status_code, pruned.text)
        self.assertEqual(due, {b['task_uuid']
                               for b in pruned.json()['released']})
        tasks = self.by_id()
        self.assertEqual([states.DELETING] * 6 + [states.AVAILABLE] * 14,
                         [tasks[i].status for i in range(1, 21)])

        result = self.retention()
        self.assertEqual([1, 2, 3, 4, 5, 6],
                         sorted(self.task_ids(result.deleted)))
        self.assertChildrenFirst(self.deleted_order())
        self.assertEqual({tasks[i].backup_id for i in range(7, 21)},
                         self.in_cinder())
        again = self.call('POST', '/v1/retention/prune', self.member,
                          json={'volume_id': self.volume_id})
        self.assertEqual([], again.json()['released'])

    def test_bad_input(self):
        for body in ({}, {'volume_id': 'x'},
                     {'volume_id': self.volume_id, 'project_id': 'p'},
                     {'colour': 'red'}):
            response = self.call('POST', '/v1/retention/prune',
                                 self.member, json=body)
            self.assertEqual(400, response.status_code, body)
        for query in ('volume_id=x', 'bogus=1', 'all_projects=maybe'):
            response = self.call('GET', f'/v1/retention/preview?{query}',
                                 self.member)
            self.assertEqual(400, response.status_code, query)
        self.assertEqual(403, self.call(
            'GET', '/v1/retention/preview?all_projects=true',
            self.member).status_code)
        self.assertEqual(401, self.call(
            'GET', '/v1/retention/preview', {}).status_code)
