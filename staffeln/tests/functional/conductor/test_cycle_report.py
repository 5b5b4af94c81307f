"""run-once ends with the digests: simulated cloud, real SMTP server."""

from staffeln.cloud import client as cloud_client
from staffeln.common import clock
from staffeln.conductor import manager
from staffeln.conductor import report
from staffeln.tests.functional.conductor import base
from staffeln.tests.functional.report import smtp_fixture

load_tests = base.load_tests


class TickingClock(clock.ManualClock):
    """A manual clock that moves one second each time it is read."""

    def now(self):
        return self.advance(1)


class RecordingNotifier:
    def __init__(self):
        self.events = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.events.append(name)


class TestCycleReport(base.ConductorTestCase):

    def make_clock(self):
        return TickingClock()

    def setUp(self):
        super().setUp()
        self.smtp = self.useFixture(smtp_fixture.SMTPServer())
        self.flags(group='notification', sender='staffeln@cloud.test',
                   report_period='0s', project_receiver_role='member',
                   project_receiver_domain='tenants.test',
                   **self.smtp.conf_flags())

    def make_manager(self):
        cloud = cloud_client.Cloud(self.conf, sleep=lambda s: None)
        notifier = RecordingNotifier()
        reporter = report.Reporter(self.conf, cloud, self.clock, notifier)
        return manager.Manager(self.conf, cloud, self.clock, notifier,
                               reporter), notifier

    def test_each_active_project_gets_its_digest(self):
        acme = self.tenant('acme')
        self.tenant('idle')
        server = self.server(acme, 'web')
        mgr, notifier = self.make_manager()
        result = mgr.run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        self.assertEqual([(acme.id, 'sent')],
                         [(r.project_id, r.status) for r in result.reports])
        # The member's Keystone email and the per-project address.
        [received] = self.smtp.received
        self.assertEqual({'acme@example.org', 'acme@tenants.test'},
                         set(received.rcpt_tos))
        text = received.message.get_body(('plain',)).get_content()
        [backup] = self.backups()
        self.assertIn(backup['id'], text)
        self.assertIn(server.name, text)
        # Quota usage read from Cinder: 1 backup of the default 10.
        self.assertIn('10', text)
        self.assertEqual(['backup_create_start', 'backup_create_end',
                          'report_sent'], notifier.events)

    def test_nothing_is_sent_twice(self):
        acme = self.tenant('acme')
        self.server(acme, 'web')
        mgr, _ = self.make_manager()
        mgr.run_once(self.context)
        self.assertEqual(1, len(self.smtp.received))
        result = mgr.run_once(self.context)   # nothing new happened
        self.assertEqual([], result.reports)
        self.assertEqual(1, len(self.smtp.received))
