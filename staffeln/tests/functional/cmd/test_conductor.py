"""staffeln-conductor as a daemon: it backs up; SIGTERM stops it cleanly."""

import os
import signal
import subprocess
import sys
import time

from staffeln.db import states
from staffeln.tests.functional.conductor import base
from staffeln.tests.functional import db_fixture

load_tests = base.load_tests
CONDUCTOR = os.path.join(os.path.dirname(sys.executable),
                         'staffeln-conductor')


class TestConductorDaemon(base.ConductorTestCase):

    scenarios = db_fixture.scenarios(('sqlite', 'mysql'))

    def wait_until(self, condition, what, timeout=90):
        """Wait for a real process to reach a state (bounded)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                self.fail(f'conductor exited with {self.proc.returncode} '
                          f'before {what}: {self.proc.stderr.read()}')
            if time.monotonic() > deadline:
                self.fail(f'no {what} after {timeout} s')
            time.sleep(0.2)

    def test_backs_up_then_stops_on_sigterm(self):
        self.sim.cloud.backup_duration = 0
        acme = self.tenant('acme')
        servers = [self.server(acme, f'web-{i}', volumes=2)
                   for i in range(3)]
        volumes = {v for s in servers for v in s.volume_ids}
        config = self.write_config(
            conductor={'discovery_interval': 1, 'poll_interval': 1})
        self.proc = subprocess.Popen(
            [CONDUCTOR, '--config-file', config],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self._kill)

        def all_backed_up():
            done = self.tasks(status=states.AVAILABLE)
            return {t.volume_id for t in done} == volumes
        self.wait_until(all_backed_up, 'backup of every volume')

        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(0, self.proc.wait(timeout=60))
        output = self.proc.stderr.read()
        self.assertNotIn('not picklable', output)
        self.assertNotIn('Traceback', output)
        self.assertEqual(len(volumes), len(self.backups()))
        self.assertEqual({states.AVAILABLE},
                         {t.status for t in self.tasks()})
        self.assertEqual({None}, {t.claimed_by for t in self.tasks()})

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
