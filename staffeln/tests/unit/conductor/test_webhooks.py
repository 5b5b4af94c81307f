"""Webhook bodies, signatures and the dispatcher's retries (no network)."""

import datetime
import hashlib
import hmac
import json

from staffeln.conductor import report_content
from staffeln.conductor import webhook_content
from staffeln.conductor import webhooks
from staffeln.tests import base

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)


def hook(**values) -> webhook_content.Hook:
    fields = dict(target='global', url='http://127.0.0.1:9/hook',
                  secret='k', events='failures', body_format='json')
    fields.update(values)
    return webhook_content.Hook(**fields)


def digest() -> report_content.Digest:
    d = report_content.Digest(project_id='p1', period_start=T0,
                              period_end=T0 + HOUR)
    d.failures.append(report_content.FailureLine(
        volume_id='v1', volume_name='data', server_id='s1',
        server_name='web', backup_id=None, backup_type='full',
        reason='Cinder: disk on fire', finished_at=T0))
    d.out_of_policy.append(report_content.OutOfPolicyLine(
        volume_id='v2', volume_name=None, server_id='s1', server_name='web',
        interval=6 * HOUR, last_backup_at=None, age=None))
    return d


class TestContent(base.TestCase):

    def test_json_body_is_signed(self):
        delivery = webhook_content.build(hook(), [digest()], T0, T0 + HOUR)
        expected = hmac.new(b'k', delivery.body, hashlib.sha256).hexdigest()
        self.assertEqual(f'sha256={expected}',
                         delivery.headers['X-Staffeln-Signature'])
        doc = json.loads(delivery.body)
        self.assertEqual({'backups': 0, 'failures': 1, 'out_of_policy': 1,
                          'drills_failed': 0},
                         doc['summary'])
        self.assertEqual(21600, doc['projects'][0]['out_of_policy'][0][
            'interval_seconds'])
        self.assertEqual(f'global/{(T0 + HOUR).isoformat()}',
                         delivery.headers['X-Staffeln-Delivery'])

    def test_slack_body_and_no_secret(self):
        delivery = webhook_content.build(
            hook(secret=None, body_format='slack'), [digest()], T0,
            T0 + HOUR)
        self.assertNotIn('X-Staffeln-Signature', delivery.headers)
        text = json.loads(delivery.body)['text']
        self.assertIn('0 backups made, 1 failed, 1 volumes out of policy',
                      text)
        self.assertIn('volume data failed: Cinder: disk on fire', text)
        self.assertIn('volume v2 has no backup since it was first seen',
                      text)

    def test_trouble(self):
        quiet = report_content.Digest(project_id='p1', period_start=T0,
                                      period_end=T0 + HOUR)
        self.assertFalse(webhook_content.has_trouble([quiet]))
        self.assertTrue(webhook_content.has_trouble([quiet, digest()]))


class TestDispatcher(base.TestCase):

    def dispatcher(self, answers):
        self.flags(group='webhook', retries=3, retry_delay='2s')
        self.sleeps = []
        self.posts = []

        def poster(url, body, headers, timeout, ca_file):
            self.posts.append(url)
            answer = answers.pop(0)
            if answer != 200:
                raise webhooks.DeliveryError(f'{url} answered {answer}')
            return answer
        return webhooks.Dispatcher(self.conf, sleep=self.sleeps.append,
                                   poster=poster)

    def delivery(self):
        return webhook_content.build(hook(), [], T0, T0 + HOUR)

    def test_doubling_delays_until_it_works(self):
        sender = self.dispatcher([500, 502, 200])
        self.assertIsNone(sender.deliver(self.delivery()))
        self.assertEqual([2.0, 4.0], self.sleeps)
        self.assertEqual(3, len(self.posts))

    def test_gives_up_after_the_retries(self):
        sender = self.dispatcher([500] * 4)
        error = sender.deliver(self.delivery())
        self.assertIn('answered 500', error)
        self.assertEqual([2.0, 4.0, 8.0], self.sleeps)

    def test_send_runs_in_the_background_and_reports(self):
        sender = self.dispatcher([200])
        outcomes = []
        sender.send(self.delivery(), outcomes.append)
        sender.drain()
        self.assertEqual([None], outcomes)
