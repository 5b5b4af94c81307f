"""SMTP sending without a network: the client is a fake of smtplib's."""

from email.message import EmailMessage
import smtplib
import ssl

import fixtures

from staffeln.common import email
from staffeln.tests import base


class FakeSMTP:
    """Records what Staffeln asks of smtplib.SMTP / SMTP_SSL."""

    instances = []
    extensions = {'starttls', 'auth'}
    fail_on = None

    def __init__(self, host, port, local_hostname=None, timeout=None,
                 context=None):
        self.args = dict(host=host, port=port, local_hostname=local_hostname,
                         timeout=timeout, context=context)
        self.calls = []
        FakeSMTP.instances.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.calls.append(('quit',))

    def _call(self, name, *args):
        self.calls.append((name,) + args)
        if self.fail_on and self.fail_on[0] == name:
            raise self.fail_on[1]

    def ehlo(self):
        self._call('ehlo')

    def has_extn(self, name):
        return name in self.extensions

    def starttls(self, context=None):
        self._call('starttls', context)

    def login(self, user, password):
        self._call('login', user, password)

    def send_message(self, msg, from_addr=None, to_addrs=None):
        self._call('send_message', from_addr, to_addrs)
        return {}


class TestSend(base.TestCase):

    def setUp(self):
        super().setUp()
        FakeSMTP.instances = []
        FakeSMTP.fail_on = None
        FakeSMTP.extensions = {'starttls', 'auth'}
        self.useFixture(fixtures.MockPatchObject(smtplib, 'SMTP', FakeSMTP))
        self.useFixture(fixtures.MockPatchObject(smtplib, 'SMTP_SSL',
                                                 FakeSMTP))
        self.logger = self.useFixture(fixtures.FakeLogger())
        self.flags(host='conductor-1')
        self.flags(group='notification', sender='staffeln@cloud.example',
                   smtp_host='mail.example', smtp_timeout='20s')
        self.message = EmailMessage()
        self.message.set_content('hello')

    def send(self):
        return email.send(self.conf, self.message, ['a@example.org'])

    def test_plain(self):
        self.assertEqual({}, self.send())
        [client] = FakeSMTP.instances
        self.assertEqual(dict(host='mail.example', port=25,
                              local_hostname='conductor-1', timeout=20.0,
                              context=None), client.args)
        self.assertEqual(
            [('ehlo',), ('send_message', 'staffeln@cloud.example',
                         ['a@example.org']), ('quit',)], client.calls)

    def test_starttls_verifies_the_server(self):
        self.flags(group='notification', smtp_security='starttls',
                   smtp_user='staffeln', smtp_password='pw')
        self.send()
        [client] = FakeSMTP.instances
        self.assertEqual(['ehlo', 'starttls', 'ehlo', 'login',
                          'send_message', 'quit'],
                         [c[0] for c in client.calls])
        context = client.calls[1][1]
        self.assertEqual(ssl.CERT_REQUIRED, context.verify_mode)
        self.assertTrue(context.check_hostname)
        self.assertEqual(('login', 'staffeln', 'pw'), client.calls[3])
        self.assertNotIn('clear text', self.logger.output)

    def test_starttls_not_offered(self):
        self.flags(group='notification', smtp_security='starttls')
        FakeSMTP.extensions = set()
        error = self.assertRaises(email.EmailError, self.send)
        self.assertEqual('SMTP server mail.example:25 does not offer '
                         'STARTTLS', str(error))
        self.assertNotIn('send_message',
                         [c[0] for c in FakeSMTP.instances[0].calls])

    def test_ssl_port_and_context(self):
        self.flags(group='notification', smtp_security='ssl')
        self.send()
        [client] = FakeSMTP.instances
        self.assertEqual(465, client.args['port'])
        self.assertEqual(ssl.CERT_REQUIRED,
                         client.args['context'].verify_mode)
        self.flags(group='notification', smtp_port=2465)
        self.send()
        self.assertEqual(2465, FakeSMTP.instances[1].args['port'])

    def test_bad_ca_file(self):
        self.flags(group='notification', smtp_security='ssl',
                   smtp_ca_file='/nonexistent/ca.pem')
        error = self.assertRaises(email.EmailError, self.send)
        self.assertIn('/nonexistent/ca.pem', str(error))

    def test_login_without_tls_warns(self):
        self.flags(group='notification', smtp_user='staffeln',
                   smtp_password='Very-Secret')
        self.send()
        self.assertIn('clear text', self.logger.output)
        self.assertNotIn('Very-Secret', self.logger.output)

    def test_errors_never_carry_the_password(self):
        self.flags(group='notification', smtp_user='staffeln',
                   smtp_password='Very-Secret', smtp_security='starttls')
        FakeSMTP.fail_on = ('login', smtplib.SMTPAuthenticationError(
            535, b'5.7.8 Authentication credentials invalid'))
        error = self.assertRaises(email.EmailError, self.send)
        self.assertEqual('SMTP server mail.example:25 refused the login of '
                         'staffeln: 535 5.7.8 Authentication credentials '
                         'invalid', str(error))
        self.assertNotIn('Very-Secret', str(error))

    def test_errors_are_email_errors(self):
        for failure, text in (
                (smtplib.SMTPRecipientsRefused(
                    {'a@example.org': (550, b'no such user')}),
                 'refused every recipient: a@example.org (550 no such '
                 'user)'),
                (smtplib.SMTPDataError(451, b'try later'),
                 'answered 451 try later'),
                (smtplib.SMTPServerDisconnected('gone'), 'gone'),
                (ConnectionRefusedError(111, 'Connection refused'),
                 'Connection refused'),
                (ssl.SSLCertVerificationError('certificate verify failed'),
                 'certificate verify failed')):
            FakeSMTP.fail_on = ('send_message', failure)
            error = self.assertRaises(email.EmailError, self.send)
            self.assertIn(text, str(error))

    def test_some_recipients_refused(self):
        def send_message(client, msg, from_addr=None, to_addrs=None):
            return {'b@example.org': (550, b'unknown')}
        self.useFixture(fixtures.MockPatchObject(FakeSMTP, 'send_message',
                                                 send_message))
        refused = self.send()
        self.assertEqual({'b@example.org': (550, b'unknown')}, refused)
        self.assertIn('b@example.org (550 unknown)', self.logger.output)
