"""The API reference: every route documented, every sample true."""

import os
import re

from staffeln.db import api_quotas
from staffeln.rules import forecast
from staffeln.tests.functional.api import rest
from staffeln.tests.functional.api import samples

INDEX = os.path.join(os.path.dirname(samples.path('x')), '..', 'index.rst')

#: (sample name, method, path, persona, request sample, expected code).
CASES = [
    ('volumes-list', 'GET', '/v1/volumes', rest.MEMBER_A, None, 200),
    ('volume-show', 'GET', '/v1/volumes/{vol_a}', rest.MEMBER_A, None, 200),
    ('backups-list', 'GET', '/v1/backups', rest.MEMBER_A, None, 200),
    ('backup-show', 'GET', '/v1/backups/{incr_a}', rest.MEMBER_A, None,
     200),
    ('backup-create', 'POST', '/v1/backups', rest.MEMBER_A,
     'backup-create-req', 202),
    ('policies-list', 'GET', '/v1/policies', rest.ADMIN, None, 200),
    ('policy-create', 'POST', '/v1/policies', rest.ADMIN,
     'policy-create-req', 201),
    ('policy-update', 'PATCH', '/v1/policies/nightly', rest.ADMIN,
     'policy-update-req', 200),
    ('policy-show', 'GET', '/v1/policies/nightly', rest.MEMBER_A, None,
     200),
    ('settings-update', 'PATCH', f'/v1/projects/{rest.PROJECT_A}/settings',
     rest.MEMBER_A, 'settings-update-req', 200),
    ('settings-show', 'GET', f'/v1/projects/{rest.PROJECT_A}/settings',
     rest.READER_A, None, 200),
    ('settings-list', 'GET', '/v1/projects/settings', rest.ADMIN, None, 200),
    ('webhook-update', 'PATCH', f'/v1/projects/{rest.PROJECT_A}/webhook',
     rest.MEMBER_A, 'webhook-update-req', 200),
    ('webhook-show', 'GET', f'/v1/projects/{rest.PROJECT_A}/webhook',
     rest.READER_A, None, 200),
    ('server-settings-update', 'PATCH', '/v1/servers/{server_a}/settings',
     rest.MEMBER_A, 'server-settings-update-req', 200),
    ('stats-show', 'GET', '/v1/stats?all_projects=true', rest.ADMIN, None,
     200),
    # No cloud here: "quota" is null, which any sample matches.
    ('stats-show-project', 'GET', '/v1/stats', rest.READER_A, None, 200),
    ('tasks-list', 'GET', '/v1/tasks', rest.MEMBER_A, None, 200),
    ('retention-preview', 'GET', '/v1/retention/preview?volume_id={vol_a}',
     rest.READER_A, None, 200),
    ('retention-prune', 'POST', '/v1/retention/prune', rest.MEMBER_A,
     'retention-prune-req', 202),
]


class TestApiReference(rest.RestTestCase):

    def setUp(self):
        super().setUp()
        self.world = rest.World()
        # The backup quota of each project, as a conductor reads it.
        for project, used in ((rest.PROJECT_A, 2), (rest.PROJECT_B, 1)):
            api_quotas.record_quota(self.world.ctx, project, {
                'backups': {'limit': 50, 'in_use': used, 'reserved': 0},
                'backup_gigabytes': {'limit': 1000, 'in_use': 2 * used,
                                     'reserved': 0}}, rest.NOW - rest.HOUR)
            # And what its policies will hold once every chain is full.
            api_quotas.record_forecasts(self.world.ctx, {
                project: forecast.Need(backups=14 * used,
                                       gigabytes=28 * used)},
                rest.NOW - rest.HOUR)

    def test_samples_are_what_the_api_answers(self):
        for name, method, path, persona, request, code in CASES:
            body = None
            if request is not None:
                body = samples.load(f'{request}.json')
                for key in ('volume_id',):
                    if key in body:
                        body[key] = self.world.vol_a
            names = dict(vars(self.world), server_a=self.world.server_a)
            live = self.ok(method, path.format(**names), persona,
                           code, json=body)
            samples.check(self, f'{name}-resp.json', live)

    def test_error_sample(self):
        response = self.call('GET', '/v1/volumes?limit=-1', rest.MEMBER_A)
        samples.check(self, 'error-resp.json', response.json())

    def test_every_route_is_documented(self):
        with open(INDEX) as f:
            text = f.read()
        documented = set(re.findall(
            r'^(GET|POST|PATCH|PUT|DELETE) (/\S*)$', text, re.MULTILINE))
        routes = set()
        for rule in self.api.app.url_map.iter_rules():
            for method in rule.methods - {'HEAD', 'OPTIONS'}:
                path = re.sub(r'<([^>]+)>', r'{\1}', rule.rule)
                routes.add((method, path))
        self.assertEqual(set(), routes - documented)
        self.assertEqual(set(), documented - routes)
