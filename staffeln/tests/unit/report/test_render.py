"""Rendering digests: both formats, escaping, operator templates, the
email around them."""

import datetime
import email
from email import policy
import os

import fixtures
import jinja2

from staffeln.conductor import report_content as content
from staffeln.conductor import report_render
from staffeln.rules import forecast
from staffeln.tests import base

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def make_digest(**kw):
    ref = dict(volume_id='v1', volume_name='data', server_id='s1',
               server_name='web-1')
    values = dict(
        project_id='p1', project_name='web', period_start=T0,
        period_end=T0 + DAY,
        backups=[content.BackupLine(
            **ref, backup_id='b-1', backup_name='data-1',
            backup_type='full', size_gb=20, started_at=T0,
            finished_at=T0 + datetime.timedelta(minutes=90))],
        failures=[content.FailureLine(
            **ref, backup_id=None, backup_type='incremental',
            reason='<script>alert(1)</script>', finished_at=T0)],
        deletions=[content.DeletionLine(
            **ref, backup_id='b-0', backup_name='data-0',
            backup_type='full', size_gb=20, finished_at=T0 - 7 * DAY,
            deleted_at=T0 + DAY / 2)],
        out_of_policy=[content.OutOfPolicyLine(
            **ref, interval=DAY, last_backup_at=T0 - 3 * DAY,
            age=4 * DAY)],
        skipped=[content.SkippedLine(**ref, reason='backup_skip=yes')],
        problems=[content.ProblemLine('s1', 'web-1', ['bad'])],
        quota=content.quota_lines(
            {'backups': {'limit': 10, 'in_use': 9, 'reserved': 0},
             'backup_gigabytes': {'limit': -1, 'in_use': 5,
                                  'reserved': 0}}, 50, 80))
    values.update(kw)
    return content.Digest(**values)


class TestRender(base.TestCase):

    def setUp(self):
        super().setUp()
        self.renderer = report_render.Renderer(self.conf)

    def test_text(self):
        text = self.renderer.render(make_digest(), 'text')
        for expected in (
                'Staffeln backup report for web',
                'Period:  2026-03-01 00:00 UTC to 2026-03-02 00:00 UTC',
                'Summary: 1 backup made (20 GB), 1 failed, 1 volume out '
                'of policy, 1 deleted by retention.',
                'Backups           limit 10, in use 9, reserved 0, used '
                '90 % [RED]',
                'Backup gigabytes  limit unlimited, in use 5, reserved 0, '
                'used no limit [GREEN]',
                'reason: <script>alert(1)</script>',
                'full backup b-1, 20 GB, took 1h30min',
                'last good backup 2026-02-26 00:00 UTC (4d ago)',
                'full backup b-0 made 2026-02-22 00:00 UTC, 20 GB',
                'server web-1, volume data: backup_skip=yes',
                'whose metadata has backup=yes'):
            self.assertIn(expected, text)

    def test_html_escapes_what_tenants_control(self):
        html = self.renderer.render(
            make_digest(project_name='<b>web</b>'), 'html')
        self.assertNotIn('<script>', html)
        self.assertIn('&lt;script&gt;alert(1)&lt;/script&gt;', html)
        self.assertNotIn('<b>web</b>', html)
        self.assertIn('data-resource="backups" data-level="red"', html)
        self.assertIn('background:#f8d7da', html)
        self.assertIn('data-resource="backup_gigabytes" '
                      'data-level="green"', html)

    def test_metadata_keys_follow_the_configuration(self):
        self.flags(group='conductor', backup_metadata_key='auto_backup',
                   skip_metadata_key='no_backup')
        renderer = report_render.Renderer(self.conf)
        for fmt in ('html', 'text'):
            out = renderer.render(make_digest(), fmt)
            self.assertIn('auto_backup=yes', out)
            self.assertIn('no_backup=yes', out)

    def test_empty_sections_and_unavailable_quota(self):
        digest = make_digest(backups=[], failures=[], deletions=[],
                             out_of_policy=[], skipped=[], problems=[],
                             quota=None, quota_error='cinder is down')
        text = self.renderer.render(digest, 'text')
        html = self.renderer.render(digest, 'html')
        self.assertIn('No backup was made in this period.', text)
        self.assertIn('Quota usage could not be read: cinder is down', text)
        self.assertNotIn('FAILED BACKUPS', text)
        self.assertNotIn('id="failures"', html)
        self.assertNotIn('id="quota"', html)

    def test_long_sections_are_cut(self):
        self.useFixture(fixtures.MockPatchObject(
            report_render, 'MAX_ROWS', 2))
        many = make_digest().failures * 5
        digest = make_digest(failures=many)
        self.assertIn('... and 3 more.',
                      self.renderer.render(digest, 'text'))
        html = self.renderer.render(digest, 'html')
        self.assertIn('and 3 more.', html)
        self.assertEqual(2, html.count('&lt;script&gt;'))

    def test_unknown_format(self):
        self.assertRaises(ValueError, self.renderer.render, make_digest(),
                          'pdf')

    def test_subject_is_one_line(self):
        self.assertEqual(
            '[Staffeln] Backups of web: 1 made, 1 failed, 1 volume out of '
            'policy (2026-03-01 00:00 UTC to 2026-03-02 00:00 UTC)',
            self.renderer.subject(make_digest()))
        self.assertEqual(
            '[Staffeln] Backups of web: 0 made (2026-03-01 00:00 UTC to '
            '2026-03-02 00:00 UTC)',
            self.renderer.subject(make_digest(backups=[], failures=[],
                                              out_of_policy=[])))

    def test_operator_templates_override_the_built_in_ones(self):
        template_dir = self.useFixture(
            fixtures.TempDir()).path
        with open(os.path.join(template_dir, 'digest_subject.txt'),
                  'w') as f:
            f.write('Backups for {{ digest.project }}\n')
        with open(os.path.join(template_dir, 'digest.txt'), 'w') as f:
            f.write('{{ digest.backups|length }} backups, '
                    '{{ digest.period_start|when }}\n')
        self.flags(group='notification', template_dir=template_dir)
        renderer = report_render.Renderer(self.conf)
        self.assertEqual('Backups for web', renderer.subject(make_digest()))
        self.assertEqual('1 backups, 2026-03-01 00:00 UTC\n',
                         renderer.render(make_digest(), 'text'))
        # Not overridden: the built-in HTML template.
        self.assertIn('<!DOCTYPE html>',
                      renderer.render(make_digest(), 'html'))

    def test_template_mistakes_are_errors(self):
        template_dir = self.useFixture(
            fixtures.TempDir()).path
        with open(os.path.join(template_dir, 'digest.txt'), 'w') as f:
            f.write('{{ digest.no_such_field }}\n')
        self.flags(group='notification', template_dir=template_dir)
        renderer = report_render.Renderer(self.conf)
        self.assertRaises(jinja2.UndefinedError, renderer.render,
                          make_digest(), 'text')

    def test_message(self):
        msg = self.renderer.message(
            make_digest(), 'staffeln@cloud.example',
            ['a@example.org', 'b@example.org'], T0 + DAY)
        parsed = email.message_from_bytes(msg.as_bytes(),
                                          policy=policy.default)
        self.assertEqual('multipart/alternative', parsed.get_content_type())
        parts = list(parsed.iter_parts())
        self.assertEqual(['text/plain', 'text/html'],
                         [p.get_content_type() for p in parts])
        self.assertIn('Staffeln backup report for web',
                      parts[0].get_content())
        self.assertIn('<!DOCTYPE html>', parts[1].get_content())
        self.assertEqual('a@example.org, b@example.org', parsed['To'])
        self.assertEqual('staffeln@cloud.example', parsed['From'])
        self.assertEqual('Mon, 02 Mar 2026 00:00:00 +0000', parsed['Date'])
        self.assertTrue(parsed['Message-ID'].endswith('@cloud.example>'))
        self.assertEqual('auto-generated', parsed['Auto-Submitted'])
        self.assertEqual('p1', parsed['X-Staffeln-Project'])
        self.assertEqual(
            '2026-03-01T00:00:00+00:00/2026-03-02T00:00:00+00:00',
            parsed['X-Staffeln-Period'])

    def test_a_quota_that_will_not_hold_what_retention_keeps(self):
        digest = make_digest(quota=content.quota_lines(
            {'backups': {'limit': 10, 'in_use': 3, 'reserved': 0},
             'backup_gigabytes': {'limit': 1000, 'in_use': 30,
                                  'reserved': 0}}, 50, 80,
            forecast.Need(backups=17, gigabytes=170)))
        self.assertEqual(['backups'], [q.resource for q in
                                       digest.quota_short])
        text = self.renderer.render(digest, 'text')
        self.assertIn('WARNING: Backups needed at steady state: 17, more '
                      'than the limit of 10.', text)
        self.assertNotIn('WARNING: Backup gigabytes', text)
        html = self.renderer.render(digest, 'html')
        self.assertIn('class="needed short"', html)
        self.assertIn('class="quota-warning"', html)
