"""Retention deletions and refusals in /metrics, after real retention runs."""

from prometheus_client import parser

from staffeln.api import app as api_app
from staffeln.db import states
from staffeln.tests.functional.retention import base

load_tests = base.load_tests


class TestRetentionMetrics(base.RetentionTestCase):

    def scrape(self) -> dict:
        app = api_app.create_app(self.conf)
        app.config['STAFFELN_CLOCK'] = self.clock
        response = app.test_client().get('/metrics')
        self.assertEqual(200, response.status_code)
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for f in parser.text_string_to_metric_families(
                    response.get_data(as_text=True))
                for s in f.samples}

    def test_deletions_and_refusals(self):
        project = self.tenant('acme')
        self.server(project, 'web')
        self.history(20)
        labels = (('project', project.id),)
        found = self.scrape()
        self.assertEqual(0, found[('staffeln_retention_deletions_total',
                                   labels)])
        backup_3 = self.backup_of(3)
        self.sim.cloud.faults.add(
            method='DELETE', path_regex=f'/backups/{backup_3}$', status=400,
            message='Invalid backup: Backup status must be available or '
                    'error', count=1)
        self.retention()
        found = self.scrape()
        deleted = self.tasks(status=states.DELETED)
        self.assertEqual(3, len(deleted))
        self.assertEqual(3, found[('staffeln_retention_deletions_total',
                                   labels)])
        self.assertEqual(1, found[('staffeln_retention_refused_backups',
                                   labels)])
        self.assertEqual(len(self.tasks(status=states.AVAILABLE)),
                         found[('staffeln_project_backups', labels)])
        # The next run deletes the refused backup's chain.
        self.clock.advance(self.conf.retention.retention_interval)
        self.retention()
        found = self.scrape()
        self.assertEqual(6, found[('staffeln_retention_deletions_total',
                                   labels)])
        self.assertIsNone(found.get(('staffeln_retention_refused_backups',
                                     labels)))
