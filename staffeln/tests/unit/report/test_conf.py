"""The [notification] options."""

import datetime

from oslo_config import cfg

from staffeln.conf import notification
from staffeln.conf import opts
from staffeln.tests import base


class TestOptions(base.TestCase):

    def test_defaults(self):
        group = self.conf.notification
        self.assertEqual(datetime.timedelta(days=1), group.report_period)
        self.assertEqual(datetime.timedelta(seconds=30), group.smtp_timeout)
        self.assertEqual(datetime.timedelta(hours=1),
                         group.out_of_policy_grace)
        self.assertEqual(('none', None, None, [], 50.0, 80.0),
                         (group.smtp_security, group.sender,
                          group.smtp_port, group.receivers,
                          group.quota_warning_percent,
                          group.quota_critical_percent))

    def test_report_period_takes_durations_and_zero(self):
        self.flags(group='notification', report_period='0s')
        self.assertEqual(datetime.timedelta(0),
                         self.conf.notification.report_period)
        self.flags(group='notification', report_period='1w')
        self.assertEqual(datetime.timedelta(days=7),
                         self.conf.notification.report_period)
        self.assertRaises(ValueError, self.flags, group='notification',
                          report_period='daily')

    def test_bounds(self):
        for name, value in (('smtp_security', 'tls'),
                            ('smtp_timeout', '0s'),
                            ('smtp_timeout', '1h'),
                            ('quota_critical_percent', 101),
                            ('smtp_port', 70000)):
            self.assertRaises(ValueError, self.flags, group='notification',
                              **{name: value})

    def test_password_is_secret(self):
        opt = self.conf._get_opt_info('smtp_password', 'notification')['opt']
        self.assertTrue(opt.secret)

    def test_every_option_has_help(self):
        for opt in notification.opts:
            self.assertTrue(opt.help.endswith('.'), opt.name)

    def test_listed_for_the_sample_generator(self):
        groups = dict(opts.list_opts())
        self.assertEqual({o.name for o in notification.opts},
                         {o.name for o in groups['notification']})

    def test_messaging_notification_options_registered(self):
        conf = cfg.ConfigOpts()
        notification.register_opts(conf)
        conf([])
        self.assertEqual([], conf.oslo_messaging_notifications.driver)
        self.assertEqual(['notifications'],
                         conf.oslo_messaging_notifications.topics)
