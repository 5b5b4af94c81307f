"""Crash safety: a conductor killed with SIGKILL at each step, restarted.

``staffeln-manage run-once`` runs as a real process against the simulated
cloud and a real database, and kills itself (SIGKILL, as a power cut or the
OOM killer would) at a named step of the state machine
(:mod:`staffeln.tests.failpoints`). A second process is
then started the same way, without the failpoint. Afterwards every due
volume has exactly one backup, every backup in Cinder has a task row, and
no task is left in an intermediate state.
"""

import collections
import signal

from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.functional.conductor import base
from staffeln.tests.functional import db_fixture

load_tests = base.load_tests

STEPS = ('after_schedule', 'before_create', 'after_create', 'after_record',
         'before_finish')


class TestCrashSafety(base.ConductorTestCase):

    scenarios = [
        (f'{backend}-{step}', {'backend': backend, 'step': step})
        for backend in db_fixture.BACKENDS for step in STEPS]

    def setUp(self):
        super().setUp()
        # Backups end at the next request: the processes never wait.
        self.sim.cloud.backup_duration = 0
        acme, globex = self.tenant('acme'), self.tenant('globex')
        self.servers = [self.server(acme, 'web', volumes=2),
                        self.server(acme, 'db'),
                        self.server(globex, 'app', volumes=2)]
        self.config = self.write_config(
            conductor={'run_once_poll_interval': 0,
                       'create_settle_time': '1s'})

    def run_once(self, failpoint=None):
        return self.run_once_process(self.config, failpoint)

    def test_killed_then_restarted(self):
        killed = self.run_once(self.step)
        self.assertEqual(-signal.SIGKILL, killed.returncode,
                         killed.stdout + killed.stderr)
        again = self.run_once()
        self.assertEqual(0, again.returncode, again.stdout + again.stderr)

        volumes = {v for s in self.servers for v in s.volume_ids}
        backups = self.backups()
        per_volume = collections.Counter(b['volume_id'] for b in backups)
        self.assertEqual({v: 1 for v in volumes}, dict(per_volume))
        tasks = db_api.list_tasks(self.context)
        self.assertEqual({b['id'] for b in backups},
                         {t.backup_id for t in tasks if t.backup_id})
        self.assertEqual({states.AVAILABLE},
                         {t.status for t in tasks})
        self.assertEqual(len(volumes), len(tasks))
