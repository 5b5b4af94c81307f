"""Webhooks after conductor cycles, delivered to a real loopback receiver.

The conductor runs against the simulated cloud and a real database; the
retry delays go through an injected sleep that only records them.
"""

import datetime
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys

from prometheus_client import parser

from staffeln.api import app as api_app
from staffeln.cloud import client as cloud_client
from staffeln.conductor import manager as manager_mod
from staffeln.conductor import webhook_content
from staffeln.conductor import webhooks
from staffeln.db import api_webhooks
from staffeln.tests.functional.conductor import base
from staffeln.tests.functional.conductor import test_cycle_report
from staffeln.tests.functional import db_fixture
from staffeln.tests.functional.webhooks import receiver as receiver_mod

load_tests = base.load_tests

HOUR = datetime.timedelta(hours=1)
MANAGE = os.path.join(os.path.dirname(sys.executable), 'staffeln-manage')


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class WebhookTestCase(base.ConductorTestCase):

    def make_clock(self):
        # A clock that moves as a real one does while a cycle runs.
        return test_cycle_report.TickingClock()

    def setUp(self):
        super().setUp()
        self.flags(group='webhook', retries=3, retry_delay='5s')
        self.sleeps: list[float] = []
        self.acme = self.tenant('acme')
        self.web = self.server(self.acme, 'web')

    def make_manager(self):
        cloud = cloud_client.Cloud(self.conf, sleep=lambda s: None)
        self.dispatcher = webhooks.Dispatcher(self.conf,
                                              sleep=self.sleeps.append)
        hooks = webhooks.Webhooks(self.conf, self.clock, self.dispatcher)
        return manager_mod.Manager(self.conf, cloud, self.clock,
                                   webhooks=hooks)

    def cycle(self, mgr):
        self.clock.advance(HOUR)
        return mgr.run_once(self.context)

    def scrape(self) -> dict:
        """The metrics, as staffeln-api serves them."""
        app = api_app.create_app(self.conf)
        response = app.test_client().get('/metrics')
        self.assertEqual(200, response.status_code)
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for f in parser.text_string_to_metric_families(
                    response.get_data(as_text=True))
                for s in f.samples}

    def delivery(self, target=api_webhooks.GLOBAL):
        return api_webhooks.get_delivery(self.context, target)


class TestGlobalWebhook(WebhookTestCase):

    def test_signed_retried_after_500_and_delivered_once(self):
        receiver = self.useFixture(receiver_mod.Receiver(statuses=[500]))
        self.flags(group='webhook', url=receiver.url, secret='s3cret')
        self.sim.cloud.fail_next_backups(self.web.volume_ids[0],
                                         reason='disk on fire')
        mgr = self.make_manager()
        self.cycle(mgr)
        self.dispatcher.drain()
        # 500, then 200 after one retry delay: the same delivery twice.
        self.assertEqual(2, len(receiver.requests))
        self.assertEqual([5.0], self.sleeps)
        (first, body), (second, again) = receiver.requests
        self.assertEqual(body, again)
        self.assertEqual(first['X-Staffeln-Delivery'],
                         second['X-Staffeln-Delivery'])
        expected = 'sha256=' + hmac.new(b's3cret', body,
                                        hashlib.sha256).hexdigest()
        self.assertTrue(hmac.compare_digest(
            expected, second['X-Staffeln-Signature']))
        doc = json.loads(body)
        self.assertEqual({'backups': 0, 'failures': 1, 'out_of_policy': 0,
                          'drills_failed': 0},
                         doc['summary'])
        [project] = doc['projects']
        self.assertEqual(self.acme.id, project['project_id'])
        self.assertIn('disk on fire', project['failures'][0]['reason'])
        state = self.delivery()
        self.assertEqual(0, state.failures)
        self.assertIsNotNone(state.last_sent_at)
        self.assertIsNone(state.claimed_by)
        # The next cycle has a good backup and nothing to report: the
        # failure is not sent again.
        self.cycle(mgr)
        self.dispatcher.drain()
        self.assertEqual(2, len(receiver.requests))

    def test_a_dead_receiver_is_retried_next_cycle(self):
        self.flags(group='webhook',
                   url=f'http://127.0.0.1:{free_port()}/hook', retries=2)
        self.sim.cloud.fail_next_backups(self.web.volume_ids[0])
        mgr = self.make_manager()
        self.cycle(mgr)
        self.dispatcher.drain()
        self.assertEqual([5.0, 10.0], self.sleeps)
        state = self.delivery()
        self.assertEqual(1, state.failures)
        self.assertIn('cannot reach', state.last_error)
        self.assertEqual(1, self.scrape()[
            ('staffeln_webhook_failures', (('target', 'global'),))])
        period_end = state.period_end
        # The receiver comes back: the next cycle sends the failed period,
        # extended to its own time.
        receiver = self.useFixture(receiver_mod.Receiver())
        self.flags(group='webhook', url=receiver.url)
        self.cycle(mgr)
        self.dispatcher.drain()
        [(_, body)] = receiver.requests
        doc = json.loads(body)
        self.assertEqual(period_end.isoformat(), doc['period_start'])
        self.assertEqual(1, doc['summary']['failures'])
        self.assertEqual(0, self.delivery().failures)
        found = self.scrape()
        self.assertEqual(0, found[('staffeln_webhook_failures',
                                   (('target', 'global'),))])
        self.assertEqual(
            self.delivery().last_sent_at.timestamp(),
            found[('staffeln_webhook_last_sent_timestamp_seconds',
                   (('target', 'global'),))])

    def test_a_receiver_that_does_not_answer_delays_nothing(self):
        receiver = self.useFixture(receiver_mod.Receiver(hold=True))
        self.flags(group='webhook', url=receiver.url, events='all')
        mgr = self.make_manager()
        result = self.cycle(mgr)
        # The cycle is over while the receiver still holds the POST.
        self.assertTrue(result.ok, result.errors)
        self.assertTrue(receiver.held.wait(30))
        self.assertIsNone(self.delivery().last_sent_at)
        receiver.release()
        self.dispatcher.drain()
        self.assertIsNotNone(self.delivery().last_sent_at)
        self.assertEqual([], self.sleeps)


class TestProjectWebhook(WebhookTestCase):

    def test_every_cycle_slack_body_unsigned(self):
        receiver = self.useFixture(receiver_mod.Receiver())
        api_webhooks.set_project_webhook(
            self.context, self.acme.id, receiver.url, None, 'all', 'slack',
            self.clock.now())
        other = self.tenant('other')
        self.server(other, 'db')
        mgr = self.make_manager()
        for _ in range(2):
            self.cycle(mgr)
            self.dispatcher.drain()
        self.assertEqual(2, len(receiver.requests))
        for headers, body in receiver.requests:
            self.assertNotIn('X-Staffeln-Signature', headers)
            doc = json.loads(body)
            self.assertEqual(['text'], list(doc))
            self.assertIn('Staffeln', doc['text'])
        # The first cycle made the first backup of acme's volume only.
        self.assertIn('1 backups made, 0 failed',
                      json.loads(receiver.requests[0][1])['text'])
        self.assertIsNone(self.delivery())
        self.assertIsNotNone(self.delivery(
            api_webhooks.project_target(self.acme.id)).last_sent_at)


class TestWebhookCommands(WebhookTestCase):
    """staffeln-manage webhook and run-once as an operator runs them."""

    scenarios = db_fixture.scenarios(('sqlite',))

    def manage(self, *args):
        return subprocess.run([MANAGE, '--config-file', self.config, *args],
                              capture_output=True, text=True, timeout=300)

    def test_set_run_once_list_unset(self):
        self.sim.cloud.backup_duration = 0
        receiver = self.useFixture(receiver_mod.Receiver())
        self.config = self.write_config(
            conductor={'run_once_poll_interval': 0})
        bad = self.manage('webhook', 'set', self.acme.id, '--url',
                          'ftp://example.org/x')
        self.assertEqual(2, bad.returncode)
        self.assertIn('http or https URL', bad.stderr)
        done = self.manage('webhook', 'set', self.acme.id, '--url',
                           receiver.url, '--events', 'all', '--secret', 'k')
        self.assertEqual((0, ''), (done.returncode, done.stderr))
        # run-once ends once its webhooks are delivered.
        self.sim.cloud.fail_next_backups(self.web.volume_ids[0])
        self.assertEqual(1, self.manage('run-once').returncode)
        [(headers, body)] = receiver.requests
        self.assertEqual(1, json.loads(body)['summary']['failures'])
        self.assertEqual(webhook_content.signature('k', body),
                         headers['X-Staffeln-Signature'])
        listing = self.manage('webhook', 'list').stdout
        self.assertIn(f'project:{self.acme.id}', listing)
        self.assertIn(receiver.url, listing)
        self.assertEqual(0, self.manage('webhook', 'unset',
                                        self.acme.id).returncode)
        self.assertEqual(1, self.manage('webhook', 'unset',
                                        self.acme.id).returncode)
        self.assertIn('(none)', self.manage('webhook', 'list').stdout)
