"""Conductor names: two live conductors never share one."""

import fixtures

from staffeln.tests import base
from staffeln.tests.functional import db_fixture
from staffeln.tests.functional.ha import base as ha_base


class TestConductorNames(base.TestCase):

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database('mysql'))
        self.sim = self.useFixture(ha_base.SimProcess(servers=0))
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.namespace = ha_base.namespace()

    def conductor(self, name: str, host: str) -> ha_base.ConductorProcess:
        config = (
            f'[DEFAULT]\nhost = {host}\nstate_path = {self.dir}/{name}\n'
            f'[database]\nconnection = {self.db.url}\n'
            f'[coordination]\nbackend_url = {ha_base.REDIS_URL}\n'
            f'namespace = {self.namespace}\nleader_timeout = 2s\n'
            f'heartbeat_interval = 0.5\n'
            + self.sim.openstack_config())
        return self.useFixture(ha_base.ConductorProcess(
            self.dir, name, config))

    def test_second_conductor_with_the_same_name_refuses_to_start(self):
        first = self.conductor('first', 'node-a')
        ha_base.wait_for(
            'the first conductor to lead',
            lambda: 'is now the leader' in first.read_log(), timeout=60)

        twin = self.conductor('twin', 'node-a')
        self.assertEqual(2, twin.process.wait(timeout=60))
        self.assertIn('another conductor named node-a is running',
                      twin.read_log())
        self.assertIsNone(first.process.poll())

        # Once the first is gone, the name is free again.
        self.assertEqual(0, first.terminate())
        again = self.conductor('again', 'node-a')
        ha_base.wait_for(
            'the restarted conductor to lead',
            lambda: 'is now the leader' in again.read_log(), timeout=60)
