"""A real SMTP server on loopback (aiosmtpd), with TLS and AUTH if asked.

The server runs in a thread of the test process on an ephemeral port and
keeps every message it accepted. Certificates come from a throw-away CA made
with ``cryptography``, so clients verify them for real.
"""

import dataclasses
import datetime
import email
from email import policy
import ipaddress
import logging
import os
import ssl
import warnings

from aiosmtpd import controller
from aiosmtpd import smtp as aiosmtpd_smtp
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography import x509
from cryptography.x509.oid import NameOID
import fixtures

PLAIN = 'plain'
STARTTLS = 'starttls'
SSL = 'ssl'
MODES = (PLAIN, STARTTLS, SSL)

USER = 'staffeln'
PASSWORD = 'Secret-Passw0rd'


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class Certificates(fixtures.Fixture):
    """A CA and a server certificate for 127.0.0.1 and localhost.

    ``ca_file``, ``cert_file`` and ``key_file`` are PEM files in a temporary
    directory.
    """

    def _setUp(self):
        path = self.useFixture(fixtures.TempDir()).path
        now = datetime.datetime.now(datetime.timezone.utc)
        start = now - datetime.timedelta(days=1)
        end = now + datetime.timedelta(days=30)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name('Staffeln test CA')
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name('localhost')).issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName('localhost'),
                x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
        self.ca_file = os.path.join(path, 'ca.pem')
        self.cert_file = os.path.join(path, 'server.pem')
        self.key_file = os.path.join(path, 'server.key')
        with open(self.ca_file, 'wb') as f:
            f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
        with open(self.cert_file, 'wb') as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(self.key_file, 'wb') as f:
            f.write(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@dataclasses.dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_DATA(self, server, session, envelope):
        failing = self.server.fail_for & {r.lower()
                                          for r in envelope.rcpt_tos}
        if failing:
            return '451 4.3.0 Temporary failure, try again later'
        login = None
        if session.authenticated and session.auth_data is not None:
            login = session.auth_data.login.decode()
        self.server.received.append(Received(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
            data=envelope.original_content or envelope.content,
            tls=(session.ssl is not None or server.transport.get_extra_info(
                'ssl_object') is not None),
            login=login))
        return '250 Message accepted for delivery'


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, aiosmtpd_smtp.LoginPassword)
          and auth_data.login == USER.encode()
          and auth_data.password == PASSWORD.encode())
    return aiosmtpd_smtp.AuthResult(success=ok, handled=False,
                                    auth_data=auth_data if ok else None)


class _Controller(controller.Controller):
    """Listens on an ephemeral port: ``port`` is set once it listens."""

    def factory(self):
        with warnings.catch_warnings():
            # aiosmtpd 1.4 warns about AUTH without STARTTLS even on an
            # implicit TLS listener.
            warnings.simplefilter('ignore')
            return super().factory()

    def _create_server(self):
        create = super()._create_server()

        async def listen():
            server = await create
            self.port = server.sockets[0].getsockname()[1]
            return server
        return listen()


class SMTPServer(fixtures.Fixture):
    """An SMTP server on 127.0.0.1 in ``mode`` (plain, starttls or ssl).

    With starttls or ssl it also requires AUTH (over TLS only) with
    ``USER``/``PASSWORD``. ``received`` lists the accepted messages;
    a message to an address in ``fail_for`` is answered 451.
    """

    def __init__(self, mode: str = PLAIN,
                 certificates: Certificates | None = None):
        super().__init__()
        if mode != PLAIN and certificates is None:
            raise ValueError(f'{mode} needs certificates')
        self.mode = mode
        self.certificates = certificates
        self.received: list[Received] = []
        self.fail_for: set[str] = set()
        self._controller = None

    def _setUp(self):
        # The server's own log (refused TLS handshakes, ...) and its
        # deprecation warning about its own use of login_data.
        self.log = self.useFixture(fixtures.FakeLogger(
            name='mail.log', level=logging.INFO))
        self.useFixture(fixtures.WarningsFilter([
            {'action': 'ignore', 'message': 'Session.login_data'}]))
        self.start()
        self.addCleanup(self.stop)

    def start(self):
        kwargs = {}
        if self.mode == STARTTLS:
            kwargs.update(tls_context=self.certificates.server_context(),
                          require_starttls=True)
        elif self.mode == SSL:
            kwargs.update(ssl_context=self.certificates.server_context())
        if self.mode != PLAIN:
            # With implicit TLS aiosmtpd does not know the connection is
            # encrypted, so it must not insist on STARTTLS before AUTH.
            kwargs.update(authenticator=_authenticate, auth_required=True,
                          auth_require_tls=self.mode == STARTTLS)
        self._controller = _Controller(
            _Handler(self), hostname='127.0.0.1', port=0,
            server_hostname='smtp.test', ready_timeout=10, **kwargs)
        self._controller.start()
        self.port = self._controller.port

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def conf_flags(self) -> dict:
        """``[notification]`` options that reach this server."""
        flags = dict(smtp_host='127.0.0.1', smtp_port=self.port,
                     smtp_security='none')
        if self.mode != PLAIN:
            flags.update(smtp_security=(
                'starttls' if self.mode == STARTTLS else 'ssl'),
                smtp_ca_file=self.certificates.ca_file,
                smtp_user=USER, smtp_password=PASSWORD)
        return flags

    def messages_to(self, address: str) -> list[Received]:
        return [r for r in self.received
                if address.lower() in {a.lower() for a in r.rcpt_tos}]
