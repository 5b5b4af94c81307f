"""Notifications through a real RabbitMQ, received by a real listener.

RabbitMQ runs on loopback; its URL comes from ``STAFFELN_TEST_RABBIT_URL``
(default ``rabbit://guest:guest@127.0.0.1:5672/``). Each test listens on
topics of its own and deletes its queues afterwards.
"""

import os
import queue
import uuid

import kombu
import oslo_messaging

from staffeln.common import notifications
from staffeln.db import states
from staffeln.tests.functional.report import base

RABBIT_URL = os.environ.get('STAFFELN_TEST_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')
PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical',
              'sample')
#: How long a test waits for a notification that should arrive.
TIMEOUT = 30

HOUR = base.HOUR
DAY = base.DAY
T0 = base.T0


class _Endpoint:
    def __init__(self):
        self.received = queue.Queue()

    def _record(self, priority, ctxt, publisher_id, event_type, payload,
                metadata):
        self.received.put({'priority': priority,
                           'publisher_id': publisher_id,
                           'event_type': event_type, 'payload': payload})

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self._record('info', ctxt, publisher_id, event_type, payload,
                     metadata)

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        self._record('error', ctxt, publisher_id, event_type, payload,
                     metadata)


class TestRabbitMQNotifications(base.DigestTestCase):

    backend = 'sqlite'

    def setUp(self):
        super().setUp()
        self.topic = 'staffeln-test-' + uuid.uuid4().hex[:12]
        self.addCleanup(self._delete_queues)
        self.flags(group='oslo_messaging_notifications',
                   driver=['messagingv2'], transport_url=RABBIT_URL,
                   topics=[self.topic], retry=3)
        self.endpoint = _Endpoint()
        transport = oslo_messaging.get_notification_transport(self.conf)
        self.addCleanup(transport.cleanup)
        listener = oslo_messaging.get_notification_listener(
            transport,
            [oslo_messaging.Target(topic=self.topic, exchange='staffeln')],
            [self.endpoint], executor='threading')
        listener.start()
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)
        self.notifier = notifications.Notifier(self.conf)
        self.addCleanup(self.notifier.cleanup)

    def _delete_queues(self):
        url = RABBIT_URL.replace('rabbit://', 'amqp://', 1)
        with kombu.Connection(url) as conn:
            channel = conn.channel()
            for priority in PRIORITIES:
                channel.queue_delete(f'{self.topic}.{priority}')

    def next_notification(self):
        return self.endpoint.received.get(timeout=TIMEOUT)

    def test_backup_events(self):
        self.assertTrue(self.notifier.enabled)
        task = self.add_task('p-web', 'v-root', states.AVAILABLE,
                             volume_name='root', server_id='srv-1',
                             server_name='web-1', backup_type='incremental',
                             finished_at=T0 + HOUR, size_gb=42)
        failed = self.add_task('p-web', 'v-data', states.FAILED,
                               volume_name='data', finished_at=T0 + HOUR,
                               reason='quota exceeded')
        deleted = self.add_task('p-web', 'v-root', states.DELETED,
                                volume_name='root', finished_at=T0 - DAY,
                                deleted_at=T0 + 2 * HOUR)

        self.notifier.backup_create_start(task)
        self.notifier.backup_create_end(task)
        self.notifier.backup_create_error(failed)
        self.notifier.backup_delete_end(deleted)

        got = [self.next_notification() for _ in range(4)]
        self.assertEqual(
            [('info', 'staffeln.backup.create.start'),
             ('info', 'staffeln.backup.create.end'),
             ('error', 'staffeln.backup.create.error'),
             ('info', 'staffeln.backup.delete.end')],
            [(n['priority'], n['event_type']) for n in got])
        self.assertEqual({'staffeln.conductor-1'},
                         {n['publisher_id'] for n in got})
        self.assertEqual({
            'task_uuid': task.uuid,
            'backup_id': task.backup_id,
            'backup_name': task.backup_name,
            'backup_type': 'incremental',
            'project_id': 'p-web',
            'volume_id': 'v-root',
            'volume_name': 'root',
            'server_id': 'srv-1',
            'server_name': 'web-1',
            'size_gb': 42,
            'status': 'available',
            'reason': None,
            'created_at': '2026-03-01T00:50:00+00:00',
            'started_at': '2026-03-01T00:50:00+00:00',
            'finished_at': '2026-03-01T01:00:00+00:00',
            'deleted_at': None,
        }, got[1]['payload'])
        self.assertEqual(
            ('failed', 'quota exceeded', failed.uuid, None),
            tuple(got[2]['payload'][k] for k in
                  ('status', 'reason', 'task_uuid', 'backup_id')))
        self.assertEqual(
            ('deleted', deleted.backup_id, '2026-03-01T02:00:00+00:00'),
            tuple(got[3]['payload'][k] for k in
                  ('status', 'backup_id', 'deleted_at')))

    def test_report_sent(self):
        self.add_project('p-web', 'web', users=['alice@example.org'])
        self.reported_until('p-web', T0)
        self.add_task('p-web', 'v-root', states.AVAILABLE,
                      finished_at=T0 + HOUR)
        self.clock.set(T0 + DAY)

        [result] = self.reporter().run(self.context)

        notification = self.next_notification()
        self.assertEqual(
            ('info', 'staffeln.report.send.end', 'staffeln.conductor-1'),
            (notification['priority'], notification['event_type'],
             notification['publisher_id']))
        self.assertEqual({
            'project_id': 'p-web',
            'recipients': [base.OPERATOR, 'alice@example.org',
                           'web@' + base.DOMAIN],
            'period_start': '2026-03-01T00:00:00+00:00',
            'period_end': '2026-03-02T00:00:00+00:00',
        }, notification['payload'])
        self.assertEqual(result.recipients,
                         notification['payload']['recipients'])
        self.assertTrue(self.endpoint.received.empty())
