"""``/v1/volumes`` and ``/v1/stats`` over HTTP, on every database."""

import testscenarios

from staffeln.common import context as staffeln_context
from staffeln.db import api_drills
from staffeln.db import api_policies
from staffeln.db import api_quotas
from staffeln.rules import forecast
from staffeln.tests.functional.api import rest
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios

UNKNOWN_QUOTA = dict.fromkeys((
    'quota_backups_used', 'quota_backups_limit',
    'quota_backup_gigabytes_used', 'quota_backup_gigabytes_limit',
    'quota_read_at'))
UNKNOWN_FORECAST = dict.fromkeys((
    'quota_backups_forecast', 'quota_backup_gigabytes_forecast',
    'quota_forecast_at'))


class TestVolumes(rest.RestTestCase):

    scenarios = db_fixture.scenarios()

    def setUp(self):
        super().setUp()
        self.world = rest.World()

    def test_reader_sees_own_volumes_with_protection(self):
        volumes = self.get('/v1/volumes', rest.READER_A)['volumes']
        self.assertEqual([self.world.vol_a, self.world.skipped_a],
                         [v['id'] for v in volumes])
        vol_a, skipped = volumes
        self.assertEqual('protected', vol_a['state'])
        self.assertEqual(self.world.incr_a, vol_a['last_backup']['id'])
        self.assertEqual('incremental', vol_a['last_backup']['type'])
        self.assertEqual('met', vol_a['rpo']['state'])
        self.assertEqual(3600, vol_a['rpo']['age_s'])
        self.assertEqual([{'name': 'default',
                           'next_due_at': '2026-03-11T08:00:00+00:00'}],
                         vol_a['policies'])
        self.assertEqual('2026-03-11T08:00:00+00:00', vol_a['next_due_at'])
        self.assertEqual('skipped', skipped['state'])
        self.assertEqual('volume metadata backup_skip=yes',
                         skipped['skip_reason'])
        self.assertIsNone(skipped['rpo']['state'])

    def test_show_and_rpo_breach(self):
        volume = self.get(f'/v1/volumes/{self.world.vol_b}',
                          rest.MEMBER_B)['volume']
        self.assertEqual('breached', volume['rpo']['state'])
        self.assertEqual(rest.PROJECT_B, volume['project_id'])

    def test_last_drill(self):
        ctx = staffeln_context.get_admin_context()
        drill = api_drills.create_drill(ctx, {
            'project_id': rest.PROJECT_A, 'volume_id': self.world.vol_a,
            'backup_id': self.world.incr_a, 'size_gb': 1,
            'sent_at': rest.NOW}, rest.NOW)
        api_drills.update_drill(
            ctx, drill.id, api_drills.REQUESTED, rest.NOW,
            status=api_drills.DELETING, outcome=api_drills.FAILED,
            reason='the restored volume is error', checked_at=rest.NOW)

        volume = self.get(f'/v1/volumes/{self.world.vol_a}',
                          rest.READER_A)['volume']
        listed = self.get('/v1/volumes', rest.READER_A)['volumes']

        self.assertEqual({
            'id': drill.uuid, 'backup_id': self.world.incr_a,
            'status': 'deleting', 'outcome': 'failed',
            'reason': 'the restored volume is error', 'rto_s': None,
            'created_at': '2026-03-10T12:00:00+00:00',
            'checked_at': '2026-03-10T12:00:00+00:00'}, volume['last_drill'])
        self.assertEqual([volume['last_drill'], None],
                         [v['last_drill'] for v in listed])

    def test_admin_filters_and_sorts(self):
        every = self.get('/v1/volumes?all_projects=true')['volumes']
        self.assertEqual(3, len(every))
        skipped = self.get('/v1/volumes?all_projects=1&state=skipped')
        self.assertEqual([self.world.skipped_a],
                         [v['id'] for v in skipped['volumes']])
        on_b = self.get(f'/v1/volumes?all_projects=true'
                        f'&server_id={self.world.server_b}')['volumes']
        self.assertEqual([self.world.vol_b], [v['id'] for v in on_b])
        of_b = self.get(f'/v1/volumes?project_id={rest.PROJECT_B}')
        self.assertEqual([self.world.vol_b],
                         [v['id'] for v in of_b['volumes']])
        by_id_desc = self.get('/v1/volumes?all_projects=true&sort_key=id'
                              '&sort_dir=desc')['volumes']
        self.assertEqual([v['id'] for v in every][::-1],
                         [v['id'] for v in by_id_desc])

    def test_filter_by_policy(self):
        self.ok('POST', '/v1/policies', rest.ADMIN, 201, json={
            'name': 'nightly', 'schedule': 'daily at 02:00',
            'public': True})
        nightly = api_policies.get_policy(self.world.ctx, 'nightly')
        api_policies.save_volume_policies(self.world.ctx, {
            self.world.vol_b: [(self.world.default.id, rest.NOW, 'due'),
                               (nightly.id, rest.NOW, 'due')]})

        def listed(query, headers=rest.ADMIN):
            return [v['id'] for v in self.get(
                f'/v1/volumes?{query}', headers)['volumes']]

        self.assertEqual([self.world.vol_b],
                         listed('all_projects=true&policy=nightly'))
        self.assertEqual([self.world.vol_a, self.world.vol_b],
                         listed('all_projects=true&policy=default'))
        # Combined with the other filters, and within the caller's project.
        self.assertEqual([], listed('policy=nightly', rest.READER_A))
        self.assertEqual([self.world.vol_b], listed(
            f'policy=nightly&server_id={self.world.server_b}',
            rest.MEMBER_B))
        self.assertEqual([], listed('all_projects=true&policy=weekly'))
        self.refused(400, 'GET', '/v1/volumes?policy=' + 'x' * 65,
                     rest.ADMIN)

    def test_pages_by_marker(self):
        seen, marker = [], None
        while True:
            path = '/v1/volumes?all_projects=true&limit=2&sort_key=project_id'
            if marker:
                path += f'&marker={marker}'
            page = self.get(path)['volumes']
            if not page:
                break
            seen.extend(v['id'] for v in page)
            marker = page[-1]['id']
        self.assertEqual([self.world.vol_a, self.world.skipped_a,
                          self.world.vol_b], seen)

    def test_failing_and_over_quota(self):
        self.world.task(self.world.vol_b, rest.PROJECT_B, 'incremental',
                        rest.NOW - rest.HOUR, status='failed',
                        backup_id=None)
        failing = self.get('/v1/volumes?all_projects=true&state=failing')
        self.assertEqual([self.world.vol_b],
                         [v['id'] for v in failing['volumes']])
        self.world.task(self.world.vol_a, rest.PROJECT_A, 'incremental',
                        rest.NOW, status='queued', backup_id=None,
                        reason='quota exceeded: backups limit is 10')
        volume = self.get(f'/v1/volumes/{self.world.vol_a}')['volume']
        self.assertEqual('over_quota', volume['state'])
        over = self.get('/v1/volumes?all_projects=true&state=over_quota')
        self.assertEqual([self.world.vol_a],
                         [v['id'] for v in over['volumes']])
        protected = self.get('/v1/volumes?all_projects=true'
                             '&state=protected')['volumes']
        self.assertEqual([], protected)

    def test_stats(self):
        own = self.get('/v1/stats', rest.READER_A)['stats']
        self.assertEqual([rest.PROJECT_A],
                         [p['project_id'] for p in own['projects']])
        self.assertEqual({'volumes': 2, 'volumes_protected': 1,
                          'volumes_skipped': 1, 'backups': 2,
                          'backup_gigabytes': 4, 'failures_last_day': 0,
                          'rpo_breaches': 0, **UNKNOWN_QUOTA,
                          **UNKNOWN_FORECAST},
                         own['total'])
        # No cloud to ask here and no quota recorded by a conductor: the
        # quota is unknown, not an error.
        self.assertIsNone(own['quota'])
        every = self.get('/v1/stats?all_projects=true')['stats']
        self.assertEqual(3, every['total']['volumes'])
        self.assertEqual(1, every['total']['rpo_breaches'])
        self.assertEqual(UNKNOWN_QUOTA, {
            k: v for k, v in every['total'].items() if k in UNKNOWN_QUOTA})

    def test_stats_give_the_quota_use_the_conductor_read(self):
        read_at = rest.NOW - rest.HOUR
        api_quotas.record_quota(self.world.ctx, rest.PROJECT_A, {
            'backups': {'limit': 10, 'in_use': 2, 'reserved': 1},
            'backup_gigabytes': {'limit': 100, 'in_use': 4, 'reserved': 0},
        }, read_at)
        api_quotas.record_quota(self.world.ctx, rest.PROJECT_B, {
            'backups': {'limit': 5, 'in_use': 1, 'reserved': 0},
            'backup_gigabytes': {'limit': -1, 'in_use': 2, 'reserved': 0},
        }, rest.NOW)
        # A project without volumes is not among the statistics.
        api_quotas.record_quota(self.world.ctx, 'eeee', {
            'backups': {'limit': 50, 'in_use': 40, 'reserved': 0},
            'backup_gigabytes': {'limit': 500, 'in_use': 400,
                                 'reserved': 0}}, rest.NOW)
        every = self.get('/v1/stats?all_projects=true')['stats']
        a, b = every['projects']
        self.assertEqual({'quota_backups_used': 3, 'quota_backups_limit': 10,
                          'quota_backup_gigabytes_used': 4,
                          'quota_backup_gigabytes_limit': 100,
                          'quota_read_at': read_at.isoformat()},
                         {k: a[k] for k in UNKNOWN_QUOTA})
        self.assertEqual((1, -1), (b['quota_backups_used'],
                                   b['quota_backup_gigabytes_limit']))
        # Overall: the use summed; a limit unlimited when one project's
        # is; read at the oldest reading.
        self.assertEqual({'quota_backups_used': 4, 'quota_backups_limit': 15,
                          'quota_backup_gigabytes_used': 6,
                          'quota_backup_gigabytes_limit': -1,
                          'quota_read_at': read_at.isoformat()},
                         {k: every['total'][k] for k in UNKNOWN_QUOTA})
        # One project's: its own reading, when Cinder cannot be asked.
        own = self.get('/v1/stats', rest.READER_A)['stats']
        self.assertIsNone(own['quota'])
        self.assertEqual(3, own['total']['quota_backups_used'])
        self.assertEqual(3, own['projects'][0]['quota_backups_used'])

    def test_stats_give_the_forecast_the_conductor_made(self):
        made_at = rest.NOW - rest.HOUR
        api_quotas.record_forecasts(self.world.ctx, {
            rest.PROJECT_A: forecast.Need(backups=14, gigabytes=28),
            rest.PROJECT_B: forecast.Need(backups=7, gigabytes=70)},
            made_at)
        api_quotas.record_forecasts(self.world.ctx, {
            rest.PROJECT_B: forecast.Need(backups=8, gigabytes=80)},
            rest.NOW)
        every = self.get('/v1/stats?all_projects=true')['stats']
        a, b = every['projects']
        self.assertEqual({'quota_backups_forecast': 14,
                          'quota_backup_gigabytes_forecast': 28,
                          'quota_forecast_at': made_at.isoformat()},
                         {k: a[k] for k in UNKNOWN_FORECAST})
        self.assertEqual(8, b['quota_backups_forecast'])
        self.assertEqual({'quota_backups_forecast': 22,
                          'quota_backup_gigabytes_forecast': 108,
                          'quota_forecast_at': made_at.isoformat()},
                         {k: every['total'][k] for k in UNKNOWN_FORECAST})
        # Known without a quota reading, and in one project's statistics.
        self.assertEqual(UNKNOWN_QUOTA, {k: a[k] for k in UNKNOWN_QUOTA})
        own = self.get('/v1/stats', rest.READER_A)['stats']
        self.assertEqual(14, own['total']['quota_backups_forecast'])

    def test_bad_queries(self):
        for path in ('/v1/volumes?limit=-1', '/v1/volumes?limit=0',
                     '/v1/volumes?limit=1001', '/v1/volumes?marker=x',
                     '/v1/volumes?sort_key=secret', '/v1/volumes?sort_dir=up',
                     '/v1/volumes?state=happy', '/v1/volumes?colour=red',
                     '/v1/volumes?server_id=nope', '/v1/volumes/not-a-uuid',
                     f'/v1/volumes?marker={rest.ids(1, "f")[0]}',
                     '/v1/stats?bogus=1', '/v1/volumes?limit=1&limit=2'):
            self.refused(400, 'GET', path, rest.MEMBER_A)
        self.refused(404, 'GET', f'/v1/volumes/{rest.ids(1, "f")[0]}',
                     rest.ADMIN)
