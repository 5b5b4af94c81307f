"""Three conductors, and the leader killed with SIGKILL in mid-cycle.

Three ``staffeln-conductor`` processes share one database (MariaDB or
PostgreSQL) and one tooz backend (Redis, or the database itself) in front
of a simulator with 2,000 opted-in servers. The leader is killed while it
is queueing the cycle's backups and the others are already creating them.
Another conductor must take the lead and queue the rest, the claims of the
dead one must expire and be taken over, and at the end every volume has
exactly one backup, every backup in the cloud has its task, and no task is
left unfinished.
"""

import collections
import json
import re
import subprocess
import sys
import time

import fixtures
import testscenarios
from testtools import content

from staffeln.common import context as staffeln_context
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests import base
from staffeln.tests.functional import db_fixture
from staffeln.tests.functional.ha import base as ha_base

load_tests = testscenarios.load_tests_apply_scenarios

SERVERS = 2000
HOSTS = ('conductor-a', 'conductor-b', 'conductor-c')
LEADER_TIMEOUT = 5
LEADER_LINE = re.compile(r'Conductor \S+ is now the leader')


class TestLeaderFailover(base.TestCase):

    scenarios = [
        ('mysql,redis', {'backend': 'mysql', 'tooz': 'redis'}),
        ('postgresql,redis', {'backend': 'postgresql', 'tooz': 'redis'}),
        ('mysql,tooz-mysql', {'backend': 'mysql', 'tooz': 'database'}),
        ('postgresql,tooz-postgresql',
         {'backend': 'postgresql', 'tooz': 'database'}),
    ]

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database(self.backend))
        self.sim = self.useFixture(ha_base.SimProcess(SERVERS))
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.context = staffeln_context.get_admin_context()
        self.tooz_url = (ha_base.REDIS_URL if self.tooz == 'redis'
                         else self.db.url)
        self.namespace = ha_base.namespace()
        self.conductors = {}

    def config(self, host: str) -> str:
        return (
            f'[DEFAULT]\nhost = {host}\nstate_path = {self.dir}/{host}\n'
            f'[database]\nconnection = {self.db.url}\n'
            f'[coordination]\nbackend_url = {self.tooz_url}\n'
            f'namespace = {self.namespace}\n'
            f'leader_timeout = {LEADER_TIMEOUT}s\nheartbeat_interval = 1\n'
            # Discovery runs when a conductor takes the lead; not again.
            f'[conductor]\ndiscovery_interval = 3600\npoll_interval = 1\n'
            f'claim_timeout = 10s\nmax_in_flight = 100000\n'
            f'max_in_flight_per_project = 100000\n'
            + self.sim.openstack_config())

    def start(self, host: str) -> ha_base.ConductorProcess:
        conductor = self.useFixture(ha_base.ConductorProcess(
            self.dir, host, self.config(host)))
        self.conductors[host] = conductor
        self.addOnException(self._attach_log(conductor))
        return conductor

    def _attach_log(self, conductor):
        def attach(exc_info):
            self.addDetailUniqueName(
                f'{conductor.host}.log',
                content.text_content(conductor.read_log()[-200000:]))
        return attach

    def leaders(self) -> list[tuple[str, str]]:
        """(time, conductor) of each 'now the leader' line, oldest first."""
        found = []
        for host, conductor in self.conductors.items():
            for line in conductor.read_log().splitlines():
                if LEADER_LINE.search(line):
                    found.append((line[:23], host))
        return sorted(found)

    def count_tasks(self) -> int:
        return sum(db_api.count_tasks_by_status(self.context).values())

    def manage_conductors(self, host: str) -> dict:
        result = subprocess.run(
            [sys.executable, '-m', 'staffeln.cmd.manage', '--config-file',
             self.conductors[host].config, 'conductors', '--json'],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(0, result.returncode, result.stderr)
        try:
            return json.loads(result.stdout)
        except ValueError:
            self.fail(f'not JSON: {result.stdout}')

    def catch_starting(self, host: str, timeout: float) -> bool:
        """Wait (briefly) for ``host`` to have a task in ``starting``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(t.claimed_by == host for t in db_api.list_tasks(
                    self.context, status=states.STARTING)):
                return True
            time.sleep(0.005)
        return False

    def test_leader_killed_mid_cycle(self):
        for host in HOSTS:
            self.start(host)
        first = ha_base.wait_for('a leader', self.leaders, timeout=120)
        self.assertEqual(1, len(first), first)

        # Kill the leader in mid-cycle: backups are being created, others
        # wait in the queue, and (when the timing allows) the leader has
        # just recorded its intent to create one.
        def mid_cycle():
            counts = db_api.count_tasks_by_status(self.context)
            return (counts.get(states.CREATING, 0) >= 100
                    and counts.get(states.QUEUED, 0) >= 100)
        ha_base.wait_for('backups in progress', mid_cycle, timeout=300)
        leader = self.leaders()[-1][1]
        caught = self.catch_starting(leader, timeout=20)
        elected = len(self.leaders())
        self.assertEqual(leader, self.leaders()[-1][1])
        self.conductors[leader].kill()
        killed_at = time.monotonic()
        counts_at_kill = db_api.count_tasks_by_status(self.context)
        alive = [h for h in HOSTS if h != leader]

        # Another conductor takes the lead and runs the leader's steps.
        ha_base.wait_for('a new leader',
                         lambda: len(self.leaders()) > elected, timeout=60)
        took = time.monotonic() - killed_at
        new_leader = self.leaders()[elected][1]
        self.assertIn(new_leader, alive)
        ha_base.wait_for(
            'the new leader to run discovery',
            lambda: 'Discovery queued' in self.conductors[
                new_leader].read_log(), timeout=120)
        self.addDetailUniqueName('takeover', content.text_content(
            f'{leader} killed with tasks {counts_at_kill} '
            f'(its own task in starting: {caught}); {new_leader} led '
            f'{took:.1f}s later'))

        # Every volume gets its backup: move the cloud's clock so the
        # backups finish, until no task is left to do.
        def cycle_done():
            counts = db_api.count_tasks_by_status(self.context)
            return (counts.get(states.AVAILABLE, 0) == SERVERS
                    and not any(counts.get(s) for s in states.ACTIVE))
        ha_base.wait_for('every backup to be available', cycle_done,
                         timeout=900, interval=1,
                         tick=lambda: self.sim.advance(60))

        tasks = db_api.list_tasks(self.context)
        self.assertEqual({states.AVAILABLE: SERVERS},
                         dict(collections.Counter(t.status for t in tasks)))
        per_volume = collections.Counter(t.volume_id for t in tasks)
        self.assertEqual(SERVERS, len(per_volume))
        self.assertEqual({1}, set(per_volume.values()))

        backups = self.sim.backups()
        by_volume = collections.Counter(b['volume_id'] for b in backups)
        self.assertEqual(set(per_volume), set(by_volume),
                         'a volume has no backup in the cloud')
        self.assertEqual({1}, set(by_volume.values()),
                         'a volume has more than one backup in the cloud')
        recorded = {t.backup_id: t for t in tasks}
        orphans = [b['id'] for b in backups if b['id'] not in recorded]
        self.assertEqual([], orphans, 'backups without a task')
        for backup in backups:
            task = recorded[backup['id']]
            self.assertEqual(task.volume_id, backup['volume_id'])
            self.assertEqual(task.uuid, backup['metadata']['__staffeln_task'])
            self.assertEqual('available', backup['status'])

        if self.tooz == 'redis':
            # The dead conductor's heartbeats have stopped: the group no
            # longer lists it as live, and names the new leader.
            def listed():
                data = self.manage_conductors(new_leader)
                live = sorted(c['host'] for c in data['conductors']
                              if c['alive'])
                return data if live == sorted(alive) else None
            data = ha_base.wait_for('the dead conductor to leave', listed,
                                    timeout=60, interval=1)
            self.assertIn(data['leader'], alive)
            self.assertEqual(SERVERS, data['tasks'][states.AVAILABLE])
        else:
            data = self.manage_conductors(new_leader)
            self.assertIsNone(data['conductors'])
            self.assertTrue(data['leader_elected'])

        # The survivors stop cleanly on SIGTERM and hand over nothing.
        for host in alive:
            self.assertEqual(0, self.conductors[host].terminate(), host)
        for host in alive:
            self.assertNotIn('Traceback', self.conductors[host].read_log(),
                             host)
