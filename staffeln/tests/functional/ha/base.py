"""Real processes for the HA tests: the simulator and conductors.

The simulator runs as a process (``python -m staffeln.tests.simcloud``, its
clock moved through ``/_sim``), each conductor as ``staffeln-conductor``
with its own config file, log file and process group, so that SIGKILL
takes down the whole conductor (oslo.service's master and its worker)
like a power cut.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import fixtures
import requests
import testtools

from staffeln.tests.simcloud import seed

REDIS_URL = os.environ.get('STAFFELN_TEST_REDIS_URL',
                           'redis://127.0.0.1:6379')


class SimProcess(fixtures.Fixture):
    """``python -m staffeln.tests.simcloud --seed bench`` on a free port."""

    def __init__(self, servers: int, projects: int = 10,
                 volumes_per_server: int = 1):
        super().__init__()
        self.args = ['--seed', 'bench', '--servers', str(servers),
                     '--tagged', str(servers), '--projects', str(projects),
                     '--volumes-per-server', str(volumes_per_server)]

    def _setUp(self):
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'staffeln.tests.simcloud', '--port', '0',
             *self.args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.addCleanup(_stop, self.process)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError('the simulated cloud did not start: '
                               + self.process.stderr.read())
        info = json.loads(line)
        self.url = info['url']
        self.auth_url = info['auth_url']
        self.session = requests.Session()
        self.addCleanup(self.session.close)

    def advance(self, seconds: float) -> None:
        self.session.post(f'{self.url}/_sim/clock/advance',
                          json={'seconds': seconds},
                          timeout=30).raise_for_status()

    def backups(self) -> list[dict]:
        response = self.session.get(f'{self.url}/_sim/backups', timeout=60)
        response.raise_for_status()
        return response.json()['backups']

    def openstack_config(self) -> str:
        return (f'[openstack]\nauth_type = password\n'
                f'auth_url = {self.auth_url}\n'
                f'username = {seed.SERVICE_USER}\npassword = {seed.PASSWORD}\n'
                f'project_name = service\nuser_domain_name = Default\n'
                f'project_domain_name = Default\nregion_name = RegionOne\n')


class ConductorProcess(fixtures.Fixture):
    """One ``staffeln-conductor`` with its config file and log file."""

    def __init__(self, directory: str, host: str, config: str,
                 env: dict | None = None):
        super().__init__()
        self.directory = directory
        self.host = host
        self.config_text = config
        self.env = env or {}

    def _setUp(self):
        self.config = os.path.join(self.directory, f'{self.host}.conf')
        self.log = os.path.join(self.directory, f'{self.host}.log')
        with open(self.config, 'w') as f:
            f.write(self.config_text)
        self.output = open(self.log, 'w')
        self.addCleanup(self.output.close)
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'staffeln.cmd.conductor',
             '--config-file', self.config],
            stdout=self.output, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, **self.env})
        self.addCleanup(self.kill)

    def read_log(self) -> str:
        with open(self.log) as f:
            return f.read()

    def kill(self) -> None:
        """SIGKILL the conductor and its worker at once: a crash."""
        if self.process.returncode is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=30)

    def terminate(self, timeout: float = 90) -> int:
        """SIGTERM, as a service manager stops it; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def _stop(process) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    for stream in (process.stdout, process.stderr):
        if stream:
            stream.close()


def wait_for(what: str, predicate, timeout: float, interval: float = 0.2,
             tick=None):
    """Poll ``predicate`` until it returns something true, up to ``timeout``.

    ``tick`` runs between two polls (the test moves the simulator's clock
    there). Returns the predicate's value; fails the test at the deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise testtools.TestCase.failureException(
                f'timed out after {timeout}s waiting for {what}')
        if tick is not None:
            tick()
        time.sleep(interval)


def namespace() -> str:
    return 'ha' + uuid.uuid4().hex[:10]
