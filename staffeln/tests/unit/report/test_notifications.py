"""Notifications with oslo.messaging's in-memory test driver."""

import datetime
import types

import fixtures
import oslo_messaging
from oslo_messaging.notify import _impl_test

from staffeln.common import notifications
from staffeln.tests import base

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)


def make_task(**kw):
    values = dict(
        uuid='t-1', backup_id='b-1', backup_name='data-1',
        backup_type='full', project_id='p1', volume_id='v1',
        volume_name='data', server_id='s1', server_name='web-1', size_gb=10,
        status='available', reason=None, created_at=T0,
        started_at=T0 + datetime.timedelta(minutes=1),
        finished_at=datetime.datetime(2026, 3, 1, 1, 0),  # naive is UTC
        deleted_at=None)
    values.update(kw)
    return types.SimpleNamespace(**values)


class TestNotifier(base.TestCase):

    def setUp(self):
        super().setUp()
        _impl_test.reset()
        self.addCleanup(_impl_test.reset)
        self.flags(host='conductor-1')

    def notifier(self):
        self.flags(group='oslo_messaging_notifications', driver=['test'])
        transport = oslo_messaging.get_notification_transport(
            self.conf, url='fake://')
        self.addCleanup(transport.cleanup)
        return notifications.Notifier(self.conf, transport=transport)

    def sent(self):
        return [(priority, message['event_type'], message['publisher_id'],
                 message['payload'])
                for _, message, priority, _ in _impl_test.NOTIFICATIONS]

    def test_disabled_by_default(self):
        self.assertEqual([], self.conf.oslo_messaging_notifications.driver)
        get_transport = self.useFixture(fixtures.MockPatchObject(
            oslo_messaging, 'get_notification_transport')).mock
        notifier = notifications.Notifier(self.conf)
        self.assertFalse(notifier.enabled)
        notifier.backup_create_end(make_task())
        notifier.report_sent('p1', [], T0, T0)
        get_transport.assert_not_called()
        self.flags(group='oslo_messaging_notifications', driver=['noop'])
        self.assertFalse(notifications.Notifier(self.conf).enabled)

    def test_backup_events(self):
        notifier = self.notifier()
        # Published on Staffeln's own exchange, like nova's or cinder's.
        self.assertEqual('staffeln', self.conf.control_exchange)
        task = make_task()
        notifier.backup_create_start(task)
        notifier.backup_create_end(task)
        notifier.backup_create_error(make_task(status='failed',
                                               reason='quota exceeded',
                                               backup_id=None))
        notifier.backup_delete_end(make_task(status='deleted',
                                             deleted_at=T0))
        sent = self.sent()
        self.assertEqual(
            [('INFO', 'staffeln.backup.create.start'),
             ('INFO', 'staffeln.backup.create.end'),
             ('ERROR', 'staffeln.backup.create.error'),
             ('INFO', 'staffeln.backup.delete.end')],
            [(s[0], s[1]) for s in sent])
        self.assertEqual({'staffeln.conductor-1'}, {s[2] for s in sent})
        self.assertEqual({
            'task_uuid': 't-1', 'backup_id': 'b-1',
            'backup_name': 'data-1', 'backup_type': 'full',
            'project_id': 'p1', 'volume_id': 'v1', 'volume_name': 'data',
            'server_id': 's1', 'server_name': 'web-1', 'size_gb': 10,
            'status': 'available', 'reason': None,
            'created_at': '2026-03-01T00:00:00+00:00',
            'started_at': '2026-03-01T00:01:00+00:00',
            'finished_at': '2026-03-01T01:00:00+00:00',
            'deleted_at': None,
        }, sent[1][3])
        self.assertEqual(('quota exceeded', None),
                         (sent[2][3]['reason'], sent[2][3]['backup_id']))
        self.assertEqual('2026-03-01T00:00:00+00:00',
                         sent[3][3]['deleted_at'])

    def test_report_sent(self):
        self.notifier().report_sent(
            'p1', ('a@example.org',), T0, T0 + datetime.timedelta(days=1))
        self.assertEqual(
            [('INFO', 'staffeln.report.send.end', 'staffeln.conductor-1',
              {'project_id': 'p1', 'recipients': ['a@example.org'],
               'period_start': '2026-03-01T00:00:00+00:00',
               'period_end': '2026-03-02T00:00:00+00:00'})],
            self.sent())

    def test_missing_attributes_are_null(self):
        payload = notifications.task_payload(types.SimpleNamespace(
            uuid='t-2', project_id='p1'))
        self.assertEqual('t-2', payload['task_uuid'])
        self.assertIsNone(payload['finished_at'])
        self.assertEqual(set(notifications.TASK_TIMES) | {
            'task_uuid', 'backup_id', 'backup_name', 'backup_type',
            'project_id', 'volume_id', 'volume_name', 'server_id',
            'server_name', 'size_gb', 'status', 'reason'}, set(payload))
