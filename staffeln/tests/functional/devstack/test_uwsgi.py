"""The uwsgi ini the plugin writes, served by the distribution's uwsgi."""

import os
import signal
import subprocess
import uuid

import requests

from staffeln.tests.functional.devstack import base
from staffeln.tests.functional.devstack import sandbox


def stop(process):
    """SIGTERM, then SIGKILL, as systemd stops a unit.

    A worker still loading the application when SIGTERM comes is given
    uwsgi's worker-reload-mercy to finish before it goes.
    """
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


class TestGeneratedIni(base.TestCase):

    def test_uwsgi_serves_the_api(self):
        ds = self.devstack()
        ds.must_run('stack', 'post-config')
        # staffeln.conf's database is the SQLite file that init_staffeln's
        # staffeln-manage db upgrade made.
        log = ds.file('uwsgi.log')
        with open(log, 'w') as out:
            uwsgi = subprocess.Popen(
                [sandbox.which_uwsgi(), '--ini',
                 ds.file('etc', 'staffeln', 'staffeln-api-uwsgi.ini'),
                 '--venv', sandbox.DISTRO_VENV],
                stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        self.addCleanup(stop, uwsgi)
        url = f'http://127.0.0.1:{ds.port}'

        versions = self.wait_for(f'{url}/')
        self.assertEqual(200, versions.status_code, ds.read(log))
        self.assertEqual(['v1.0'],
                         [v['id'] for v in versions.json()['versions']])
        v1 = requests.get(f'{url}/v1', timeout=30)
        self.assertEqual((200, 'v1.0'),
                         (v1.status_code, v1.json()['version']['id']))
        hook = requests.post(f'{url}/v1/backup',
                             params={'backup_id': str(uuid.uuid4())},
                             timeout=30)
        self.assertEqual((200, 'True'), (hook.status_code, hook.text))
        self.assertNotIn('UNABLE to load uWSGI plugin', ds.read(log))
