"""HTTPS and client certificates, with oslo.policy's ``https:`` check."""

import datetime
import ipaddress
import os
import uuid

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography import x509
from cryptography.x509.oid import NameOID
import fixtures
import requests

from staffeln.db import states
from staffeln.tests import base
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture

PROJECT = 'dddd0000dddd0000dddd0000dddd0000'


class Authority:
    """A throw-away certificate authority that writes PEM files."""

    def __init__(self, directory: str, name: str):
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = self._sign(subject, self.key.public_key(), subject,
                               self.key, ca=True)
        self.cert_file = self._write(f'{name}-ca.pem', self.cert)

    @staticmethod
    def _sign(subject, public_key, issuer, issuer_key, ca=False, san=None):
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateBuilder()
                   .subject_name(subject).issuer_name(issuer)
                   .public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca,
                                                        path_length=None),
                                  critical=True))
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def _write(self, name, cert=None, key=None) -> str:
        path = os.path.join(self.directory, name)
        with open(path, 'wb') as f:
            if cert is not None:
                f.write(cert.public_bytes(serialization.Encoding.PEM))
            if key is not None:
                f.write(key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption()))
        return path

    def issue(self, name: str, san=None) -> tuple[str, str]:
        """A certificate and key signed by this authority: file paths."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = self._sign(subject, key.public_key(), self.cert.subject,
                          self.key, san=san)
        return (self._write(f'{name}.crt', cert=cert),
                self._write(f'{name}.key', key=key))


class TestMutualTLS(base.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(db_fixture.Database('sqlite'))
        tmp = self.useFixture(fixtures.TempDir()).path
        self.tmp = tmp
        server_ca = Authority(tmp, 'server')
        self.client_ca = Authority(tmp, 'client')
        self.server_ca_file = server_ca.cert_file
        cert, key = server_ca.issue('staffeln-api', san=[
            x509.IPAddress(ipaddress.ip_address('127.0.0.1'))])
        self.flags(ssl_cert_file=cert, ssl_key_file=key,
                   ssl_ca_file=self.client_ca.cert_file, group='api')
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf))
        self.assertTrue(self.api.url.startswith('https://'))
        self.client_cert, self.client_key = self.client_ca.issue('cinder')
        self.rule = ('role:admin or (project_id:%(project_id)s and '
                     f'https://127.0.0.1:{self.api.port}'
                     '/v1/backup?backup_id=%(id)s)')

    def enforcer(self, cert=None, key=None):
        options = {'remote_ssl_verify_server_crt': True,
                   'remote_ssl_ca_crt_file': self.server_ca_file}
        if cert:
            options.update(remote_ssl_client_crt_file=cert,
                           remote_ssl_client_key_file=key)
        return api_fixtures.cinder_enforcer(self.tmp, self.rule, **options)

    def may_delete(self, enforcer, backup_id, metadata=None):
        return enforcer.authorize(
            'backup:delete',
            api_fixtures.cinder_backup_target(backup_id, PROJECT, metadata),
            api_fixtures.cinder_credentials(PROJECT))

    def test_client_with_certificate(self):
        enforcer = self.enforcer(self.client_cert, self.client_key)
        automated = api_fixtures.add_task(PROJECT, states.AVAILABLE)
        self.assertFalse(self.may_delete(enforcer, automated,
                                         {api_fixtures.MARKER: 'True'}))
        self.assertTrue(self.may_delete(enforcer, str(uuid.uuid4())))

    def test_client_without_certificate_is_refused(self):
        # The server refuses the handshake (with TLS 1.3 the client learns
        # it when it reads the answer: the connection is closed);
        # oslo.policy raises, and Cinder refuses the delete.
        enforcer = self.enforcer()
        self.assertRaises(requests.exceptions.ConnectionError,
                          self.may_delete, enforcer, str(uuid.uuid4()))

    def test_client_with_a_foreign_certificate_is_refused(self):
        rogue = Authority(self.tmp, 'rogue')
        cert, key = rogue.issue('intruder')
        enforcer = self.enforcer(cert, key)
        self.assertRaises(requests.exceptions.RequestException,
                          self.may_delete, enforcer, str(uuid.uuid4()))

    def test_plain_http_is_refused(self):
        self.assertRaises(
            requests.exceptions.ConnectionError, requests.post,
            f'http://127.0.0.1:{self.api.port}/v1/backup',
            params={'backup_id': str(uuid.uuid4())}, timeout=10)
