"""``/v1/backups`` over HTTP, on every database: chains, filters, pages,
and backups asked for now."""

import testscenarios

from staffeln.tests.functional.api import rest
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios


class TestBackups(rest.RestTestCase):

    scenarios = db_fixture.scenarios()

    def setUp(self):
        super().setUp()
        self.world = rest.World()

    def test_chain_type_and_policy(self):
        backups = self.get('/v1/backups', rest.READER_A)['backups']
        self.assertEqual([self.world.incr_a, self.world.full_a],
                         [b['id'] for b in backups])
        incr, full = backups
        self.assertEqual(('incremental', self.world.full_a, 1, True),
                         (incr['type'], incr['parent_id'], incr['depth'],
                          incr['on_demand']))
        self.assertEqual(('full', None, 0, False),
                         (full['type'], full['parent_id'], full['depth'],
                          full['on_demand']))
        self.assertEqual('default', full['policy'])
        self.assertEqual(('available', 2), (full['status'], full['size_gb']))
        shown = self.get(f'/v1/backups/{self.world.incr_a}',
                         rest.READER_A)['backup']
        self.assertEqual(incr, shown)

    def test_filters(self):
        def listed(query, headers=rest.ADMIN):
            return [b['id'] for b in
                    self.get(f'/v1/backups?{query}', headers)['backups']]
        self.assertEqual([self.world.full_a],
                         listed('type=full', rest.MEMBER_A))
        self.assertEqual([self.world.incr_a, self.world.full_a],
                         listed(f'volume_id={self.world.vol_a}'
                                f'&project_id={rest.PROJECT_A}'))
        self.assertEqual([self.world.full_b], listed(
            f'all_projects=true&server_id={self.world.server_b}'))
        self.assertEqual([self.world.incr_a, self.world.full_a], listed(
            'all_projects=true&since=2026-03-10T00:00:00Z'))
        self.assertEqual([self.world.full_b], listed(
            'all_projects=true&until=2026-03-10T00:00:00Z'))
        self.assertEqual([], listed('all_projects=true&status=deleting'))
        self.assertEqual([self.world.full_b, self.world.full_a,
                          self.world.incr_a], listed(
            'all_projects=true&sort_key=created_at&sort_dir=asc'))

    def test_pages(self):
        first = self.get('/v1/backups?all_projects=true&limit=2')['backups']
        rest_ = self.get(f'/v1/backups?all_projects=true&limit=2'
                         f'&marker={first[-1]["id"]}')['backups']
        self.assertEqual([self.world.incr_a, self.world.full_a,
                          self.world.full_b],
                         [b['id'] for b in first + rest_])

    def test_backup_now(self):
        answer = self.ok('POST', '/v1/backups', rest.MEMBER_A, 202,
                         json={'volume_id': self.world.vol_a})
        task, = answer['tasks']
        self.assertEqual((self.world.vol_a, 'incremental', 'queued'),
                         (task['volume_id'], task['type'], task['status']))
        listed = self.get(f'/v1/tasks/{task["uuid"]}', rest.READER_A)
        self.assertEqual('queued', listed['task']['status'])
        message = self.refused(409, 'POST', '/v1/backups', rest.MEMBER_A,
                               json={'volume_id': self.world.vol_a})
        self.assertIn('queued already', message)

    def test_backup_server_now_full(self):
        answer = self.ok('POST', '/v1/backups', rest.ADMIN, 202,
                         json={'server_id': self.world.server_b,
                               'full': True})
        self.assertEqual([(self.world.vol_b, 'full')],
                         [(t['volume_id'], t['type'])
                          for t in answer['tasks']])

    def test_bad_input(self):
        both = {'volume_id': self.world.vol_a,
                'server_id': self.world.vol_a}
        for body in ({}, {'volume_id': 'x'}, both,
                     {'volume_id': self.world.vol_a, 'full': 'yes'},
                     {'volume_id': self.world.vol_a, 'colour': 'red'},
                     {'volume_id': self.world.vol_a, 'policy': 'nope'},
                     [1, 2], 'null'):
            self.refused(400, 'POST', '/v1/backups', rest.MEMBER_A,
                         json=body)
        self.refused(400, 'POST', '/v1/backups', rest.MEMBER_A,
                     data=b'{"volume_id": ', headers_json=True)
        self.refused(415, 'POST', '/v1/backups', rest.MEMBER_A, data=b'x')
        # A body over [api] max_request_body_size is not read.
        self.assertIn('larger than 65536 bytes', self.refused(
            400, 'POST', '/v1/backups', rest.MEMBER_A, headers_json=True,
            data=b'{"a": "' + b'x' * 100_000 + b'"}'))
        self.refused(404, 'POST', '/v1/backups', rest.MEMBER_A,
                     json={'volume_id': rest.ids(1, 'f')[0]})
        for query in ('type=diff', 'status=queued', 'since=yesterday',
                      'since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z',
                      'marker=nope', 'sort_key=id', 'volume=x'):
            self.refused(400, 'GET', f'/v1/backups?{query}', rest.MEMBER_A)
        self.refused(404, 'GET', f'/v1/backups/{rest.ids(1, "f")[0]}',
                     rest.MEMBER_A)

    def test_without_openstack_access_nothing_is_recorded(self):
        # No [openstack] credentials in these tests.
        self.refused(503, 'POST', '/v1/restores', rest.MEMBER_A,
                     json={'backup_id': self.world.full_a})
        self.assertEqual([], self.get('/v1/restores', rest.MEMBER_A)
                         ['restores'])
        self.refused(503, 'GET', f'/v1/backups/{self.world.full_a}'
                     f'/export_record', rest.ADMIN)
