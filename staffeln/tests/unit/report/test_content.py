"""Recipients, override problems and when a digest is news."""

import datetime

from staffeln.conductor import report_content
from staffeln.tests import base
from staffeln.tests.unit.report import fakes

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)


class TestRecipients(base.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = fakes.FakeCloud()
        self.cloud.add_project('p1', 'web')
        self.cloud.emails[('p1', 'member')] = [
            'Alice@example.org', 'bob@example.org', '', 'not an address']

    def recipients(self, name='web'):
        return report_content.recipients(self.conf, self.cloud, 'p1', name)

    def test_nothing_configured(self):
        self.assertEqual([], self.recipients())
        self.assertEqual([], self.cloud.calls)

    def test_all_sources_in_order_each_address_once(self):
        self.flags(group='notification',
                   receivers=['ops@cloud.example', 'alice@EXAMPLE.org'],
                   project_receiver_role='member',
                   project_receiver_domain='tenants.example')
        self.assertEqual(['ops@cloud.example', 'alice@EXAMPLE.org',
                          'bob@example.org', 'web@tenants.example'],
                         self.recipients())
        self.assertEqual([('project_user_emails', 'p1', 'member')],
                         self.cloud.calls)

    def test_domain_needs_a_project_name(self):
        self.flags(group='notification',
                   project_receiver_domain='tenants.example')
        self.assertEqual([], self.recipients(name=None))

    def test_project_name_that_is_no_address_is_left_out(self):
        self.flags(group='notification',
                   project_receiver_domain='tenants.example')
        self.assertEqual([], self.recipients(name='my project'))

    def test_lookup_errors_are_raised(self):
        self.flags(group='notification', project_receiver_role='member')
        self.cloud.fail['project_user_emails'] = RuntimeError('down')
        self.assertRaises(RuntimeError, self.recipients)


class TestDigest(base.TestCase):

    def digest(self, **kw):
        return report_content.Digest(project_id='p1', period_start=T0,
                                     period_end=T0, **kw)

    def ref(self, **kw):
        return dict(volume_id='v1', volume_name=None, server_id='s1',
                    server_name=None, **kw)

    def test_news(self):
        self.assertFalse(self.digest().has_news)
        self.assertFalse(self.digest(skipped=[report_content.SkippedLine(
            **self.ref(reason='skip'))]).has_news)
        self.assertTrue(self.digest(failures=[report_content.FailureLine(
            **self.ref(backup_id=None, backup_type='full', reason='x',
                       finished_at=T0))]).has_news)
        self.assertTrue(self.digest(
            problems=[report_content.ProblemLine(
                's1', None, ['bad'])]).has_news)
        self.assertTrue(self.digest(
            out_of_policy=[report_content.OutOfPolicyLine(
                **self.ref(interval=datetime.timedelta(days=1),
                           last_backup_at=None, age=None))]).has_news)

    def test_labels_fall_back_to_ids(self):
        line = report_content.SkippedLine(**self.ref(reason='x'))
        self.assertEqual(('v1', 's1'), (line.volume, line.server))
        self.assertEqual('p1', self.digest().project)
        self.assertEqual('web', self.digest(project_name='web').project)

    def test_time_taken(self):
        line = report_content.BackupLine(
            **self.ref(backup_id='b', backup_name='n', backup_type='full',
                       size_gb=1, started_at=T0,
                       finished_at=T0 + datetime.timedelta(minutes=3)))
        self.assertEqual(datetime.timedelta(minutes=3), line.time_taken)
        line.started_at = None
        self.assertIsNone(line.time_taken)

    def test_split_errors(self):
        split = report_content._split_errors
        self.assertEqual(['a', 'b'], split('["a", "b", " "]'))
        self.assertEqual(['backup_interval: bad'],
                         split('{"backup_interval": "bad"}'))
        self.assertEqual(['first', 'second'], split('first\n\n second \n'))
        self.assertEqual(['just text'], split('just text'))
