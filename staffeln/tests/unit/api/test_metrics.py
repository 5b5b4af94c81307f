"""The metric families of a database snapshot, and who may scrape them."""

import datetime
from unittest import mock

import fixtures
from keystonemiddleware import auth_token
from prometheus_client import exposition
from prometheus_client import parser
from prometheus_client import registry
from sqlalchemy import exc as sa_exc

from staffeln.api import app as api_app
from staffeln.api import metrics_families
from staffeln.common import clock
from staffeln.db import api as db_api
from staffeln.db import api_metrics
from staffeln.db import states
from staffeln.tests import base

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)


def volume(**values) -> api_metrics.VolumeRow:
    row = dict(project_id='p1', volume_id='v1', volume_name='data',
               server_id='s1', server_name='web', policies=['default'],
               interval_s=6 * 3600, first_seen=T0, last_good=None)
    row.update(values)
    return api_metrics.VolumeRow(**row)


def snapshot(**values) -> api_metrics.Snapshot:
    empty = api_metrics.Histogram((), [], 0, 0.0)
    snap = dict(volumes=[], tasks={}, started={}, failures={},
                durations=empty, sizes=empty, refused={}, stored={},
                digests=[])
    snap.update(values)
    return api_metrics.Snapshot(**snap)


class TestRules(base.TestCase):

    def test_breach_needs_more_than_interval_plus_grace(self):
        row = volume(last_good=T0)
        grace = datetime.timedelta(minutes=30)
        edge = T0 + 6 * HOUR + grace
        self.assertFalse(metrics_families.rpo_breached(row, edge, grace))
        self.assertTrue(metrics_families.rpo_breached(
            row, edge + datetime.timedelta(seconds=1), grace))

    def test_a_new_volume_counts_from_when_it_was_first_seen(self):
        row = volume(first_seen=T0)
        self.assertFalse(metrics_families.rpo_breached(
            row, T0 + 6 * HOUR, datetime.timedelta(0)))
        self.assertTrue(metrics_families.rpo_breached(
            row, T0 + 7 * HOUR, datetime.timedelta(0)))

    def test_failure_reasons(self):
        for text, reason in (
                ('timed out: still creating after 1 day', 'timeout'),
                ('the backup vanished from Cinder', 'vanished'),
                ('Cinder: disk on fire', 'cinder_error'),
                ('backup went to status deleted', 'backup_status'),
                ('no backup after 3 attempts: boom',
                 'no_backup_after_retries'),
                ('Backup quota exceeded', 'quota'),
                ('something else', 'other'),
                (None, 'other')):
            self.assertEqual(reason, metrics_families.failure_reason(text))


class TestFamilies(base.TestCase):

    def text(self, snap, now=T0) -> dict:
        class Collector(registry.Collector):
            def collect(inner):
                return metrics_families.families(snap, now, self.conf)
        reg = registry.CollectorRegistry(auto_describe=False)
        reg.register(Collector())
        text = exposition.generate_latest(reg).decode()
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for f in parser.text_string_to_metric_families(text)
                for s in f.samples}

    def test_counters_and_histograms(self):
        snap = snapshot(
            tasks={('p1', states.AVAILABLE): 2, ('p1', states.DELETED): 1,
                   ('p1', states.FAILED): 2, ('p2', states.CREATING): 1,
                   ('p2', states.QUEUED): 3},
            started={'p1': 5, 'p2': 1},
            failures={('p1', 'Cinder: a'): 1, ('p1', 'Cinder: b'): 1},
            durations=api_metrics.Histogram((60, 3600), [1, 2], 3, 7630.0),
            sizes=api_metrics.Histogram((1, 10), [1, 1], 2, 21.0))
        found = self.text(snap)
        self.assertEqual(3, found[('staffeln_backups_succeeded_total',
                                   (('project', 'p1'),))])
        self.assertEqual(2, found[('staffeln_backups_failed_total',
                                   (('project', 'p1'),
                                    ('reason', 'cinder_error')))])
        self.assertEqual(3, found[('staffeln_backups_queued', ())])
        self.assertEqual(1, found[('staffeln_backups_in_flight',
                                   (('project', 'p2'),))])
        self.assertEqual(1, found[('staffeln_retention_deletions_total',
                                   (('project', 'p1'),))])
        self.assertEqual(1, found[('staffeln_backup_duration_seconds_bucket',
                                   (('le', '60.0'),))])
        self.assertEqual(3, found[('staffeln_backup_duration_seconds_count',
                                   ())])
        self.assertEqual(2, found[('staffeln_backup_size_bytes_count', ())])
        self.assertEqual(21 * 1024 ** 3,
                         found[('staffeln_backup_size_bytes_sum', ())])
        self.assertEqual(1, found[('staffeln_backup_size_bytes_bucket',
                                   (('le', '1.073741824e+09'),))])
        self.assertEqual(0, found[('staffeln_tasks',
                                   (('state', states.STARTING),))])

    def test_per_volume_series_follow_the_option(self):
        snap = snapshot(volumes=[volume(last_good=T0),
                                 volume(volume_id='v2', last_good=None)])
        found = self.text(snap, T0 + 8 * HOUR)
        labels = (('policy', 'default'), ('project', 'p1'),
                  ('server', 'web'), ('volume', 'v1'))
        self.assertEqual(T0.timestamp(), found[(
            'staffeln_volume_last_good_backup_timestamp_seconds', labels)])
        self.assertEqual(1, found[('staffeln_volume_rpo_breached', labels)])
        self.assertEqual(2, found[('staffeln_project_rpo_breached_volumes',
                                   (('project', 'p1'),))])
        self.flags(group='metrics', per_volume_series=False)
        found = self.text(snap, T0 + 8 * HOUR)
        self.assertFalse([n for n, _ in found if n.startswith(
            'staffeln_volume_')])
        self.assertEqual(2, found[('staffeln_project_protected_volumes',
                                   (('project', 'p1'),))])


class TestRoute(base.TestCase):

    def setUp(self):
        super().setUp()
        self.flags(auth_strategy='noauth', group='api')
        self.flags(backend_url='', group='coordination')
        self.snapshot = self.useFixture(fixtures.MockPatchObject(
            api_metrics, 'snapshot', return_value=snapshot())).mock

    def get(self, **headers):
        app = api_app.create_app(self.conf)
        app.config['STAFFELN_CLOCK'] = clock.ManualClock(T0)
        return app.test_client().get('/metrics', headers=headers)

    def test_public_without_a_token(self):
        response = self.get()
        self.assertEqual(200, response.status_code)
        self.assertIn(b'staffeln_tasks{state="queued"} 0.0', response.data)

    def test_no_keystone_token_is_asked_for(self):
        self.flags(auth_strategy='keystone', group='api')
        with mock.patch.object(auth_token.AuthProtocol, '__call__') as auth:
            response = self.get()
            auth.assert_not_called()
        self.assertEqual(200, response.status_code)

    def test_bearer_token(self):
        self.flags(group='metrics', bearer_token='s3cret')
        self.assertEqual(401, self.get().status_code)
        self.assertEqual(401, self.get(
            Authorization='Basic czNjcmV0').status_code)
        self.assertEqual(200, self.get(
            Authorization='Bearer s3cret').status_code)
        self.snapshot.assert_called_once()

    def test_disabled(self):
        self.flags(group='metrics', enabled=False)
        self.assertEqual(404, self.get().status_code)
        self.snapshot.assert_not_called()

    def test_database_down_is_503(self):
        self.snapshot.side_effect = db_api.fail_closed(self._fail)
        self.assertEqual(503, self.get().status_code)

    @staticmethod
    def _fail(context, *bounds):
        raise sa_exc.OperationalError('SELECT 1', {}, Exception('gone'))
