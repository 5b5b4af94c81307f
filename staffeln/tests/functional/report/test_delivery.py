"""Digests delivered through a real SMTP server, on every database.

Plain SMTP, STARTTLS with AUTH and implicit TLS (SMTPS) with AUTH; with
TLS the server's certificate is verified against ``smtp_ca_file``.
"""

import testscenarios

from staffeln.conductor import report
from staffeln.db import api_reports
from staffeln.db import states
from staffeln.tests.functional import db_fixture
from staffeln.tests.functional.report import base
from staffeln.tests.functional.report import smtp_fixture

load_tests = testscenarios.load_tests_apply_scenarios

HOUR = base.HOUR
DAY = base.DAY
T0 = base.T0

COLOURS = {
    'green': 'background:#d4edda',
    'yellow': 'background:#fff3cd',
    'red': 'background:#f8d7da',
}


class TestDelivery(base.DigestTestCase):

    scenarios = testscenarios.multiply_scenarios(
        db_fixture.scenarios(),
        [(mode, {'smtp_mode': mode}) for mode in smtp_fixture.MODES])

    def seed(self):
        self.add_project('p-web', 'web', users=['alice@example.org',
                                                'bob@example.org'],
                         backups=(10, 6, 1), gigabytes=(100, 20, 0))
        self.reported_until('p-web', T0)
        self.add_volume('p-web', 'v-root', 'root')
        self.add_volume('p-web', 'v-data', 'data')
        self.add_volume('p-web', 'v-logs', 'logs', server_id='srv-2',
                        server_name='db-1',
                        problems='backup_interval "2x" is not a '
                                 'duration; the default 1d is used')
        self.add_volume('p-web', 'v-tmp', 'scratch', server_id='srv-2',
                        server_name='db-1',
                        skip_reason='volume metadata backup_skip=yes')
        full = self.add_task('p-web', 'v-root', states.AVAILABLE,
                             volume_name='root', finished_at=T0 + HOUR,
                             started_at=T0 + HOUR - 25 * 60 * HOUR / 3600)
        incr = self.add_task('p-web', 'v-data', states.AVAILABLE,
                             volume_name='data', backup_type='incremental',
                             finished_at=T0 + 2 * HOUR)
        failed = self.add_task('p-web', 'v-data', states.FAILED,
                               volume_name='data', finished_at=T0 + 3 * HOUR,
                               reason='quota exceeded')
        # Retention deleted a backup made before the period.
        old = self.add_task('p-web', 'v-root', states.DELETED,
                            volume_name='root', finished_at=T0 - 9 * DAY,
                            deleted_at=T0 + 4 * HOUR)
        # The logs volume's last good backup is five days old.
        self.add_task('p-web', 'v-logs', states.AVAILABLE,
                      volume_name='logs', server_id='srv-2',
                      server_name='db-1', finished_at=T0 - 5 * DAY)
        # Outside the period: must not appear.
        later = self.add_task('p-web', 'v-root', states.AVAILABLE,
                              volume_name='root', finished_at=T0 + DAY)
        return full, incr, failed, old, later

    def test_digest_is_delivered(self):
        full, incr, failed, old, later = self.seed()
        self.clock.set(T0 + DAY)

        results = self.reporter().run(self.context)

        expected_to = [base.OPERATOR, 'alice@example.org', 'bob@example.org',
                       'web@' + base.DOMAIN]
        self.assertEqual(1, len(results))
        result = results[0]
        self.assertEqual(
            ('p-web', report.SENT, T0, T0 + DAY, expected_to),
            (result.project_id, result.status, result.period_start,
             result.period_end, result.recipients))
        self.assertEqual(1, len(self.smtp.received))
        received = self.smtp.received[0]
        self.assertEqual(base.SENDER, received.mail_from)
        self.assertEqual(expected_to, received.rcpt_tos)
        if self.smtp_mode == smtp_fixture.PLAIN:
            self.assertEqual((False, None), (received.tls, received.login))
        else:
            self.assertEqual((True, smtp_fixture.USER),
                             (received.tls, received.login))

        message = received.message
        self.assertEqual(', '.join(expected_to), message['To'])
        self.assertEqual(base.SENDER, message['From'])
        self.assertEqual('auto-generated', message['Auto-Submitted'])
        self.assertIn('web', message['Subject'])
        self.assertIn('2 made, 1 failed, 1 volume out of policy',
                      message['Subject'])
        text, html = self.parts(received)

        for part in (text, html):
            self.assertIn('p-web', part)
            self.assertIn('2026-03-01 00:00 UTC', part)
            self.assertIn('2026-03-02 00:00 UTC', part)
            self.assertIn(full.backup_id, part)
            self.assertIn(incr.backup_id, part)
            self.assertIn('quota exceeded', part)
            self.assertIn(old.backup_id, part)
            self.assertIn('logs', part)
            self.assertIn('backup_interval &#34;2x&#34;' if part is html
                          else 'backup_interval "2x"', part)
            self.assertIn('scratch', part)
            self.assertIn('volume metadata backup_skip=yes', part)
            self.assertNotIn(later.backup_id, part)
        self.assertIn('full backup %s, 10 GB, took 25min' % full.backup_id,
                      text)
        self.assertIn('incremental backup %s, 10 GB, took 10min'
                      % incr.backup_id, text)
        self.assertIn('server db-1, volume logs: interval 1d, last good '
                      'backup 2026-02-24 00:00 UTC (6d ago)', text)
        self.assertIn('Backups           limit 10, in use 6, reserved 1, '
                      'used 70 % [YELLOW]', text)
        self.assertIn('Backup gigabytes  limit 100, in use 20, reserved 0, '
                      'used 20 % [GREEN]', text)
        rows = self.quota_rows(html)
        self.assertEqual('yellow', rows['backups'][0])
        self.assertIn(COLOURS['yellow'], rows['backups'][1])
        self.assertEqual('green', rows['backup_gigabytes'][0])
        self.assertIn(COLOURS['green'], rows['backup_gigabytes'][1])

        state = api_reports.get_report(self.context, 'p-web')
        self.assertEqual((T0 + DAY, T0 + DAY, 0, None),
                         (state.period_end, state.last_sent_at,
                          state.failures, state.claimed_by))
        self.assertEqual([('p-web', expected_to, T0, T0 + DAY)],
                         self.notifier.sent)

        # Nothing more is due until the next period has elapsed.
        self.clock.advance(DAY - HOUR)
        self.assertEqual([], self.reporter().run(self.context))
        self.assertEqual(1, len(self.smtp.received))
