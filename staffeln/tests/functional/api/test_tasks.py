"""``/v1/tasks`` over HTTP: who may read what, route by route."""

import uuid

from keystonemiddleware import auth_token
import requests
import testscenarios

from staffeln.api import auth
from staffeln.db import states
from staffeln.tests import base
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios

PROJECT_A = 'aaaa0000aaaa0000aaaa0000aaaa0000'
PROJECT_B = 'bbbb0000bbbb0000bbbb0000bbbb0000'


def persona(project_id, *roles, user_id=None):
    return {'X-User-Id': user_id or uuid.uuid4().hex,
            'X-Project-Id': project_id,
            'X-Roles': ','.join(roles)}


ADMIN = persona('cccc0000cccc0000cccc0000cccc0000', 'admin', 'member',
                'reader')
READER_A = persona(PROJECT_A, 'reader')
MEMBER_A = persona(PROJECT_A, 'member', 'reader')
READER_B = persona(PROJECT_B, 'member', 'reader')
#: Authenticated in project A, without any role Staffeln's rules know.
PLAIN_A = persona(PROJECT_A, 'load-balancer_observer')

#: Every route that is not public, with requests a user who is neither an
#: admin nor a reader of the task's project must be refused on (403).
#: ``{task_a}`` is a task of project A.
REFUSED = {
    'tasks.list_tasks': [
        (PLAIN_A, '/v1/tasks'),
        (PLAIN_A, f'/v1/tasks?project_id={PROJECT_A}'),
        (READER_B, f'/v1/tasks?project_id={PROJECT_A}'),
        (MEMBER_A, '/v1/tasks?all_projects=true'),
        (PLAIN_A, '/v1/tasks?all_projects=true'),
    ],
    'tasks.get_task': [
        (PLAIN_A, '/v1/tasks/{task_a}'),
        (READER_B, '/v1/tasks/{task_a}'),
    ],
}
#: The metrics are public to Keystone but check their own bearer token
#: (see test_metrics).
PUBLIC_ENDPOINTS = {'backup_hook.check_delete', 'versions.versions',
                    'versions.version', 'metrics.metrics'}


class TestTasks(base.TestCase):

    scenarios = db_fixture.scenarios()

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database(self.backend))
        self.flags(auth_strategy='noauth', group='api')
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf))
        self.backups_a = [api_fixtures.add_task(PROJECT_A, status)
                          for status in (states.AVAILABLE, states.CREATING,
                                         states.DELETED)]
        self.backups_b = [api_fixtures.add_task(PROJECT_B, states.AVAILABLE)]

    def get(self, path, headers=None):
        return requests.get(self.api.url + path, headers=headers or {},
                            timeout=10)

    def task_uuids(self, response):
        self.assertEqual(200, response.status_code, response.text)
        return [task['backup_id'] for task in response.json()['tasks']]

    def task_a(self):
        tasks = self.get('/v1/tasks', ADMIN | {'X-Project-Id': PROJECT_A})
        return tasks.json()['tasks'][0]['uuid']

    def test_every_route_has_refusal_cases(self):
        rules = list(self.api.app.url_map.iter_rules())
        endpoints = {rule.endpoint for rule in rules
                     if rule.endpoint.startswith('tasks.')}
        # The other resources' routes: test_verify_policy.
        self.assertEqual(set(REFUSED), endpoints)
        public_paths = {rule.rule for rule in rules
                        if rule.endpoint in PUBLIC_ENDPOINTS}
        self.assertEqual(set(auth.PUBLIC_PATHS), public_paths)

    def test_plain_user_is_refused_on_every_route(self):
        task_a = self.task_a()
        for endpoint, cases in REFUSED.items():
            for headers, path in cases:
                path = path.format(task_a=task_a)
                response = self.get(path, headers)
                self.assertEqual(403, response.status_code,
                                 f'{endpoint}: {path} {headers["X-Roles"]}')
                self.assertNotIn('tasks', response.text)

    def test_unauthenticated_is_refused_on_every_route(self):
        task_a = self.task_a()
        for endpoint, cases in REFUSED.items():
            for _, path in cases:
                response = self.get(path.format(task_a=task_a))
                self.assertEqual(401, response.status_code, path)

    def test_reader_sees_own_project_only(self):
        listed = self.task_uuids(self.get('/v1/tasks', READER_A))
        self.assertEqual(sorted(self.backups_a), sorted(listed))
        task = self.get(f'/v1/tasks/{self.task_a()}', READER_A)
        self.assertEqual(200, task.status_code)
        self.assertEqual(PROJECT_A, task.json()['task']['project_id'])

    def test_admin_sees_every_project(self):
        listed = self.task_uuids(
            self.get('/v1/tasks?all_projects=true', ADMIN))
        self.assertEqual(sorted(self.backups_a + self.backups_b),
                         sorted(listed))
        listed = self.task_uuids(
            self.get(f'/v1/tasks?project_id={PROJECT_B}', ADMIN))
        self.assertEqual(self.backups_b, listed)

    def test_filters_and_pages(self):
        listed = self.task_uuids(self.get(
            '/v1/tasks?status=available,creating', MEMBER_A))
        self.assertEqual(self.backups_a[1::-1], listed)
        first = self.get('/v1/tasks?limit=2', MEMBER_A).json()['tasks']
        self.assertEqual(self.backups_a[:0:-1],
                         [task['backup_id'] for task in first])
        rest = self.task_uuids(self.get(
            f'/v1/tasks?limit=2&marker={first[-1]["uuid"]}', MEMBER_A))
        self.assertEqual(self.backups_a[:1], rest)

    def test_bad_queries(self):
        for path in ('/v1/tasks?limit=0', '/v1/tasks?limit=x',
                     '/v1/tasks?status=bogus', '/v1/tasks?marker=nope',
                     f'/v1/tasks?marker={uuid.uuid4()}',
                     '/v1/tasks?all_projects=maybe', '/v1/tasks/nope'):
            response = self.get(path, MEMBER_A | {'Accept':
                                                  'application/json'})
            self.assertEqual(400, response.status_code, path)
            self.assertEqual(400, response.json()['error']['code'])
        self.assertEqual(404, self.get(f'/v1/tasks/{uuid.uuid4()}',
                                       ADMIN).status_code)

    def test_database_down(self):
        api_fixtures.stop_database(self.db)
        self.assertEqual(503, self.get('/v1/tasks', MEMBER_A).status_code)


class TestKeystoneAuth(base.TestCase):
    """With the default strategy, the REST API needs a Keystone token."""

    def setUp(self):
        super().setUp()
        # Where a client without a token is sent to authenticate; a
        # deployment always sets it (keystonemiddleware 13 answers 500
        # without it). No token is validated in these tests.
        for group, opts in auth_token.list_opts():
            self.conf.register_opts(opts, group=group)
        self.flags(group='keystone_authtoken',
                   www_authenticate_uri='http://127.0.0.1:5000/v3')
        self.useFixture(db_fixture.Database('sqlite'))
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf))

    def test_no_token_is_refused(self):
        for path in ('/v1/tasks', f'/v1/tasks/{uuid.uuid4()}', '/nowhere'):
            response = requests.get(self.api.url + path, headers=READER_A,
                                    timeout=10)
            self.assertEqual(401, response.status_code, path)

    def test_hook_and_healthcheck_need_no_token(self):
        response = requests.post(self.api.url + '/v1/backup',
                                 params={'backup_id': str(uuid.uuid4())},
                                 timeout=10)
        self.assertEqual((200, 'True'), (response.status_code,
                                         response.text))
        response = requests.get(self.api.url + '/healthcheck', timeout=10)
        self.assertEqual(200, response.status_code)
