"""Leadership and membership with tooz's lock-file backend.

Lock files need neither a network nor a server; several coordinators in
one process exclude each other as several processes on one host would.
"""

import datetime
import os
import subprocess
import sys
import textwrap

import fixtures
from oslo_config import cfg
import tooz

from staffeln.common import coordination
from staffeln.common.coordination import backend
from staffeln.common import exception
from staffeln import conf as staffeln_conf
from staffeln.tests import base


class FakeTime:
    """A monotonic clock that sleeping moves forward."""

    def __init__(self):
        self.now = 0.0

    def sleep(self, seconds):
        self.now += seconds

    def monotonic(self):
        return self.now


class CoordinationTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.locks = self.useFixture(fixtures.TempDir()).path
        self.flags(group='coordination', backend_url=f'file://{self.locks}',
                   leader_timeout='2s', heartbeat_interval=0.5)
        self.logger = self.useFixture(fixtures.FakeLogger(
            name='staffeln.common.coordination'))

    def make_conf(self, host: str) -> cfg.ConfigOpts:
        conf = cfg.ConfigOpts()
        staffeln_conf.register_opts(conf)
        conf([], project='staffeln', default_config_files=[],
             default_config_dirs=[])
        conf.set_override('host', host)
        for key in ('backend_url', 'leader_timeout', 'heartbeat_interval',
                    'namespace'):
            conf.set_override(key, self.conf.coordination[key],
                              group='coordination')
        return conf

    def coordinator(self, host: str, start: bool = True,
                    **kwargs) -> coordination.Coordinator:
        coordinator = coordination.Coordinator(self.make_conf(host),
                                               **kwargs)
        if start:
            coordinator.start()
        self.addCleanup(coordinator.stop)
        return coordinator

    def observer(self) -> coordination.Coordinator:
        observer = coordination.Coordinator(self.make_conf('manage'),
                                            member_id='observer')
        observer.start(join=False)
        self.addCleanup(observer.stop)
        return observer


class TestLeadership(CoordinationTestCase):

    def test_one_leader_among_many(self):
        nodes = [self.coordinator(h) for h in ('a', 'b', 'c')]
        leaders = [n.heartbeat() for n in nodes]
        self.assertEqual([True, False, False], leaders)
        # Heartbeats keep the leader leading and the others following.
        self.assertEqual([True, False, False],
                         [n.heartbeat() for n in reversed(nodes)][::-1])
        self.assertEqual([1, 0, 0], [n.term for n in nodes])

    def test_stopped_leader_is_replaced_at_the_next_heartbeat(self):
        a, b = self.coordinator('a'), self.coordinator('b')
        self.assertTrue(a.heartbeat())
        self.assertFalse(b.heartbeat())
        a.stop()
        self.assertFalse(a.is_leader)
        self.assertTrue(b.heartbeat())
        self.assertEqual(1, b.term)

    def test_each_new_leadership_is_a_new_term(self):
        a, b = self.coordinator('a'), self.coordinator('b')
        a.heartbeat()
        a.stop()
        b.heartbeat()
        a.start()
        b.stop()
        self.assertTrue(a.heartbeat())
        self.assertEqual(2, a.term)

    def test_backend_failure_means_stepping_down(self):
        a, b = self.coordinator('a'), self.coordinator('b')
        self.assertTrue(a.heartbeat())
        self.useFixture(fixtures.MockPatchObject(
            a._coordinator, 'heartbeat',
            side_effect=tooz.ToozError('backend gone')))
        self.assertFalse(a.heartbeat())
        self.assertIn('is no longer the leader: the backend failed',
                      self.logger.output)
        self.assertTrue(b.heartbeat())

    def test_lost_lock_means_stepping_down(self):
        a = self.coordinator('a')
        self.assertTrue(a.heartbeat())
        self.useFixture(fixtures.MockPatchObject(
            a._leader_lock, 'is_still_owner', return_value=False))
        self.assertFalse(a.heartbeat())
        self.assertIn('the leader lock was lost', self.logger.output)

    def test_unusable_backend_is_an_error_then_a_follower(self):
        self.flags(group='coordination',
                   backend_url='mysql://nobody@127.0.0.1:1/staffeln')
        node = self.coordinator('a', start=False)
        self.assertRaises(coordination.CoordinationError, node.start)
        self.assertFalse(node.heartbeat())
        self.assertFalse(node.heartbeat())
        # Said once, not at every heartbeat.
        self.assertEqual(1, self.logger.output.count(
            'coordination fails, this conductor does not lead'))

    def test_a_misspelt_backend_is_a_configuration_error(self):
        self.flags(group='coordination', backend_url='reddis://127.0.0.1')
        node = self.coordinator('a', start=False)
        error = self.assertRaises(exception.ConfigurationError, node.start)
        self.assertIn('names no tooz driver', str(error))

    def test_no_backend_leads_alone(self):
        self.flags(group='coordination', backend_url='')
        node = self.coordinator('a')
        self.assertTrue(node.is_leader)
        self.assertTrue(node.heartbeat())
        self.assertIsNone(node.members())
        node.stop()
        self.assertFalse(node.is_leader)

    def test_heartbeat_must_be_well_within_the_leader_timeout(self):
        self.flags(group='coordination', heartbeat_interval=1.0)
        error = self.assertRaises(exception.ConfigurationError,
                                  coordination.Coordinator,
                                  self.make_conf('a'))
        self.assertIn('less than half of leader_timeout', str(error))


class TestMembership(CoordinationTestCase):

    def test_members_and_leader_are_listed(self):
        a, b = self.coordinator('a'), self.coordinator('b')
        b.heartbeat()
        a.heartbeat()
        members = {m.host: m for m in self.observer().members()}
        self.assertEqual({'a', 'b'}, set(members))
        self.assertTrue(all(m.alive for m in members.values()))
        self.assertEqual((False, True),
                         (members['a'].leader, members['b'].leader))
        self.assertEqual(os.getpid(), members['b'].pid)
        self.assertIsNotNone(members['b'].leader_since)

    def test_a_stopped_conductor_leaves(self):
        a, b = self.coordinator('a'), self.coordinator('b')
        a.heartbeat()
        a.stop()
        b.heartbeat()
        [member] = self.observer().members()
        self.assertEqual(('b', True, True),
                         (member.host, member.alive, member.leader))

    def test_a_killed_conductor_is_listed_dead_and_can_restart(self):
        script = textwrap.dedent(f'''
            import os, signal
            from oslo_config import cfg
            from staffeln import conf
            from staffeln.common import coordination
            c = cfg.ConfigOpts()
            conf.register_opts(c)
            c([], default_config_files=[], default_config_dirs=[])
            c.set_override('host', 'ghost')
            c.set_override('backend_url', {self.conf.coordination.
                                           backend_url!r},
                           group='coordination')
            node = coordination.Coordinator(c)
            node.start()
            assert node.heartbeat()
            os.kill(os.getpid(), signal.SIGKILL)
        ''')
        subprocess.run([sys.executable, '-c', script], timeout=60)
        [ghost] = self.observer().members()
        self.assertEqual(('ghost', False), (ghost.host, ghost.alive))
        # Lock files free a dead process's locks at once.
        self.assertFalse(self.observer().leader_elected())
        again = self.coordinator('ghost')
        self.assertTrue(again.heartbeat())
        [ghost] = self.observer().members()
        self.assertEqual(('ghost', True, True),
                         (ghost.host, ghost.alive, ghost.leader))

    def test_two_live_conductors_cannot_share_a_name(self):
        self.coordinator('a')
        clock = FakeTime()
        twin = self.coordinator('a', start=False, sleep=clock.sleep,
                                monotonic=clock.monotonic)
        error = self.assertRaises(coordination.DuplicateConductor,
                                  twin.start)
        self.assertIn('another conductor named a is running', str(error))
        # It waited for a dead run's lock to expire before giving up.
        self.assertGreaterEqual(clock.now, 2.0)
        self.assertRaises(coordination.DuplicateConductor,
                          self.coordinator('a', start=False,
                                           sleep=clock.sleep,
                                           monotonic=clock.monotonic
                                           ).check_name)

    def test_check_name_leaves_nothing_behind(self):
        self.coordinator('b', start=False).check_name()
        self.assertEqual([], self.observer().members())
        self.assertTrue(self.coordinator('b').heartbeat())


class TestUrls(base.TestCase):

    def url(self, value):
        self.flags(group='coordination', backend_url=value)
        return coordination.backend_url(self.conf)

    def test_default_is_lock_files_under_state_path(self):
        self.assertEqual(f'file://{self.conf.state_path}/locks',
                         self.url(self.conf.coordination.backend_url))

    def test_sqlalchemy_urls_become_tooz_urls(self):
        self.assertEqual(
            'mysql://u:p@db/staffeln?charset=utf8mb4',
            self.url('mysql+pymysql://u:p@db/staffeln?charset=utf8mb4'))
        self.assertEqual(
            'postgresql://u@db:5432/staffeln',
            self.url('postgresql+psycopg2://u@db:5432/staffeln'))
        self.assertEqual('redis://r:6379', self.url('redis://r:6379'))

    def test_password_is_masked(self):
        self.assertEqual('redis://:***@r:6379',
                         coordination.safe_url('redis://:hunter2@r:6379'))
        self.assertEqual('mysql://u:***@db/s',
                         coordination.safe_url('mysql://u:pw@db/s'))
        self.assertEqual('file:///x', coordination.safe_url('file:///x'))

    def test_time_to_live_follows_leader_timeout(self):
        timeout = datetime.timedelta(seconds=7.5)
        sync = {'executor': 'synchronous'}
        self.assertEqual(
            {'lock_timeout': '8', 'membership_timeout': '8', **sync},
            backend.driver_options('redis://r:6379', timeout))
        self.assertEqual(
            {'membership_timeout': '8', **sync},
            backend.driver_options('redis://r:6379?lock_timeout=3',
                                   timeout))
        self.assertEqual({'timeout': '8', **sync},
                         backend.driver_options('zookeeper://z:2181',
                                                timeout))
        self.assertEqual(sync, backend.driver_options('mysql://db/s',
                                                      timeout))
        self.assertEqual({}, backend.driver_options(
            'file:///x?executor=threaded', timeout))

    def test_options(self):
        group = self.conf.coordination
        self.assertEqual(('staffeln', datetime.timedelta(seconds=30), 5.0),
                         (group.namespace, group.leader_timeout,
                          group.heartbeat_interval))
        for name, value in (('namespace', 'a b'), ('namespace', ''),
                            ('leader_timeout', '1s'),
                            ('heartbeat_interval', 0)):
            self.assertRaises(ValueError, self.flags, group='coordination',
                              **{name: value})
