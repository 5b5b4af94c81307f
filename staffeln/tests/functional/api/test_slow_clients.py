"""Slow clients and a silent database cannot make the hook unreachable.

staffeln-api runs as a process, as an operator runs it. Every delete in
the cloud goes through the hook: if 64 clients that send a byte now and
then could tie up its threads, or a database that stopped answering could
hang it, Cinder would refuse every delete.
"""

import os
import socket
import subprocess
import sys
import threading
import time
import uuid

import fixtures
import requests
import testscenarios

from staffeln.tests import base
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class TcpProxy(fixtures.Fixture):
    """A loopback TCP proxy that can stop forwarding: a blackhole.

    While blackholed, connections stay open and bytes are neither passed
    on nor answered, as when packets to a database are dropped.
    """

    def __init__(self, target: tuple):
        super().__init__()
        self.target = target
        self.holes = threading.Event()

    def _setUp(self):
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()
        self.addCleanup(self._stop)

    def blackhole(self):
        self.holes.set()

    def _stop(self):
        self.stopped.set()
        self.listener.close()
        for sock in self.sockets:
            sock.close()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.holes.is_set():
                continue  # accepted, never answered
            upstream = socket.create_connection(self.target)
            self.sockets.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b),
                                 daemon=True).start()

    def _pipe(self, source, sink):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            while self.holes.is_set():
                if self.stopped.wait(0.5):
                    return
            try:
                sink.sendall(data)
            except OSError:
                return


class ApiProcess(base.TestCase):

    def start_api(self, database_url: str, **api) -> str:
        port = free_port()
        tmp = self.useFixture(fixtures.TempDir()).path
        options = {'host': '127.0.0.1', 'port': port, 'workers': 16}
        options.update(api)
        path = os.path.join(tmp, 'staffeln.conf')
        with open(path, 'w') as f:
            f.write(f'[DEFAULT]\nstate_path = {tmp}\n'
                    f'[database]\nconnection = {database_url}\n'
                    f'max_retries = 0\n[api]\n')
            f.writelines(f'{k} = {v}\n' for k, v in options.items())
        process = subprocess.Popen(
            [sys.executable, '-m', 'staffeln.cmd.api', '--config-file',
             path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(self._stop, process)
        url = f'http://127.0.0.1:{port}'
        for _ in range(300):  # bounded: the process starts listening
            try:
                requests.get(url + '/healthcheck', timeout=5)
                return url
            except requests.ConnectionError:
                self.assertIsNone(process.poll())
                time.sleep(0.1)
        self.fail('staffeln-api did not start')

    @staticmethod
    def _stop(process):
        process.kill()
        process.wait()

    def ask(self, url: str, backup_id: str, timeout: float):
        """The hook's answer; fails the test if it takes over ``timeout``."""
        response = requests.post(f'{url}/v1/backup',
                                 params={'backup_id': backup_id},
                                 timeout=timeout)
        return response.status_code, response.text.strip()


class TestSlowClients(ApiProcess):

    def test_64_slow_clients_do_not_hold_up_the_hook(self):
        db = self.useFixture(db_fixture.Database('postgresql'))
        automated = api_fixtures.add_task('p', 'available')
        url = self.start_api(db.url, client_timeout='60s')
        port = int(url.rsplit(':', 1)[1])
        slow = []
        for number in range(64):
            sock = socket.create_connection(('127.0.0.1', port))
            self.addCleanup(sock.close)
            # Headers that never end, and a body that never comes.
            sock.sendall(b'POST /v1/backup HTTP/1.1\r\nHost: x\r\n'
                         if number % 2 else
                         b'POST /v1/backup HTTP/1.1\r\nHost: x\r\n'
                         b'Content-Length: 100000\r\n\r\nbackup_id=')
            slow.append(sock)
        for _ in range(20):
            self.assertEqual((401, 'False'), self.ask(url, automated, 1))
            self.assertEqual((200, 'True'),
                             self.ask(url, str(uuid.uuid4()), 1))
        health = requests.get(url + '/healthcheck', timeout=1)
        self.assertEqual(200, health.status_code)


class TestSilentDatabase(ApiProcess):

    scenarios = db_fixture.scenarios(('mysql', 'postgresql'))

    def test_a_blackholed_database_is_503_within_the_request_timeout(self):
        db = self.useFixture(db_fixture.Database(self.backend))
        automated = api_fixtures.add_task('p', 'available')
        real = db.engine.url
        proxy = self.useFixture(TcpProxy((real.host, real.port)))
        through = real.set(port=proxy.port).render_as_string(
            hide_password=False)
        url = self.start_api(through, request_timeout='2s')
        self.assertEqual((401, 'False'), self.ask(url, automated, 10))
        proxy.blackhole()
        for _ in range(3):
            status, text = self.ask(url, automated, 10)
            self.assertEqual(503, status, text)
        self.assertEqual(503, requests.get(url + '/healthcheck',
                                           timeout=10).status_code)
