"""Coordination after a pause, a duplicate host name, a silent backend.

Real Redis: a lock's time to live runs out while a conductor is paused
(SIGSTOP, a frozen VM); here the key is removed the way Redis expires it.
"""

import os
import socket
import threading
import uuid

import fixtures
from oslo_config import cfg
import redis

from staffeln.common import coordination
from staffeln.conductor import service
from staffeln import conf as staffeln_conf
from staffeln.tests import base

REDIS_URL = os.environ.get('STAFFELN_TEST_REDIS_URL',
                           'redis://127.0.0.1:6379')


class RedisTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.namespace = 'test' + uuid.uuid4().hex[:8]
        self.redis = redis.Redis.from_url(REDIS_URL)
        self.addCleanup(self._clean)
        self.logger = self.useFixture(fixtures.FakeLogger(
            name='staffeln'))

    def _clean(self):
        for key in self.redis.scan_iter(f'*{self.namespace}*'):
            self.redis.delete(key)
        self.redis.close()

    def coordinator(self, host: str, url: str = REDIS_URL):
        conf = cfg.ConfigOpts()
        staffeln_conf.register_opts(conf)
        conf([], project='staffeln', default_config_files=[],
             default_config_dirs=[])
        conf.set_override('host', host)
        conf.set_override('backend_url', url, group='coordination')
        conf.set_override('namespace', self.namespace, group='coordination')
        conf.set_override('leader_timeout', '4s', group='coordination')
        conf.set_override('heartbeat_interval', 1.0, group='coordination')
        node = coordination.Coordinator(conf)
        self.addCleanup(node.stop)
        return node

    def expire(self, host: str) -> None:
        """What Redis does to the locks of a conductor paused too long."""
        keys = list(self.redis.scan_iter(
            f'*{self.namespace}.conductor.{host}*'))
        keys += list(self.redis.scan_iter(f'*{self.namespace}.leader*'))
        self.assertTrue(keys)
        self.redis.delete(*keys)

    def alive(self) -> dict:
        observer = self.coordinator('manage')
        observer.start(join=False)
        try:
            return {m.host: m.alive for m in observer.members()}
        finally:
            observer.stop()


class TestPause(RedisTestCase):

    def test_the_host_lock_is_taken_again_after_a_long_pause(self):
        a = self.coordinator('a')
        a.start()
        self.assertTrue(a.heartbeat())
        self.expire('a')
        self.assertEqual({'a': False}, self.alive())
        # The next heartbeat takes both locks again.
        a.heartbeat()
        self.assertEqual({'a': True}, self.alive())
        self.assertTrue(a.heartbeat())
        self.assertIn('took its host name lock again', self.logger.output)
        self.assertNotIn('Traceback', self.logger.output)

    def test_a_namesake_that_started_meanwhile_stops_the_paused_one(self):
        a = self.coordinator('a')
        a.start()
        a.heartbeat()
        self.expire('a')
        namesake = self.coordinator('a')
        namesake.start()
        self.assertRaises(coordination.DuplicateConductor, a.heartbeat)

    def test_the_conductor_service_exits_on_a_namesake(self):
        a = self.coordinator('a')
        a.start()
        exits = []
        svc = service.ConductorService(a.conf, manager=None, coordinator=a,
                                       steps=[],
                                       exit_process=lambda: exits.append(1))
        self.expire('a')
        self.coordinator('a').start()
        svc.heartbeat()
        self.assertEqual([1], exits)
        self.assertIn('Conductor a stops: conductor a lost its lock',
                      self.logger.output)


class TestSilentBackend(RedisTestCase):

    def test_a_backend_that_never_answers_is_an_error_in_bounded_time(self):
        listener = socket.socket()
        listener.bind(('127.0.0.1', 0))
        listener.listen(8)
        self.addCleanup(listener.close)
        accepted = []
        stop = threading.Event()

        def accept():
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    accepted.append(listener.accept()[0])
                except OSError:
                    continue
        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        self.addCleanup(stop.set)
        port = listener.getsockname()[1]
        node = self.coordinator('a', url=f'redis://127.0.0.1:{port}')
        error = self.assertRaises(coordination.CoordinationError, node.start)
        self.assertIn('no answer from the coordination backend', str(error))
        self.assertFalse(node.heartbeat())
        self.assertIn('coordination fails, this conductor does not lead',
                      self.logger.output)
