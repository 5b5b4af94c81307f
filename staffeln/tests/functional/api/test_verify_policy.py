"""Every route of the REST API, refused to whoever may not use it.

Placement's "verify policy" test, route by route: an anonymous caller gets
401; a caller without a role Staffeln knows, and a member of another
project, get 403 on project A's resources; a reader cannot act; only an
admin manages policies or lists every project. A test fails when a route
is added without its cases here.
"""

import dataclasses

from staffeln.api import auth
from staffeln.db import api_restores
from staffeln.db import api_webhooks
from staffeln.tests.functional.api import rest

A = rest.PROJECT_A
ANONYMOUS = {}
P = rest


@dataclasses.dataclass(frozen=True)
class Case:
    method: str
    path: str
    #: Who must be refused (besides the anonymous caller, always 401).
    refused: tuple
    body: dict | None = None


#: endpoint -> cases; ``{...}`` names an attribute of the world.
ROUTES = {
    'tasks.list_tasks': [
        Case('GET', '/v1/tasks', (P.PLAIN_A,)),
        Case('GET', f'/v1/tasks?project_id={A}', (P.PLAIN_A, P.MEMBER_B)),
        Case('GET', '/v1/tasks?all_projects=true', (P.MEMBER_A,)),
    ],
    'tasks.get_task': [
        Case('GET', '/v1/tasks/{task_a}', (P.PLAIN_A, P.MEMBER_B))],
    'volumes.list_volumes': [
        Case('GET', '/v1/volumes', (P.PLAIN_A,)),
        Case('GET', f'/v1/volumes?project_id={A}', (P.PLAIN_A, P.MEMBER_B)),
        Case('GET', '/v1/volumes?all_projects=true', (P.MEMBER_A,)),
    ],
    'volumes.get_volume': [
        Case('GET', '/v1/volumes/{vol_a}', (P.PLAIN_A, P.MEMBER_B))],
    'backups.list_backups': [
        Case('GET', '/v1/backups', (P.PLAIN_A,)),
        Case('GET', f'/v1/backups?project_id={A}', (P.PLAIN_A, P.MEMBER_B)),
        Case('GET', '/v1/backups?all_projects=true', (P.MEMBER_A,)),
    ],
    'backups.get_backup': [
        Case('GET', '/v1/backups/{full_a}', (P.PLAIN_A, P.MEMBER_B))],
    'backups.create_backup': [
        Case('POST', '/v1/backups', (P.PLAIN_A, P.READER_A, P.MEMBER_B),
             {'volume_id': '{vol_a}'}),
        Case('POST', '/v1/backups', (P.PLAIN_A, P.READER_A, P.MEMBER_B),
             {'server_id': '{server_a}'}),
    ],
    'policies.list_policies': [
        Case('GET', '/v1/policies', (P.PLAIN_A,)),
        Case('GET', '/v1/policies?all_projects=true', (P.MEMBER_A,)),
    ],
    'policies.get_policy': [
        Case('GET', '/v1/policies/default', (P.PLAIN_A,))],
    'policies.create_policy': [
        Case('POST', '/v1/policies', (P.PLAIN_A, P.MEMBER_A),
             {'name': 'hourly', 'schedule': '1h'})],
    'policies.update_policy': [
        Case('PATCH', '/v1/policies/default', (P.PLAIN_A, P.MEMBER_A),
             {'description': 'mine now'})],
    'policies.delete_policy': [
        Case('DELETE', '/v1/policies/default', (P.PLAIN_A, P.MEMBER_A))],
    'projects.list_settings': [
        Case('GET', '/v1/projects/settings', (P.PLAIN_A, P.MEMBER_A))],
    'projects.get_settings': [
        Case('GET', f'/v1/projects/{A}/settings', (P.PLAIN_A, P.MEMBER_B))],
    'projects.update_settings': [
        Case('PATCH', f'/v1/projects/{A}/settings',
             (P.PLAIN_A, P.READER_A, P.MEMBER_B), {'paused': True})],
    'webhooks.get_webhook': [
        Case('GET', f'/v1/projects/{A}/webhook', (P.PLAIN_A, P.MEMBER_B))],
    'webhooks.update_webhook': [
        Case('PATCH', f'/v1/projects/{A}/webhook',
             (P.PLAIN_A, P.READER_A, P.MEMBER_B),
             {'url': 'https://hooks.example.org/a'}),
        Case('PATCH', f'/v1/projects/{A}/webhook',
             (P.PLAIN_A, P.READER_A, P.MEMBER_B), {'url': None}),
    ],
    'projects.get_server_settings': [
        Case('GET', '/v1/servers/{server_a}/settings',
             (P.PLAIN_A, P.MEMBER_B))],
    'projects.update_server_settings': [
        Case('PATCH', '/v1/servers/{server_a}/settings',
             (P.PLAIN_A, P.READER_A, P.MEMBER_B), {'paused': True})],
    'stats.get_stats': [
        Case('GET', '/v1/stats', (P.PLAIN_A,)),
        Case('GET', f'/v1/stats?project_id={A}', (P.PLAIN_A, P.MEMBER_B)),
        Case('GET', '/v1/stats?all_projects=true', (P.MEMBER_A,)),
    ],
    'restores.list_restores': [
        Case('GET', '/v1/restores', (P.PLAIN_A,)),
        Case('GET', f'/v1/restores?project_id={A}', (P.PLAIN_A, P.MEMBER_B)),
        Case('GET', '/v1/restores?all_projects=true', (P.MEMBER_A,)),
    ],
    'restores.get_restore': [
        Case('GET', '/v1/restores/{restore_a}', (P.PLAIN_A, P.MEMBER_B))],
    'restores.create_restore': [
        Case('POST', '/v1/restores', (P.PLAIN_A, P.READER_A, P.MEMBER_B),
             {'backup_id': '{full_a}'}),
    ],
    'retention.preview': [
        Case('GET', '/v1/retention/preview', (P.PLAIN_A,)),
        Case('GET', f'/v1/retention/preview?project_id={A}',
             (P.PLAIN_A, P.MEMBER_B)),
        Case('GET', '/v1/retention/preview?volume_id={vol_a}',
             (P.PLAIN_A, P.MEMBER_B)),
        Case('GET', '/v1/retention/preview?all_projects=true',
             (P.MEMBER_A,)),
    ],
    'retention.prune': [
        Case('POST', '/v1/retention/prune',
             (P.PLAIN_A, P.READER_A, P.MEMBER_B), {'volume_id': '{vol_a}'}),
        Case('POST', '/v1/retention/prune',
             (P.PLAIN_A, P.READER_A, P.MEMBER_B), {'project_id': A}),
    ],
    'records.export_record': [
        Case('GET', '/v1/backups/{full_a}/export_record',
             (P.PLAIN_A, P.READER_A, P.MEMBER_A, P.MEMBER_B))],
    'records.import_record': [
        Case('POST', '/v1/backups/import_record', (P.PLAIN_A, P.MEMBER_A),
             {'backup_service': 'cinder.backup.drivers.posix',
              'backup_url': 'eyJpZCI6ICJ4In0='})],
}
#: Without a Keystone token: the hook (Cinder calls it), the version
#: documents, and the Prometheus metrics (their own bearer token).
PUBLIC_ENDPOINTS = {'backup_hook.check_delete', 'versions.versions',
                    'versions.version', 'metrics.metrics'}


class TestVerifyPolicy(rest.RestTestCase):

    def setUp(self):
        super().setUp()
        self.world = rest.World()
        task_a = self.get('/v1/tasks', rest.MEMBER_A)['tasks'][0]['uuid']
        restore_a = api_restores.create_restore(self.world.ctx, {
            'project_id': A, 'backup_id': self.world.full_a,
            'new_volume': True}, rest.NOW)
        # Project A's webhook, which no refused caller may remove.
        api_webhooks.set_project_webhook(
            self.world.ctx, A, 'https://hooks.example.org/kept', 'k',
            'failures', 'json', rest.NOW)
        self.names = dict(vars(self.world), task_a=task_a,
                          server_a=self.world.server_a,
                          restore_a=restore_a.uuid)

    def cases(self):
        for endpoint, cases in ROUTES.items():
            for case in cases:
                body = case.body and {
                    key: (value.format(**self.names)
                          if isinstance(value, str) else value)
                    for key, value in case.body.items()}
                yield endpoint, case, case.path.format(**self.names), body

    def test_every_route_has_cases(self):
        rules = list(self.api.app.url_map.iter_rules())
        endpoints = {rule.endpoint for rule in rules}
        self.assertEqual(set(ROUTES), endpoints - PUBLIC_ENDPOINTS)
        public = {rule.rule for rule in rules
                  if rule.endpoint in PUBLIC_ENDPOINTS}
        self.assertEqual(set(auth.PUBLIC_PATHS), public)

    def test_anonymous_gets_401(self):
        for endpoint, case, path, body in self.cases():
            self.refused(401, case.method, path, ANONYMOUS, json=body)

    def test_refused_personas_get_403(self):
        for endpoint, case, path, body in self.cases():
            for headers in case.refused:
                with self.subTest(endpoint=endpoint, path=path,
                                  roles=headers['X-Roles'],
                                  project=headers['X-Project-Id']):
                    self.refused(403, case.method, path, headers, json=body)
        # Nothing was done on the way.
        settings = self.get(f'/v1/projects/{A}/settings')['settings']
        self.assertFalse(settings['paused'])
        self.assertEqual('https://hooks.example.org/kept', self.get(
            f'/v1/projects/{A}/webhook')['webhook']['url'])
        server = self.world.server_a
        settings = self.get(f'/v1/servers/{server}/settings')['settings']
        self.assertFalse(settings['paused'])
        self.assertEqual(2, len(self.get('/v1/backups', rest.MEMBER_A)
                                ['backups']))
        self.assertEqual(['default'], [
            p['name'] for p in self.get('/v1/policies')['policies']])
        self.assertEqual(1, len(self.get('/v1/restores?all_projects=true')
                                ['restores']))
