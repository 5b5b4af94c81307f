"""What the REST API's functional tests share: personas, a served API on a
real database, and a small world of volumes and backups in two projects."""

import datetime
import uuid

import requests

from staffeln.common import clock as staffeln_clock
from staffeln.common import context as staffeln_context
from staffeln.db import api as db_api
from staffeln.db import api_policies
from staffeln.db import states
from staffeln.tests import base
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture

PROJECT_A = 'aaaa0000aaaa0000aaaa0000aaaa0000'
PROJECT_B = 'bbbb0000bbbb0000bbbb0000bbbb0000'
ADMIN_PROJECT = 'cccc0000cccc0000cccc0000cccc0000'
NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def persona(project_id, *roles):
    return {'X-User-Id': uuid.uuid4().hex, 'X-Project-Id': project_id,
            'X-Roles': ','.join(roles)}


ADMIN = persona(ADMIN_PROJECT, 'admin', 'member', 'reader')
READER_A = persona(PROJECT_A, 'reader')
MEMBER_A = persona(PROJECT_A, 'member', 'reader')
MEMBER_B = persona(PROJECT_B, 'member', 'reader')
#: Authenticated in project A, without any role Staffeln's rules know.
PLAIN_A = persona(PROJECT_A, 'load-balancer_observer')


def ids(n: int, prefix: str) -> list[str]:
    """``n`` volume-like uuids that sort in the order made."""
    return [f'{prefix}{i:07d}-0000-4000-8000-000000000000'
            for i in range(n)]


class World:
    """Volumes and tasks of projects A and B, as the conductor leaves them.

    Project A: ``vol_a`` (server ``server_a``) with a full backup and an
    incremental on top, and ``skipped_a`` (skipped). Project B:
    ``vol_b`` with one full backup that is two days old (RPO breached).
    """

    server_a = '5e000000-0000-4000-8000-00000000000a'
    server_b = '5e000000-0000-4000-8000-00000000000b'

    def __init__(self):
        self.ctx = staffeln_context.get_admin_context()
        self.vol_a, self.skipped_a = ids(2, 'a')
        self.vol_b, = ids(1, 'b')
        self.default = api_policies.get_policy(self.ctx, 'default')
        db_api.save_volumes(self.ctx, [
            self.volume(self.vol_a, PROJECT_A, self.server_a),
            self.volume(self.skipped_a, PROJECT_A, self.server_a,
                        skip_reason='volume metadata backup_skip=yes'),
            self.volume(self.vol_b, PROJECT_B, self.server_b),
        ], NOW - 3 * DAY)
        api_policies.save_volume_policies(self.ctx, {
            self.vol_a: [(self.default.id, NOW + 20 * HOUR, 'due')],
            self.vol_b: [(self.default.id, NOW - HOUR, 'due')]})
        full = self.task(self.vol_a, PROJECT_A, 'full', NOW - 2 * HOUR)
        self.full_a = full.backup_id
        incr = self.task(self.vol_a, PROJECT_A, 'incremental',
                         NOW - HOUR, parent_id=full.id, on_demand=True)
        self.incr_a = incr.backup_id
        self.full_b = self.task(self.vol_b, PROJECT_B, 'full',
                                NOW - 2 * DAY).backup_id

    def volume(self, volume_id, project_id, server_id, **values) -> dict:
        return {'id': volume_id, 'project_id': project_id,
                'name': f'vol-{volume_id[:8]}', 'size_gb': 2,
                'status': 'in-use', 'server_id': server_id,
                'server_name': f'server-{server_id[-1]}',
                'interval_s': 86400, **values}

    def task(self, volume_id, project_id, backup_type, started_at,
             **values):
        return db_api.create_task(self.ctx, {
            'project_id': project_id, 'volume_id': volume_id,
            'volume_name': f'vol-{volume_id[:8]}',
            'server_id': (self.server_a if project_id == PROJECT_A
                          else self.server_b),
            'backup_type': backup_type, 'status': states.AVAILABLE,
            'backup_id': str(uuid.uuid4()), 'size_gb': 2,
            'policy_id': self.default.id, 'created_at': started_at,
            'started_at': started_at,
            'finished_at': started_at + datetime.timedelta(minutes=5),
            **values})


class RestTestCase(base.TestCase):
    """The API on a real database (``backend``), with a manual clock."""

    backend = 'sqlite'

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database(self.backend))
        self.flags(auth_strategy='noauth', group='api')
        self.configure()
        self.clock = staffeln_clock.ManualClock(NOW)
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf,
                                                          self.clock))
        self.session = requests.Session()
        self.addCleanup(self.session.close)

    def configure(self):
        """Set options before the API starts."""

    def call(self, method, path, headers=None, **kwargs):
        return self.session.request(method, self.api.url + path,
                                    headers=headers or {}, timeout=30,
                                    **kwargs)

    def ok(self, method, path, headers, code=200, **kwargs):
        response = self.call(method, path, headers, **kwargs)
        self.assertEqual(code, response.status_code,
                         f'{method} {path}: {response.text}')
        return response.json() if response.content else None

    def get(self, path, headers=ADMIN):
        return self.ok('GET', path, headers)

    def refused(self, code, method, path, headers, headers_json=False,
                **kwargs):
        if headers_json:
            headers = headers | {'Content-Type': 'application/json'}
        response = self.call(method, path, headers, **kwargs)
        self.assertEqual(code, response.status_code,
                         f'{method} {path}: {response.text}')
        error = response.json()['error']
        self.assertEqual(code, error['code'])
        self.assertEqual(1, len(error['message'].splitlines()))
        self.assertEqual(response.headers['X-OpenStack-Request-Id'],
                         error['request_id'])
        return error['message']
