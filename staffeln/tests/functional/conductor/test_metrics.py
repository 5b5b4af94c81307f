"""``GET /metrics`` scraped over HTTP after clock-driven conductor cycles.

The conductor runs against the simulated cloud and a real database; the
API, served for real on loopback, reads the same database at each scrape.
"""

import datetime

from prometheus_client import parser
import requests

from staffeln.cloud import client as cloud_client
from staffeln.conductor import manager as manager_mod
from staffeln.conductor import report
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional.conductor import base

load_tests = base.load_tests

HOUR = datetime.timedelta(hours=1)
INTERVAL = 6 * HOUR
#: The conductor's cycle in these tests.
PERIOD = HOUR


def samples(text: str) -> dict:
    """(name, frozenset of labels) -> value, from a scrape."""
    found = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = \
                sample.value
    return found


def value(found: dict, name: str, **labels) -> float | None:
    return found.get((name, frozenset(labels.items())))


def total(found: dict, name: str, **labels) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(v for (n, ls), v in found.items()
               if n == name and set(labels.items()) <= ls)


class TestMetrics(base.ConductorTestCase):

    def setUp(self):
        super().setUp()
        self.flags(group='conductor', backup_interval='6h')
        self.flags(group='notification', out_of_policy_grace='30min')
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf))
        self.api.app.config['STAFFELN_CLOCK'] = self.clock
        self.acme = self.tenant('acme')
        self.server_ = self.server(self.acme, 'web')
        self.volume_id = self.server_.volume_ids[0]
        self.manager = self.make_manager()
        self.start = self.clock.now()

    def scrape(self, headers=None) -> requests.Response:
        return requests.get(self.api.url + '/metrics', headers=headers,
                            timeout=30)

    def metrics(self) -> dict:
        response = self.scrape()
        self.assertEqual(200, response.status_code, response.text)
        self.assertTrue(response.headers['Content-Type'].startswith(
            'text/plain; version='))
        return samples(response.text)

    def cycle(self, number: int) -> None:
        """The conductor's cycle ``number`` periods after the first."""
        self.clock.set(max(self.clock.now(), self.start + number * PERIOD))
        self.manager.run_once(self.context)

    def labels(self) -> dict:
        return dict(project=self.acme.id, volume=self.volume_id,
                    server='web', policy='default')

    def test_a_failing_volume_breaches_one_period_after_its_interval(self):
        self.cycle(0)
        [good] = self.tasks(status=states.AVAILABLE)
        found = self.metrics()
        self.assertEqual(good.finished_at.timestamp(), value(
            found, 'staffeln_volume_last_good_backup_timestamp_seconds',
            **self.labels()))
        self.assertEqual(INTERVAL.total_seconds(), value(
            found, 'staffeln_volume_backup_interval_seconds',
            **self.labels()))
        # Every backup from now on fails.
        self.sim.cloud.fail_next_backups(self.volume_id, count=100,
                                         reason='disk on fire')
        breached = []
        for number in range(1, 10):
            self.cycle(number)
            found = self.metrics()
            breached.append(value(found, 'staffeln_volume_rpo_breached',
                                  **self.labels()))
            self.assertEqual(breached[-1], value(
                found, 'staffeln_project_rpo_breached_volumes',
                project=self.acme.id))
        # The interval (6 periods) plus the grace (half a period) have
        # passed at the 7th cycle, not before.
        self.assertEqual([0] * 6 + [1] * 3, breached)
        failed = self.tasks(status=(states.FAILED, states.CLEANUP))
        self.assertNotEqual([], failed)
        self.assertEqual(len(failed), value(
            found, 'staffeln_backups_failed_total', project=self.acme.id,
            reason='cinder_error'))
        # The last good backup has not moved.
        self.assertEqual(good.finished_at.timestamp(), value(
            found, 'staffeln_volume_last_good_backup_timestamp_seconds',
            **self.labels()))

    def test_a_breach_recovers_with_the_next_good_backup(self):
        self.cycle(0)
        self.sim.cloud.fail_next_backups(self.volume_id, count=2)
        number = 0
        while not value(self.metrics(), 'staffeln_volume_rpo_breached',
                        **self.labels()):
            number += 1
            self.cycle(number)
        self.assertEqual(7, number)
        # Cycles go on; the volume is due at each one until it gets a good
        # backup, which ends the breach at once.
        while len(self.tasks(status=states.AVAILABLE)) < 2:
            number += 1
            self.cycle(number)
        found = self.metrics()
        self.assertEqual(0, value(found, 'staffeln_volume_rpo_breached',
                                  **self.labels()))
        self.assertEqual(0, value(
            found, 'staffeln_project_rpo_breached_volumes',
            project=self.acme.id))

    def test_counts_match_the_database(self):
        other = self.tenant('other')
        self.server(other, 'db', volumes=2)
        self.sim.cloud.fail_next_backups(self.volume_id, count=1)
        for number in range(0, 14):
            self.cycle(number)
        found = self.metrics()
        counts = db_api.count_tasks_by_status(self.context)
        for state in states.ALL:
            self.assertEqual(counts.get(state, 0),
                             value(found, 'staffeln_tasks', state=state),
                             state)
        tasks = self.tasks()
        good = [t for t in tasks if t.status in (
            states.AVAILABLE, states.DELETING, states.DELETED)]
        self.assertEqual(len(good),
                         total(found, 'staffeln_backups_succeeded_total'))
        self.assertEqual(len([t for t in tasks if t.started_at]),
                         total(found, 'staffeln_backups_started_total'))
        self.assertEqual(len(good), value(
            found, 'staffeln_backup_duration_seconds_count'))
        self.assertEqual(len(good), value(
            found, 'staffeln_backup_size_bytes_count'))
        self.assertEqual(sum(t.size_gb for t in good) * 1024 ** 3, value(
            found, 'staffeln_backup_size_bytes_sum'))
        # The buckets, counted in SQL, against the tasks counted here.
        seconds = [(t.finished_at - t.started_at).total_seconds()
                   for t in good]
        self.assertAlmostEqual(sum(seconds), value(
            found, 'staffeln_backup_duration_seconds_sum'), places=3)
        for bound in (60, 300, 900, 3600):
            self.assertEqual(
                sum(1 for s in seconds if s <= bound),
                value(found, 'staffeln_backup_duration_seconds_bucket',
                      le=f'{float(bound)}'), bound)
        self.assertEqual(3, total(found,
                                  'staffeln_project_protected_volumes'))
        self.assertEqual(2, value(found, 'staffeln_project_protected_volumes',
                                  project=other.id))
        self.assertEqual(1, total(found, 'staffeln_backups_failed_total'))
        self.assertEqual(0, value(found, 'staffeln_backups_queued'))
        self.assertEqual(50, value(found, 'staffeln_backups_in_flight_limit'))

    def test_quota_use_and_forecast(self):
        self.sim.cloud.set_quota(self.acme.id, backups=20,
                                 backup_gigabytes=-1)
        cloud = cloud_client.Cloud(self.conf, sleep=lambda s: None)
        self.manager = manager_mod.Manager(
            self.conf, cloud, self.clock,
            reporter=report.Reporter(self.conf, cloud, self.clock))
        for number in range(0, 13):
            self.cycle(number)
        found = self.metrics()
        project = dict(project=self.acme.id)
        good = self.tasks(status=states.AVAILABLE)
        self.assertEqual(20, value(
            found, 'staffeln_project_backup_quota_limit', **project))
        # Read before the last backup started: in use then.
        self.assertEqual(len(good) - 1, value(
            found, 'staffeln_project_backup_quota_used', **project))
        # Unlimited: no limit series.
        self.assertIsNone(value(
            found, 'staffeln_project_backup_quota_limit_bytes', **project))
        forecast = value(found, 'staffeln_project_backup_quota_forecast',
                         **project)
        self.assertGreater(forecast, len(good))
        self.assertEqual(forecast * 1024 ** 3, value(
            found, 'staffeln_project_backup_quota_forecast_bytes',
            **project))

    def test_drills_passed_then_failed(self):
        self.flags(group='drills', enabled=True, period='1h')
        self.cycle(0)
        found = self.metrics()
        project = dict(project=self.acme.id)
        self.assertEqual(1, value(found, 'staffeln_restore_drills_total',
                                  outcome='passed', **project))
        # Cinder's restore takes 60 s; run-once polls every 30 s.
        self.assertEqual(1, value(
            found, 'staffeln_restore_drill_rto_seconds_bucket', le='60.0'))
        self.assertEqual(60, value(
            found, 'staffeln_restore_drill_rto_seconds_sum'))
        self.assertEqual(1, value(
            found, 'staffeln_volume_last_drill_passed', **self.labels()))
        self.assertEqual(0, value(
            found, 'staffeln_project_drill_failed_volumes', **project))
        self.assertEqual(0, value(
            found, 'staffeln_restore_drills_in_progress'))

        [task] = db_api.list_tasks(self.context, status=states.AVAILABLE)
        self.sim.cloud.fail_next_restores(task.backup_id)
        self.cycle(2)
        found = self.metrics()
        self.assertEqual(1, value(found, 'staffeln_restore_drills_total',
                                  outcome='failed', **project))
        self.assertEqual(1, value(
            found, 'staffeln_project_drill_failed_volumes', **project))
        self.assertEqual(0, value(
            found, 'staffeln_volume_last_drill_passed', **self.labels()))
        self.assertEqual(self.clock.now().timestamp() // 60, value(
            found, 'staffeln_volume_last_drill_timestamp_seconds',
            **self.labels()) // 60)

    def test_per_volume_series_can_be_dropped(self):
        self.flags(group='metrics', per_volume_series=False)
        self.cycle(0)
        found = self.metrics()
        self.assertEqual([], [name for name, _ in found
                              if name.startswith('staffeln_volume_')])
        self.assertEqual(1, value(found, 'staffeln_project_protected_volumes',
                                  project=self.acme.id))

    def test_bearer_token(self):
        self.flags(group='metrics', bearer_token='s3cret')
        self.assertEqual(401, self.scrape().status_code)
        self.assertEqual(401, self.scrape(
            {'Authorization': 'Bearer wrong'}).status_code)
        response = self.scrape({'Authorization': 'Bearer s3cret'})
        self.assertEqual(200, response.status_code)
        self.assertIn('staffeln_tasks', response.text)

    def test_disabled(self):
        self.flags(group='metrics', enabled=False)
        self.assertEqual(404, self.scrape().status_code)
