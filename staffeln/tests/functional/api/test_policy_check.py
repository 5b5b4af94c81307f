"""Cinder's oslo.policy ``http:`` check against the running delete hook.

The real ``oslo_policy.policy.Enforcer``, configured like Cinder's with the
policy line the documentation gives, asks staffeln-api (served by its own
production server on loopback) about Cinder-shaped targets, in both content
types oslo.policy can send, on SQLite, MariaDB and PostgreSQL.
"""

import uuid

import fixtures
import requests
import testscenarios

from staffeln.db import states
from staffeln.tests import base
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios

PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00'
MARKER = api_fixtures.MARKER
CONTENT_TYPES = [
    ('form', {'content_type': 'application/x-www-form-urlencoded'}),
    ('json', {'content_type': 'application/json'}),
]


class TestCinderPolicyCheck(base.TestCase):

    scenarios = testscenarios.multiply_scenarios(
        db_fixture.scenarios(), CONTENT_TYPES)

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database(self.backend))
        self.start_api()

    def start_api(self):
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf))
        rule = ('role:admin or (project_id:%(project_id)s and '
                f'http://127.0.0.1:{self.api.port}'
                '/v1/backup?backup_id=%(id)s)')
        self.enforcer = api_fixtures.cinder_enforcer(
            self.useFixture(fixtures.TempDir()).path, rule,
            self.content_type)

    def may_delete(self, backup_id, metadata=None, roles=('member',
                                                          'reader')):
        target = api_fixtures.cinder_backup_target(backup_id, PROJECT,
                                                   metadata)
        creds = api_fixtures.cinder_credentials(PROJECT, roles)
        return self.enforcer.authorize('backup:delete', target, creds)

    def test_automated_backup_is_denied(self):
        backup_id = api_fixtures.add_task(PROJECT, states.AVAILABLE)
        self.assertFalse(self.may_delete(backup_id, {MARKER: 'True'}))

    def test_automated_backup_without_its_marker_is_denied(self):
        # A tenant who stripped the marker still cannot delete it.
        backup_id = api_fixtures.add_task(PROJECT, states.AVAILABLE)
        self.assertFalse(self.may_delete(backup_id, {}))

    def test_backup_in_progress_is_denied(self):
        for status in (states.CREATING, states.STARTING, states.QUEUED):
            backup_id = api_fixtures.add_task(PROJECT, status)
            self.assertFalse(self.may_delete(backup_id), status)

    def test_marked_backup_unknown_to_the_database_is_denied(self):
        for value in ('True', 'true', True):
            self.assertFalse(self.may_delete(str(uuid.uuid4()),
                                             {MARKER: value}))

    def test_manual_backup_is_allowed(self):
        self.assertTrue(self.may_delete(str(uuid.uuid4()),
                                        {'owner': 'me', MARKER: 'false'}))
        self.assertTrue(self.may_delete(str(uuid.uuid4())))

    def test_released_backup_is_allowed_despite_its_marker(self):
        # Staffeln's retention (a member of the project) deletes its own.
        for status in (states.DELETING, states.DELETED, states.CLEANUP,
                       states.FAILED):
            backup_id = api_fixtures.add_task(PROJECT, status)
            self.assertTrue(self.may_delete(backup_id, {MARKER: 'True'}),
                            status)

    def test_admin_is_not_asked(self):
        backup_id = api_fixtures.add_task(PROJECT, states.AVAILABLE)
        self.assertTrue(self.may_delete(backup_id, {MARKER: 'True'},
                                        roles=('admin', 'member')))

    def test_allow_delete_roles(self):
        self.flags(allow_delete_roles=['backup-operator'], group='api')
        self.start_api()
        backup_id = api_fixtures.add_task(PROJECT, states.AVAILABLE)
        self.assertTrue(self.may_delete(backup_id, {MARKER: 'True'},
                                        roles=('member', 'backup-operator')))
        self.assertFalse(self.may_delete(backup_id, {MARKER: 'True'}))

    def test_database_stopped_is_denied(self):
        automated = api_fixtures.add_task(PROJECT, states.AVAILABLE)
        manual = str(uuid.uuid4())
        self.assertTrue(self.may_delete(manual))
        self.assertEqual(200, requests.get(f'{self.api.url}/healthcheck',
                                           timeout=10).status_code)

        api_fixtures.stop_database(self.db)

        self.assertFalse(self.may_delete(manual))
        self.assertFalse(self.may_delete(automated, {MARKER: 'True'}))
        # What the check got: the fail-closed 503.
        response = requests.post(
            f'{self.api.url}/v1/backup', params={'backup_id': manual},
            timeout=10)
        self.assertEqual(503, response.status_code)
        self.assertNotEqual('True', response.text.strip().strip('"'))
        health = requests.get(f'{self.api.url}/healthcheck', timeout=10)
        self.assertEqual(503, health.status_code)
        self.assertIn('database unavailable', health.text)
