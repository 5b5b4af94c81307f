"""Shared set-up of the digest tests: a real database, a real SMTP server,
a manual clock and a fake cloud."""

import datetime
import re
import uuid

from staffeln.common import clock as clock_mod
from staffeln.common import context as context_mod
from staffeln.conductor import report
from staffeln.db import api as db_api
from staffeln.db import api_reports
from staffeln.db import states
from staffeln.tests import base
from staffeln.tests.functional import db_fixture
from staffeln.tests.functional.report import smtp_fixture
from staffeln.tests.unit.report import fakes

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

SENDER = 'staffeln@cloud.example'
OPERATOR = 'ops@cloud.example'
ROLE = 'backup-reader'
DOMAIN = 'tenants.example'


class RecordingNotifier:
    def __init__(self):
        self.sent = []

    def report_sent(self, project_id, recipients, period_start, period_end):
        self.sent.append((project_id, list(recipients), period_start,
                          period_end))


class DigestTestCase(base.TestCase):
    """One database backend (a scenario) and one SMTP server."""

    smtp_mode = smtp_fixture.PLAIN

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database(self.backend))
        self.context = context_mod.get_admin_context()
        self.clock = clock_mod.ManualClock(T0)
        self.cloud = fakes.FakeCloud()
        self.notifier = RecordingNotifier()
        self.certs = None
        if self.smtp_mode != smtp_fixture.PLAIN:
            self.certs = self.useFixture(smtp_fixture.Certificates())
        self.smtp = self.useFixture(
            smtp_fixture.SMTPServer(self.smtp_mode, self.certs))
        self.flags(host='conductor-1')
        self.flags(group='notification', sender=SENDER, receivers=[OPERATOR],
                   project_receiver_role=ROLE,
                   project_receiver_domain=DOMAIN, smtp_timeout='10s',
                   **self.smtp.conf_flags())

    def reporter(self, clock=None) -> report.Reporter:
        return report.Reporter(self.conf, self.cloud, clock or self.clock,
                               self.notifier)

    # -- seeding -----------------------------------------------------------
    def add_project(self, project_id, name, users=(), **quota):
        self.cloud.add_project(project_id, name, **quota)
        self.cloud.emails[(project_id, ROLE)] = list(users)

    def reported_until(self, project_id, when):
        """Pretend the project's digests went out up to ``when``."""
        api_reports.ensure_report(self.context, project_id, when, when)

    def add_volume(self, project_id, volume_id, name, server_id='srv-1',
                   server_name='web-1', interval=DAY, created_at=None,
                   **values):
        record = dict(id=volume_id, project_id=project_id, name=name,
                      server_id=server_id, server_name=server_name,
                      size_gb=10, status='in-use',
                      interval_s=int(interval.total_seconds()),
                      created_at=created_at or T0 - 30 * DAY)
        record.update(values)
        db_api.save_volumes(self.context, [record], seen_at=self.clock.now())

    def add_task(self, project_id, volume_id, status, finished_at=None,
                 started_at=None, volume_name=None, server_id='srv-1',
                 server_name='web-1', backup_type='full', **values):
        backup_id = None
        if status not in (states.QUEUED, states.FAILED):
            backup_id = str(uuid.uuid4())
        if started_at is None and finished_at is not None:
            started_at = finished_at - 10 * datetime.timedelta(minutes=1)
        task = dict(project_id=project_id, volume_id=volume_id,
                    volume_name=volume_name or f'vol-{volume_id}',
                    server_id=server_id, server_name=server_name,
                    backup_type=backup_type, status=status,
                    backup_id=backup_id,
                    backup_name=f'{volume_name or volume_id}-backup',
                    size_gb=10, started_at=started_at,
                    finished_at=finished_at,
                    created_at=started_at or self.clock.now())
        task.update(values)
        return db_api.create_task(self.context, task)

    # -- reading what was received -----------------------------------------
    @staticmethod
    def parts(received):
        """The text and HTML parts of a received digest."""
        message = received.message
        assert message.get_content_type() == 'multipart/alternative', (
            message.get_content_type())
        parts = {part.get_content_type(): part.get_content()
                 for part in message.iter_parts()}
        return parts['text/plain'], parts['text/html']

    @staticmethod
    def quota_rows(html):
        """``{resource: (level, cell style)}`` from the HTML quota table."""
        rows = {}
        for match in re.finditer(
                r'<tr class="quota-(\w+)" data-resource="(\w+)" '
                r'data-level="(\w+)">(.*?)</tr>', html, re.S):
            css_level, resource, level, cells = match.groups()
            assert css_level == level
            used_cell = re.findall(r'<td style="([^"]*)">', cells)[-1]
            rows[resource] = (level, used_cell)
        return rows
