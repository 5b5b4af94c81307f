"""Crash safety of restore drills: SIGKILL at each step, then a restart.

``staffeln-manage run-once`` with drills on runs as a real process against
the simulated cloud and a real database and kills itself (SIGKILL) at a
named step of a drill (:mod:`staffeln.tests.failpoints`). A second
process, without the failpoint, must leave no restored volume behind and
every drill done, with the volume drilled and its verdict recorded.
"""

import signal

from staffeln.db import api_drills
from staffeln.db import api_views
from staffeln.tests.functional.conductor import base
from staffeln.tests.functional import db_fixture

load_tests = base.load_tests

STEPS = ('drill_before_restore', 'drill_after_restore', 'drill_after_check',
         'drill_before_delete', 'drill_after_delete')


class TestDrillCrashSafety(base.ConductorTestCase):

    scenarios = [
        (f'{backend}-{step}', {'backend': backend, 'step': step})
        for backend in db_fixture.BACKENDS for step in STEPS]

    def setUp(self):
        super().setUp()
        # Backups and restores end at the next request: nothing waits.
        self.sim.cloud.backup_duration = 0
        self.sim.cloud.restore_duration = 0
        self.server(self.tenant('acme'), 'web', size=2)
        self.config = self.write_config(
            conductor={'run_once_poll_interval': 0,
                       'create_settle_time': '1s'},
            drills={'enabled': 'true'})

    def run_once(self, failpoint=None):
        return self.run_once_process(self.config, failpoint)

    def test_killed_then_restarted(self):
        killed = self.run_once(self.step)
        self.assertEqual(-signal.SIGKILL, killed.returncode,
                         killed.stdout + killed.stderr)
        again = self.run_once()
        self.assertEqual(0, again.returncode, again.stdout + again.stderr)

        left = [v.id for v in self.sim.cloud.volumes.values()
                if (v.name or '').startswith('staffeln-drill-')]
        self.assertEqual([], left)
        drills = api_drills.open_drills(self.context)
        self.assertEqual([], drills)
        [task] = self.tasks()
        _, facts = api_views.volume_view(self.context, task.volume_id)
        last = facts.last_drill
        self.assertEqual(api_drills.PASSED, last.outcome)
        self.assertEqual(2, last.size_gb)
