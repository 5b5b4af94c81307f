import ssl

from staffeln.api import server
from staffeln.tests import base


class TestServer(base.TestCase):

    def test_plain(self):
        self.flags(host='127.0.0.1', port=8808, workers=7, group='api')
        srv = server.build_server(self.conf, lambda e, s: [])
        self.assertIsNone(srv.ssl_context)
        self.assertEqual(('http://127.0.0.1:8808', 7),
                         (srv.url, srv.threads))

    def test_ipv6_url(self):
        self.flags(host='::1', port=8808, group='api')
        self.assertEqual('http://[::1]:8808', server.build_server(
            self.conf, lambda e, s: []).url)

    def test_missing_certificate(self):
        self.flags(ssl_cert_file='/nonexistent.pem',
                   ssl_key_file='/nonexistent.key', group='api')
        self.assertRaises((OSError, ssl.SSLError), server.build_server,
                          self.conf, lambda e, s: [])
