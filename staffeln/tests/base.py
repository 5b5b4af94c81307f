"""Base classes for Staffeln's tests."""

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from staffeln import conf as staffeln_conf


class TestCase(testtools.TestCase):
    """A test with its own configuration object, never the global one."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.NestedTempfile())
        self.conf = cfg.ConfigOpts()
        staffeln_conf.register_opts(self.conf)
        self.conf_fixture = self.useFixture(config_fixture.Config(self.conf))
        self.conf([], project='staffeln', default_config_files=[],
                  default_config_dirs=[])
        self.flags(state_path=self.useFixture(fixtures.TempDir()).path)

    def flags(self, group=None, **kw):
        self.conf_fixture.config(group=group, **kw)
