"""The application a WSGI server gets: configured from the environment.

``staffeln.wsgi.api:application`` is built by
:func:`staffeln.cmd.api.wsgi_application`; the devstack tests serve it with
the real uwsgi.
"""

import contextlib
import io
import os
import uuid

import fixtures
from oslo_config import cfg
from oslo_db.sqlalchemy import enginefacade
from werkzeug import test as werkzeug_test

from staffeln.cmd import api as api_cmd
from staffeln import conf as staffeln_conf
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests import base
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture

PROJECT = 'ffff0000ffff0000ffff0000ffff0000'


class TestWsgiModule(base.TestCase):

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database('sqlite'))
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.automated = api_fixtures.add_task(PROJECT, states.AVAILABLE)
        # The module configures the global CONF and transaction context:
        # give it fresh ones, and forget what it built afterwards.
        fresh = cfg.ConfigOpts()
        staffeln_conf.register_opts(fresh)
        self.useFixture(fixtures.MockPatchObject(staffeln_conf, 'CONF',
                                                 fresh))
        factory = enginefacade._TransactionFactory()
        self.addCleanup(db_api.context_manager.patch_factory(factory))
        self.addCleanup(factory.dispose_pool)

    def environ(self, text: str) -> None:
        path = os.path.join(self.tmp, 'staffeln.conf')
        with open(path, 'w') as f:
            f.write(text)
        self.useFixture(fixtures.EnvironmentVariable('STAFFELN_CONFIG_FILES',
                                                     path))

    def test_application_attribute(self):
        self.environ(f'[DEFAULT]\nstate_path = {self.tmp}\n'
                     f'[database]\nconnection = {self.db.url}\n')
        automated = self.automated

        application = api_cmd.wsgi_application()
        client = werkzeug_test.Client(application)
        response = client.post(f'/v1/backup?backup_id={automated}')
        self.assertEqual((401, b'False'), (response.status_code,
                                           response.data))
        response = client.post(f'/v1/backup?backup_id={uuid.uuid4()}')
        self.assertEqual((200, b'True'), (response.status_code,
                                          response.data))
        self.assertEqual(200, client.get('/healthcheck').status_code)

    def test_bad_config_exits_with_one_line(self):
        self.environ('[api]\nport = not-a-port\n')
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            exc = self.assertRaises(SystemExit, api_cmd.wsgi_application)
        self.assertEqual(2, exc.code)
        lines = stderr.getvalue().strip().splitlines()
        self.assertEqual(1, len(lines), lines)
        self.assertIn('port', lines[0])
