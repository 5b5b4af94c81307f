import os

import fixtures
from oslo_config import cfg

from staffeln.cmd import api as api_cmd
from staffeln.common import exception
from staffeln import conf as staffeln_conf
from staffeln.tests import base


class TestPrepareService(base.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.configure = self.useFixture(fixtures.MockPatch(
            'staffeln.db.api.configure')).mock
        self.useFixture(fixtures.MockPatch('oslo_log.log.setup'))

    def prepare(self, text):
        path = os.path.join(self.tmp, 'staffeln.conf')
        with open(path, 'w') as f:
            f.write(text)
        conf = cfg.ConfigOpts()
        staffeln_conf.register_opts(conf)
        return api_cmd.prepare_api(['staffeln-api', '--config-file',
                                    path], conf=conf)

    def test_good(self):
        conf = self.prepare('[api]\nport = 9999\nworkers = 3\n')
        self.assertEqual((9999, 3), (conf.api.port, conf.api.workers))
        self.configure.assert_called_once_with(conf)
        # The API answers 503 at once instead of waiting for the database.
        self.assertEqual(0, conf.database.max_retries)

    def test_max_retries_can_still_be_set(self):
        conf = self.prepare('[database]\nmax_retries = 3\n')
        self.assertEqual(3, conf.database.max_retries)

    def test_bad_configurations_are_one_line(self):
        for text, fragment in (
                ('[api]\nport = 70000\n', 'port'),
                ('[api]\nworkers = 0\n', 'workers'),
                ('[api]\nauth_strategy = magic\n', 'auth_strategy'),
                ('[api]\nssl_key_file = /k\n', 'ssl_cert_file'),
                ('[api]\nssl_ca_file = /ca\n', 'ssl_ca_file'),
                ('[database]\nmax_pool_size = x\n', 'max_pool_size'),
                ('not ini\n', 'staffeln.conf')):
            exc = self.assertRaises(exception.ConfigurationError,
                                    self.prepare, text)
            self.assertIn(fragment, str(exc), text)
            self.assertNotIn('\n', str(exc))
            self.assertNotIn('LocationInfo', str(exc))
        self.configure.assert_not_called()
