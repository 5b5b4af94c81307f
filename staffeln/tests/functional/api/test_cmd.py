"""``staffeln-api`` as an operator runs it: a process, a config file."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import fixtures
import requests

from staffeln.db import states
from staffeln.tests import base
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture

PROJECT = 'eeee0000eeee0000eeee0000eeee0000'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class TestStaffelnApi(base.TestCase):

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database('sqlite'))
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def write_config(self, text: str) -> str:
        path = os.path.join(self.tmp, f'{uuid.uuid4().hex}.conf')
        with open(path, 'w') as f:
            f.write(text)
        return path

    def config(self, port: int, extra: str = '') -> str:
        return self.write_config(
            f'[DEFAULT]\nstate_path = {self.tmp}\n'
            f'[database]\nconnection = {self.db.url}\n'
            f'[api]\nhost = 127.0.0.1\nport = {port}\nworkers = 4\n'
            f'{extra}')

    def run_api(self, *args, timeout=60):
        return subprocess.run(
            [sys.executable, '-m', 'staffeln.cmd.api', *args],
            capture_output=True, text=True, timeout=timeout)

    def start_api(self, config: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, '-m', 'staffeln.cmd.api', '--config-file',
             config], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        self.addCleanup(self._kill, process)
        return process

    @staticmethod
    def _kill(process):
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)

    def wait_healthy(self, url: str, process) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.assertIsNone(process.poll(), 'staffeln-api exited')
            try:
                if requests.get(url + '/healthcheck',
                                timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.fail('staffeln-api never became healthy')

    def test_serves_and_stops_on_sigterm(self):
        automated = api_fixtures.add_task(PROJECT, states.AVAILABLE)
        port = free_port()
        process = self.start_api(self.config(port))
        url = f'http://127.0.0.1:{port}'
        self.wait_healthy(url, process)

        response = requests.post(f'{url}/v1/backup',
                                 params={'backup_id': automated}, timeout=10)
        self.assertEqual((401, 'False'), (response.status_code,
                                          response.text))
        self.assertEqual('staffeln-api', response.headers['Server'])
        response = requests.post(f'{url}/v1/backup',
                                 params={'backup_id': str(uuid.uuid4())},
                                 timeout=10)
        self.assertEqual((200, 'True'), (response.status_code,
                                         response.text))

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        self.assertEqual(0, process.returncode, output)
        self.assertIn('serving on http://127.0.0.1', output)
        self.assertIn(f'Delete of backup {automated} denied', output)
        self.assertNotIn('Traceback', output)

    def test_several_processes(self):
        automated = api_fixtures.add_task(PROJECT, states.AVAILABLE)
        port = free_port()
        process = self.start_api(self.config(port, 'processes = 2\n'))
        url = f'http://127.0.0.1:{port}'
        self.wait_healthy(url, process)
        children = self.children(process.pid, 2)

        # A child that dies is replaced; the hook keeps answering.
        os.kill(children[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while set(self.children(process.pid, 2)) & {children[0]}:
            self.assertLess(time.monotonic(), deadline)
        for _ in range(10):
            response = requests.post(f'{url}/v1/backup',
                                     params={'backup_id': automated},
                                     timeout=10)
            self.assertEqual((401, 'False'), (response.status_code,
                                              response.text))

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        self.assertEqual(0, process.returncode, output)
        self.assertIn('in each of 2 processes', output)
        self.assertIn(f'process {children[0]} exited', output)
        self.assertNotIn('Traceback', output)
        for pid in children:
            self.assertFalse(os.path.exists(f'/proc/{pid}'), pid)

    def children(self, pid: int, count: int) -> list[int]:
        """The ``count`` child processes of ``pid``, once it has them."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open(f'/proc/{pid}/task/{pid}/children') as f:
                found = [int(child) for child in f.read().split()]
            if len(found) == count:
                return found
        self.fail(f'staffeln-api never had {count} processes')

    def assertConfigError(self, result, *fragments):
        self.assertEqual(2, result.returncode, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(1, len(lines), result.stderr)
        self.assertTrue(lines[0].startswith('staffeln-api: error: '),
                        lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def test_missing_config_file(self):
        result = self.run_api('--config-file', '/nonexistent/staffeln.conf')
        self.assertConfigError(result, '/nonexistent/staffeln.conf')

    def test_bad_option_value(self):
        result = self.run_api('--config-file', self.config(
            free_port(), 'workers = many\n'))
        self.assertConfigError(result, 'workers')

    def test_unparsable_config_file(self):
        result = self.run_api('--config-file',
                              self.write_config('[api\nport = 1\n'))
        self.assertConfigError(result)

    def test_half_tls_config(self):
        result = self.run_api('--config-file', self.config(
            free_port(), f'ssl_cert_file = {self.tmp}/cert.pem\n'))
        self.assertConfigError(result, 'ssl_key_file')

    def test_unreadable_certificate(self):
        result = self.run_api('--config-file', self.config(
            free_port(), f'ssl_cert_file = {self.tmp}/cert.pem\n'
                         f'ssl_key_file = {self.tmp}/key.pem\n'))
        self.assertConfigError(result, 'TLS')

    def test_port_in_use(self):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            sock.listen()
            port = sock.getsockname()[1]
            result = self.run_api('--config-file', self.config(port))
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertIn(f'cannot listen on 127.0.0.1:{port}', result.stderr)
        self.assertNotIn('Traceback', result.stderr)
