"""When digests go out, to whom, and what each covers, on every database.

The rule under test: every project gets each event exactly once; a failed
send is retried on the next run for that project only.
"""

import datetime

import fixtures
import testscenarios

from staffeln.cmd.manage import report as report_cmd
from staffeln.common import exception
from staffeln.conductor import report
from staffeln.db import api_reports
from staffeln.db import states
from staffeln.tests.functional import db_fixture
from staffeln.tests.functional.report import base

load_tests = testscenarios.load_tests_apply_scenarios

HOUR = base.HOUR
DAY = base.DAY
T0 = base.T0
MINUTE = datetime.timedelta(minutes=1)

COLOURS = {
    'green': 'background:#d4edda',
    'yellow': 'background:#fff3cd',
    'red': 'background:#f8d7da',
}


class TestRules(base.DigestTestCase):

    scenarios = db_fixture.scenarios()

    def setUp(self):
        super().setUp()
        self.flags(group='notification', receivers=[],
                   project_receiver_role=None)

    def _two_projects(self):
        for pid, name in (('p-a', 'alpha'), ('p-b', 'beta')):
            self.add_project(pid, name)
            self.reported_until(pid, T0)
            self.add_volume(pid, f'{pid}-v', 'data')
        return 'alpha@' + base.DOMAIN, 'beta@' + base.DOMAIN

    def _backup_ids(self, received):
        text, _ = self.parts(received)
        return {line.split()[2].rstrip(',') for line in text.splitlines()
                if ' backup ' in line and line.startswith('  ')
                and line.split()[1] == 'backup'}

    def test_quota_colours_for_each_threshold(self):
        quotas = {
            # 49 % is green; unlimited is green.
            'green': dict(backups=(100, 49, 0), gigabytes=(-1, 500, 0)),
            # 50 % and 80 % (reserved counts) are yellow.
            'yellow': dict(backups=(10, 5, 0), gigabytes=(100, 79, 1)),
            # 90 % is red; a zero limit is red (no backup can be made).
            'red': dict(backups=(10, 8, 1), gigabytes=(0, 0, 0)),
        }
        for name, quota in quotas.items():
            self.add_project(f'p-{name}', name, **quota)
            self.reported_until(f'p-{name}', T0)
            self.add_task(f'p-{name}', f'{name}-v', states.AVAILABLE,
                          finished_at=T0 + HOUR)
        self.clock.set(T0 + DAY)

        results = self.reporter().run(self.context)

        self.assertEqual({report.SENT}, {r.status for r in results})
        self.assertEqual(3, len(self.smtp.received))
        for name in quotas:
            [received] = self.smtp.messages_to(f'{name}@{base.DOMAIN}')
            text, html = self.parts(received)
            rows = self.quota_rows(html)
            self.assertEqual({'backups', 'backup_gigabytes'}, set(rows))
            for resource, (level, style) in rows.items():
                self.assertEqual(name, level, (name, resource))
                self.assertIn(COLOURS[name], style)
            self.assertEqual(2, text.count(f'[{name.upper()}]'))
        _, html = self.parts(self.smtp.messages_to('green@' + base.DOMAIN)[0])
        self.assertIn('>49 %<', html)
        self.assertIn('>unlimited<', html)
        _, html = self.parts(self.smtp.messages_to('red@' + base.DOMAIN)[0])
        self.assertIn('>0 (none allowed)<', html)
        self.assertIn('>90 %<', html)

    def test_failed_send_is_retried_for_that_project_only(self):
        alpha, beta = self._two_projects()
        a1 = self.add_task('p-a', 'p-a-v', states.AVAILABLE,
                           finished_at=T0 + HOUR)
        b1 = self.add_task('p-b', 'p-b-v', states.AVAILABLE,
                           finished_at=T0 + HOUR)
        self.smtp.fail_for = {beta}
        self.clock.set(T0 + DAY)

        results = self.reporter().run(self.context)

        self.assertEqual(
            [('p-a', report.SENT, T0), ('p-b', report.FAILED, T0)],
            [(r.project_id, r.status, r.period_start) for r in results])
        self.assertIn('451', results[1].error)
        state = api_reports.get_report(self.context, 'p-b')
        self.assertEqual((T0, 1, None), (state.period_end, state.failures,
                                         state.claimed_by))
        self.assertIn('451', state.last_error)
        self.assertEqual(1, len(self.smtp.messages_to(alpha)))
        self.assertEqual([], self.smtp.messages_to(beta))

        # The next run, an hour later: only beta's digest goes out, for
        # the whole time since its last one.
        self.smtp.fail_for = set()
        self.clock.advance(HOUR)
        results = self.reporter().run(self.context)
        self.assertEqual(
            [('p-b', report.SENT, T0, T0 + DAY + HOUR)],
            [(r.project_id, r.status, r.period_start, r.period_end)
             for r in results])
        self.assertEqual(1, len(self.smtp.messages_to(alpha)))
        self.assertEqual(1, len(self.smtp.messages_to(beta)))
        state = api_reports.get_report(self.context, 'p-b')
        self.assertEqual((T0 + DAY + HOUR, 0, None),
                         (state.period_end, state.failures, state.last_error))

        # New backups: each project's next digest has only those.
        a2 = self.add_task('p-a', 'p-a-v', states.AVAILABLE,
                           finished_at=T0 + DAY + 2 * HOUR)
        b2 = self.add_task('p-b', 'p-b-v', states.AVAILABLE,
                           finished_at=T0 + DAY + 2 * HOUR)
        self.clock.set(T0 + 2 * DAY)
        results = self.reporter().run(self.context)
        self.assertEqual(['p-a'], [r.project_id for r in results])
        self.clock.set(T0 + 2 * DAY + HOUR)
        results = self.reporter().run(self.context)
        self.assertEqual(['p-b'], [r.project_id for r in results])

        # Every backup reported once, in its own project's digest.
        self.assertEqual(
            [{a1.backup_id}, {a2.backup_id}],
            [self._backup_ids(r) for r in self.smtp.messages_to(alpha)])
        self.assertEqual(
            [{b1.backup_id}, {b2.backup_id}],
            [self._backup_ids(r) for r in self.smtp.messages_to(beta)])

    def test_smtp_server_down_loses_nothing(self):
        alpha, beta = self._two_projects()
        a1 = self.add_task('p-a', 'p-a-v', states.AVAILABLE,
                           finished_at=T0 + HOUR)
        b1 = self.add_task('p-b', 'p-b-v', states.FAILED,
                           finished_at=T0 + HOUR, reason='Cinder said no')
        self.smtp.stop()
        self.clock.set(T0 + DAY)

        results = self.reporter().run(self.context)

        self.assertEqual([report.FAILED, report.FAILED],
                         [r.status for r in results])
        for result in results:
            self.assertIn('cannot send through SMTP server', result.error)
        self.assertEqual([], self.notifier.sent)

        # Back up (on another port), a run later everything goes out.
        self.smtp.start()
        self.flags(group='notification', smtp_port=self.smtp.port)
        self.clock.advance(10 * MINUTE)
        results = self.reporter().run(self.context)
        self.assertEqual(
            [('p-a', report.SENT, T0), ('p-b', report.SENT, T0)],
            [(r.project_id, r.status, r.period_start) for r in results])
        self.assertEqual({a1.backup_id},
                         self._backup_ids(self.smtp.messages_to(alpha)[0]))
        text, _ = self.parts(self.smtp.messages_to(beta)[0])
        self.assertIn('reason: Cinder said no', text)
        self.assertNotIn(b1.uuid, text)
        self.assertEqual(['p-a', 'p-b'],
                         [sent[0] for sent in self.notifier.sent])

        self.clock.advance(HOUR)
        self.assertEqual([], self.reporter().run(self.context))
        self.assertEqual(2, len(self.smtp.received))

    def test_first_digest_covers_everything_since_first_activity(self):
        self.add_project('p-a', 'alpha')
        first = self.add_task('p-a', 'v1', states.DELETED,
                              finished_at=T0 - 3 * DAY,
                              deleted_at=T0 - 2 * DAY)
        second = self.add_task('p-a', 'v1', states.AVAILABLE,
                               finished_at=T0 - 2 * DAY)
        self.clock.set(T0)

        [result] = self.reporter().run(self.context)

        self.assertEqual((report.SENT, T0 - 3 * DAY, T0),
                         (result.status, result.period_start,
                          result.period_end))
        text, _ = self.parts(self.smtp.received[0])
        self.assertIn(second.backup_id, text)
        self.assertIn(first.backup_id, text)
        self.assertIn('DELETED BY RETENTION', text)

    def test_not_sent_before_the_period_has_elapsed(self):
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        self.add_task('p-a', 'v1', states.AVAILABLE, finished_at=T0 + HOUR)
        self.clock.set(T0 + DAY - MINUTE)
        self.assertEqual([], self.reporter().run(self.context))
        self.clock.advance(MINUTE)
        self.assertEqual(['p-a'], [r.project_id for r in
                                   self.reporter().run(self.context)])

    def test_period_without_news_is_passed_over(self):
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        # A skipped volume and a good, recent backup are no news.
        self.add_volume('p-a', 'v1', 'scratch', skip_reason='skip key')
        self.add_volume('p-a', 'v2', 'data')
        self.add_task('p-a', 'v2', states.AVAILABLE,
                      finished_at=T0 - HOUR)
        # A backup still in progress is not news either (yet).
        self.add_task('p-a', 'v2', states.CREATING, started_at=T0 + HOUR)
        self.clock.set(T0 + DAY - 2 * HOUR)
        self.clock.advance(2 * HOUR)

        self.assertEqual([], self.reporter().run(self.context))

        self.assertEqual([], self.smtp.received)
        state = api_reports.get_report(self.context, 'p-a')
        self.assertEqual((T0 + DAY, None), (state.period_end,
                                            state.last_sent_at))
        self.assertEqual([], self.cloud.calls)

    def test_out_of_policy_alone_is_news(self):
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        self.add_volume('p-a', 'v-old', 'old')
        self.add_task('p-a', 'v-old', states.AVAILABLE,
                      finished_at=T0 - DAY)
        self.add_volume('p-a', 'v-never', 'never', created_at=T0 - 3 * DAY)
        # Added an hour ago: its first backup is not due yet.
        self.add_volume('p-a', 'v-new', 'new', created_at=T0 + DAY - HOUR)
        # Within its interval plus the grace period.
        self.add_volume('p-a', 'v-ok', 'ok')
        self.add_task('p-a', 'v-ok', states.AVAILABLE,
                      finished_at=T0 - 30 * MINUTE)
        self.clock.set(T0 + DAY)

        [result] = self.reporter().run(self.context)

        text, html = self.parts(self.smtp.received[0])
        section = text.split('VOLUMES OUT OF POLICY')[1].split('\n\n')[0]
        self.assertIn('volume old: interval 1d, last good backup '
                      '2026-02-28 00:00 UTC (2d ago)', section)
        self.assertIn('volume never: interval 1d, last good backup never',
                      section)
        self.assertNotIn('volume new', section)
        self.assertNotIn('volume ok', section)
        self.assertIn('No backup was made in this period.', text)

    def test_report_period_zero_sends_after_every_cycle(self):
        self.flags(group='notification', report_period='0s')
        self.add_project('p-a', 'alpha')
        t1 = self.add_task('p-a', 'v1', states.AVAILABLE,
                           finished_at=T0 + HOUR)
        self.clock.set(T0 + HOUR)
        # The period ends now, so the backup that finished now is for the
        # next digest.
        self.assertEqual([], self.reporter().run(self.context))
        self.clock.advance(MINUTE)
        [first] = self.reporter().run(self.context)
        self.assertEqual((T0 + HOUR, T0 + HOUR + MINUTE),
                         (first.period_start, first.period_end))
        self.assertEqual([], self.reporter().run(self.context))
        t2 = self.add_task('p-a', 'v1', states.AVAILABLE,
                           finished_at=T0 + HOUR + 2 * MINUTE)
        self.clock.advance(5 * MINUTE)
        [second] = self.reporter().run(self.context)
        self.assertEqual(T0 + HOUR + MINUTE, second.period_start)
        self.assertEqual([{t1.backup_id}, {t2.backup_id}],
                         [self._backup_ids(r) for r in self.smtp.received])

    def test_without_sender_the_digest_goes_to_the_log(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='staffeln.conductor.report'))
        self.flags(group='notification', sender=None)
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        task = self.add_task('p-a', 'v1', states.AVAILABLE,
                             finished_at=T0 + HOUR)
        self.clock.set(T0 + DAY)

        [result] = self.reporter().run(self.context)

        self.assertEqual(report.LOGGED, result.status)
        self.assertEqual([], self.smtp.received)
        self.assertIn('[notification] sender is not set', logger.output)
        self.assertIn(task.backup_id, logger.output)
        self.assertEqual([], self.notifier.sent)
        self.assertEqual(T0 + DAY, api_reports.get_report(
            self.context, 'p-a').period_end)

    def test_no_recipient_logs_the_digest(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='staffeln.conductor.report'))
        self.flags(group='notification', project_receiver_domain=None)
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        self.add_task('p-a', 'v1', states.AVAILABLE, finished_at=T0 + HOUR)
        self.clock.set(T0 + DAY)
        [result] = self.reporter().run(self.context)
        self.assertEqual((report.LOGGED, []),
                         (result.status, result.recipients))
        self.assertIn('the project has no recipient', logger.output)

    def test_password_is_never_logged(self):
        logger = self.useFixture(fixtures.FakeLogger())
        self.flags(group='notification', smtp_user='staffeln',
                   smtp_password='Hunter2-Secret')
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        self.add_task('p-a', 'p-a-v', states.AVAILABLE,
                      finished_at=T0 + HOUR)
        self.clock.set(T0 + DAY)
        # The plain test server does not offer AUTH: the send fails.
        [result] = self.reporter().run(self.context)
        self.assertEqual(report.FAILED, result.status)
        self.assertIn('clear text', logger.output)
        self.assertNotIn('Hunter2-Secret', logger.output)
        self.assertNotIn('Hunter2-Secret', result.error)
        self.assertNotIn('Hunter2-Secret', api_reports.get_report(
            self.context, 'p-a').last_error)

    def test_keystone_failure_is_retried(self):
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        self.add_task('p-a', 'v1', states.AVAILABLE, finished_at=T0 + HOUR)
        self.cloud.fail['get_project'] = RuntimeError('keystone is down')
        self.clock.set(T0 + DAY)
        [result] = self.reporter().run(self.context)
        self.assertEqual((report.FAILED, 'keystone is down'),
                         (result.status, result.error))
        del self.cloud.fail['get_project']
        self.clock.advance(MINUTE)
        [result] = self.reporter().run(self.context)
        self.assertEqual((report.SENT, T0), (result.status,
                                             result.period_start))

    def test_project_gone_from_keystone_reports_to_receivers(self):
        self.flags(group='notification', receivers=[base.OPERATOR])
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        self.add_task('p-a', 'v1', states.AVAILABLE, finished_at=T0 + HOUR)
        self.cloud.fail['get_project'] = exception.NotFound('no project')
        self.clock.set(T0 + DAY)
        [result] = self.reporter().run(self.context)
        self.assertEqual((report.SENT, [base.OPERATOR]),
                         (result.status, result.recipients))
        self.assertIn('Staffeln backup report for p-a',
                      self.parts(self.smtp.received[0])[0])

    def test_quota_unavailable_does_not_hold_the_digest(self):
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        self.add_task('p-a', 'v1', states.AVAILABLE, finished_at=T0 + HOUR)
        self.cloud.fail['get_backup_quota'] = RuntimeError('cinder 503')
        self.clock.set(T0 + DAY)
        [result] = self.reporter().run(self.context)
        self.assertEqual(report.SENT, result.status)
        text, html = self.parts(self.smtp.received[0])
        self.assertIn('Quota usage could not be read: cinder 503', text)
        self.assertEqual({}, self.quota_rows(html))

    def test_digest_claimed_by_another_conductor_is_left_alone(self):
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        self.add_task('p-a', 'v1', states.AVAILABLE, finished_at=T0 + HOUR)
        self.clock.set(T0 + DAY)
        claim_timeout = self.conf.conductor.claim_timeout
        self.assertTrue(api_reports.claim_report(
            self.context, 'p-a', T0, 'conductor-2', T0 + DAY,
            T0 + DAY + claim_timeout))

        self.assertEqual([], self.reporter().run(self.context))
        self.assertEqual([], self.smtp.received)

        # Conductor 2 died: once its claim has expired, the digest is
        # taken over.
        self.clock.advance(claim_timeout + MINUTE)
        [result] = self.reporter().run(self.context)
        self.assertEqual(report.SENT, result.status)
        self.assertEqual(1, len(self.smtp.received))

    def test_digest_sent_by_another_conductor_is_not_sent_again(self):
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        self.add_task('p-a', 'v1', states.AVAILABLE, finished_at=T0 + HOUR)
        self.clock.set(T0 + DAY)
        # Two conductors read the state at the same time; one of them
        # sends first.
        first = self.reporter()
        self.flags(host='conductor-2')
        second = self.reporter()
        stale = api_reports.get_report(self.context, 'p-a')
        self.assertEqual(1, len(first.run(self.context)))
        self.assertIsNone(second._run_project(
            self.context, 'p-a', stale, self.clock.now()))
        self.assertEqual(1, len(self.smtp.received))

    def test_preview_neither_sends_nor_moves_the_period(self):
        self.add_project('p-a', 'alpha')
        self.reported_until('p-a', T0)
        task = self.add_task('p-a', 'v1', states.AVAILABLE,
                             finished_at=T0 + HOUR)
        self.clock.set(T0 + HOUR + MINUTE)
        reporter = self.reporter()

        html = reporter.render(self.context, 'p-a', 'html')
        text = reporter.render(self.context, 'p-a', 'text')

        self.assertTrue(html.startswith('<!DOCTYPE html>'))
        for part in (html, text):
            self.assertIn(task.backup_id, part)
            self.assertIn('alpha', part)
        self.assertEqual([], self.smtp.received)
        self.assertEqual(T0, api_reports.get_report(
            self.context, 'p-a').period_end)
        self.assertRaises(ValueError, reporter.render, self.context, 'p-a',
                          'pdf')

    def test_preview_command(self):
        self.add_project('p-a', 'alpha')
        task = self.add_task('p-a', 'v1', states.AVAILABLE,
                             finished_at=T0 - HOUR)
        out = fixtures.StringStream('stdout')
        self.useFixture(out)
        self.assertEqual(0, report_cmd.preview_command(
            self.conf, self.cloud, 'p-a', 'text', out=out.stream))
        out.stream.flush()
        printed = out.getDetails()['stdout'].as_text()
        self.assertIn('Staffeln backup report for alpha', printed)
        self.assertIn(task.backup_id, printed)
        self.assertEqual([], self.smtp.received)
        self.assertIsNone(api_reports.get_report(self.context, 'p-a'))
