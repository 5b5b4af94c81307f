"""The /_sim control API and the simulator run as a process."""

import json
import os
import signal
import subprocess
import sys

import requests

from staffeln.tests.functional.simcloud import base


class TestControlApi(base.SimCloudTestCase):

    def post(self, path, body=None):
        return requests.post(f'{self.sim.url}/_sim{path}', json=body,
                             timeout=10)

    def get(self, path):
        return requests.get(f'{self.sim.url}/_sim{path}', timeout=10)

    def test_clock_calls_faults_and_backups(self):
        volume = self.cloud.add_volume(self.project.id)
        before = self.get('/clock').json()
        self.assertTrue(before['manual'])
        conn = self.tenant()
        backup = conn.block_storage.create_backup(volume_id=volume.id,
                                                  metadata={'k': 'v'})
        resp = self.post('/clock/advance', {'seconds': 60})
        self.assertEqual('2026-01-01T00:01:00+00:00', resp.json()['now'])
        backups = self.get('/backups').json()['backups']
        self.assertEqual([(backup.id, 'available', self.project.id,
                           {'k': 'v'})],
                         [(b['id'], b['status'], b['project_id'],
                           b['metadata']) for b in backups])
        calls = self.get('/calls').json()
        self.assertIn({'method': 'POST', 'path': '/volume/v3/backups',
                       'count': 1}, calls['calls'])
        self.assertEqual(204, self.post('/calls/reset').status_code)
        self.assertEqual(0, self.get('/calls').json()['total'])
        resp = self.post('/faults', {'method': 'GET', 'status': 503,
                                     'path_regex': '/volume/v3/backups'})
        self.assertEqual(201, resp.status_code)
        resp = self.raw(conn, 'block_storage', 'GET', '/backups')
        self.assertEqual(503, resp.status_code)

    def test_outcomes_quotas_and_seed(self):
        summary = self.post('/seed', {'scenario': 'demo'}).json()
        alpha = summary['projects']['alpha']
        self.assertEqual(204, self.post('/quotas', {
            'project_id': alpha['id'], 'backups': 0}).status_code)
        self.assertEqual(0, self.cloud.quotas.limit(alpha['id'], 'backups'))
        self.assertEqual(204, self.post('/backup-outcomes', {
            'kind': 'stuck', 'count': 2}).status_code)
        projects = {p['name'] for p in self.get('/projects').json()[
            'projects']}
        self.assertLessEqual({'admin', 'alpha', 'beta', 'gamma'}, projects)
        resp = self.post('/clock/advance', {'seconds': -1})
        self.assertEqual(400, resp.status_code)


class TestConsoleScript(base.SimCloudTestCase):

    def test_serves_until_sigterm(self):
        proc = subprocess.Popen(
            [sys.executable, '-m', 'staffeln.tests.simcloud', '--port', '0',
             '--seed', 'demo', '--backup-duration', '5'],
            stdout=subprocess.PIPE, text=True,
            env={**os.environ, 'PYTHONUNBUFFERED': '1'})
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.stdout.close)
        try:
            info = json.loads(proc.stdout.readline())
            resp = requests.get(info['auth_url'], timeout=10)
            self.assertEqual('v3.14', resp.json()['version']['id'])
            self.assertEqual(3, len(info['seed']['projects']))
        finally:
            proc.send_signal(signal.SIGTERM)
        self.assertEqual(0, proc.wait(10))
