"""Event-driven discovery: Nova's and Cinder's notifications on RabbitMQ.

The simulated cloud sends the notifications Nova and Cinder send, on a
real RabbitMQ (``STAFFELN_TEST_RABBIT_URL``, default the loopback one),
on exchanges of this test's own; the conductor's real listener hears
them. The leader's discovery is driven tick by tick with an injected
monotonic clock: nothing waits for time to pass, only for a message to
arrive.
"""

import os
import threading
import uuid

import kombu

from staffeln.conductor import events
from staffeln.conductor import service
from staffeln.db import states
from staffeln.tests.functional.conductor import base
from staffeln.tests.simcloud import notifications

load_tests = base.load_tests
RABBIT_URL = os.environ.get('STAFFELN_TEST_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')
#: How long a test waits for a notification that should arrive.
TIMEOUT = 30


class LeadingCoordinator:
    is_leader = True
    term = 1

    def stop(self):
        pass


class MonotonicClock:

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class TestEvents(base.ConductorTestCase):

    scenarios = [s for s in base.ConductorTestCase.scenarios
                 if s[0] in ('sqlite', 'postgresql')]

    def setUp(self):
        super().setUp()
        suffix = uuid.uuid4().hex[:12]
        self.pool = f'staffeln-test-{suffix}'
        self.flags(group='events', listen=True, transport_url=RABBIT_URL,
                   exchanges=[f'nova-{suffix}', f'cinder-{suffix}'],
                   pool=self.pool)
        self.emitter = notifications.Emitter(
            RABBIT_URL, nova_exchange=f'nova-{suffix}',
            cinder_exchange=f'cinder-{suffix}')
        self.addCleanup(self.emitter.close)
        self.sim.cloud.emitter = self.emitter
        self.acme = self.tenant('acme')

        self.manager = self.make_manager()
        self.monotonic = MonotonicClock()
        self.service = service.ConductorService(
            self.conf, self.manager, LeadingCoordinator(),
            monotonic=self.monotonic)
        self.heard = threading.Condition()
        self.woken = []
        listener = events.Listener(self.conf, self.wake)
        listener.start()
        self.addCleanup(self._delete_queue)
        self.addCleanup(listener.stop)
        [self.discovery] = [s for s in self.service.steps
                            if s.name == 'discovery']
        # A new leader discovers at once: nothing is opted in yet.
        self.assertTrue(self.service.leader_tick(self.discovery))
        self.assertEqual([], self.tasks())

    def _delete_queue(self):
        with kombu.Connection(RABBIT_URL.replace('rabbit', 'amqp', 1)) as c:
            c.channel().queue_delete(self.pool)

    def wake(self, step):
        self.service.wake(step)
        with self.heard:
            self.woken.append(step)
            self.heard.notify_all()

    def wait_for(self, step):
        with self.heard:
            self.assertTrue(self.heard.wait_for(
                lambda: step in self.woken, timeout=TIMEOUT),
                f'no notification woke the {step}: {self.woken}')
            self.woken.clear()

    def opt_in(self, server):
        conn = self.sim.connect(project='acme', user='acme-user',
                                password='secret')
        conn.compute.set_server_metadata(server.id, backup='yes')

    def test_a_server_opted_in_now_is_backed_up_before_the_next_discovery(
            self):
        server = self.server(self.acme, 'web', volumes=2, opted_in=False)
        self.opt_in(server)
        self.wait_for(events.DISCOVERY)
        # One tick later (the gap between event-driven discoveries), long
        # before the hourly discovery: queued and started at once.
        self.monotonic.now += (
            self.conf.events.min_discovery_gap.total_seconds())
        self.assertTrue(self.service.leader_tick(self.discovery))
        tasks = self.tasks()
        self.assertEqual({states.CREATING}, {t.status for t in tasks})
        self.assertEqual(set(server.volume_ids),
                         {t.volume_id for t in tasks})

        # Cinder says the backups ended (when they do, as the simulated
        # time passes): they are recorded now, not at the next poll.
        self.sim.cloud.advance(self.sim.cloud.backup_duration)
        self.wait_for(events.POLL)
        self.assertTrue(self.service.event_poll())
        self.assertEqual({states.AVAILABLE},
                         {t.status for t in self.tasks()})

    def test_a_duplicated_notification_makes_no_second_backup(self):
        server = self.server(self.acme, 'web', opted_in=False)
        self.opt_in(server)
        self.wait_for(events.DISCOVERY)
        self.monotonic.now += 60
        self.assertTrue(self.service.leader_tick(self.discovery))
        # The same notification, twice more.
        for _ in range(2):
            self.emitter.server_updated(self.sim.cloud.servers.get(server.id))
        self.wait_for(events.DISCOVERY)
        self.monotonic.now += 60
        self.service.leader_tick(self.discovery)
        self.assertEqual(1, len(self.tasks()))
        self.assertEqual(1, len(self.backups()))

    def test_a_lost_notification_is_caught_by_the_periodic_discovery(self):
        server = self.server(self.acme, 'web', opted_in=False)
        self.sim.cloud.emitter = None     # the bus loses it
        self.opt_in(server)
        self.monotonic.now += 60
        self.assertFalse(self.service.leader_tick(self.discovery))
        self.assertEqual([], self.tasks())
        self.monotonic.now += (
            self.conf.conductor.discovery_interval.total_seconds())
        self.assertTrue(self.service.leader_tick(self.discovery))
        self.assertEqual(1, len(self.tasks()))
