"""``/v1/projects/{id}/webhook`` over HTTP, on every database."""

import testscenarios

from staffeln.common import context as staffeln_context
from staffeln.db import api_webhooks
from staffeln.tests.functional.api import rest
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios

A = rest.PROJECT_A
PATH = f'/v1/projects/{A}/webhook'
URL = 'https://hooks.example.org:8443/services/T000/B000/tok3n?x=1'
SECRET = 'a-secret-nobody-reads-back'


class TestProjectWebhook(rest.RestTestCase):

    scenarios = db_fixture.scenarios()

    def patch(self, body, headers=rest.MEMBER_A):
        return self.ok('PATCH', PATH, headers, json=body)['webhook']

    def test_member_sets_and_changes_its_project_s_webhook(self):
        self.assertEqual({'project_id': A, 'url': None, 'signed': False,
                          'events': None, 'body_format': None,
                          'last_sent_at': None, 'last_attempt_at': None,
                          'failures': 0, 'last_error': None},
                         self.get(PATH, rest.READER_A)['webhook'])
        hook = self.patch({'url': URL, 'secret': SECRET})
        self.assertEqual((URL, True, 'failures', 'json'), (
            hook['url'], hook['signed'], hook['events'],
            hook['body_format']))
        # What is not given is kept, the secret included.
        hook = self.patch({'events': 'all', 'body_format': 'slack'})
        self.assertEqual((URL, True, 'all', 'slack'), (
            hook['url'], hook['signed'], hook['events'],
            hook['body_format']))
        stored = api_webhooks.get_project_webhook(
            staffeln_context.get_admin_context(), A)
        self.assertEqual((URL, SECRET, 'all', 'slack'), (
            stored.url, stored.secret, stored.events, stored.body_format))
        self.assertFalse(self.patch({'secret': None})['signed'])
        self.assertIsNone(self.patch({'url': None})['url'])
        self.assertIsNone(api_webhooks.get_project_webhook(
            staffeln_context.get_admin_context(), A))
        # An admin sets any project's.
        hook = self.patch({'url': 'http://chat.example.org/hook'},
                          rest.ADMIN)
        self.assertEqual('http://chat.example.org/hook', hook['url'])

    def test_the_secret_is_never_shown(self):
        self.patch({'url': URL, 'secret': SECRET})
        for headers in (rest.READER_A, rest.MEMBER_A, rest.ADMIN):
            for method, body in (('GET', None), ('PATCH', {'events': 'all'})):
                if method == 'PATCH' and headers is rest.READER_A:
                    continue
                response = self.call(method, PATH, headers, json=body)
                self.assertEqual(200, response.status_code)
                self.assertNotIn(SECRET, response.text)
                self.assertNotIn('secret', response.json()['webhook'])

    def test_readers_see_the_url_s_host_and_the_deliveries(self):
        self.patch({'url': URL})
        ctx = staffeln_context.get_admin_context()
        target = api_webhooks.project_target(A)
        api_webhooks.ensure_delivery(ctx, target, rest.NOW, rest.NOW)
        api_webhooks.claim_delivery(ctx, target, rest.NOW, 'c1', rest.NOW,
                                    rest.NOW + rest.HOUR)
        api_webhooks.fail_delivery(ctx, target, 'c1', rest.NOW,
                                   f'{URL} answered 500')
        seen = self.get(PATH, rest.READER_A)['webhook']
        self.assertEqual('https://hooks.example.org:8443/...', seen['url'])
        self.assertEqual(
            (1, 'https://hooks.example.org:8443/... answered 500',
             rest.NOW.isoformat()),
            (seen['failures'], seen['last_error'], seen['last_attempt_at']))
        self.assertNotIn('tok3n', str(seen))
        whole = self.get(PATH, rest.MEMBER_A)['webhook']
        self.assertEqual((URL, f'{URL} answered 500'),
                         (whole['url'], whole['last_error']))

    def test_bad_input(self):
        for url in ('ftp://example.org/x', 'javascript:alert(1)',
                    'https:///no-host', 'example.org/hook', '',
                    'http://exa mple.org/', 'http://example.org:port/',
                    'http://[::1/', 'https://example.org/' + 'x' * 2100,
                    'http://example.org/\x00', 42, ['http://e.org/']):
            with self.subTest(url=url):
                message = self.refused(400, 'PATCH', PATH, rest.MEMBER_A,
                                       json={'url': url})
                self.assertIn('url must be an http or https URL', message)
        for body, reason in (
                ({}, 'nothing to change'),
                ({'events': 'all'}, 'has no webhook yet: give its url'),
                ({'url': URL, 'events': 'some'},
                 'events must be one of failures, all'),
                ({'url': URL, 'body_format': 'xml'},
                 'body_format must be one of json, slack'),
                ({'url': URL, 'secret': 'x' * 256}, 'secret must be text'),
                ({'url': URL, 'secret': 7}, 'secret must be text'),
                ({'url': URL, 'colour': 'red'}, 'colour: unknown field'),
                ({'url': None, 'events': 'all'},
                 'give no other field with it')):
            with self.subTest(body=body):
                self.assertIn(reason, self.refused(
                    400, 'PATCH', PATH, rest.MEMBER_A, json=body))
        self.refused(400, 'GET', '/v1/projects/' + 'x' * 65 + '/webhook',
                     rest.ADMIN)
        # Nothing was stored on the way.
        self.assertIsNone(self.get(PATH, rest.MEMBER_A)['webhook']['url'])

    def test_refusals(self):
        self.refused(403, 'PATCH', PATH, rest.READER_A, json={'url': URL})
        self.refused(403, 'PATCH', PATH, rest.MEMBER_B, json={'url': URL})
        self.refused(403, 'GET', PATH, rest.MEMBER_B)
        self.refused(401, 'GET', PATH, {})
        self.assertIsNone(self.get(PATH, rest.MEMBER_A)['webhook']['url'])
