"""Bad request bodies on every route that writes: a one-line JSON error.

A body over ``[api] max_request_body_size`` (with a Content-Length or
chunked, far beyond the limit or just past it), malformed JSON, JSON that
is not an object and a body that is not JSON are refused with the API's
error shape and its request id, never a 500 or the web server's page.
The routes come from the route-by-route policy test, so a new route that
writes is covered once it is listed there.
"""

import json

from staffeln.tests.functional.api import rest
from staffeln.tests.functional.api import test_verify_policy

LIMIT = 4096
TOO_LARGE = ('the request body is larger than 4096 bytes '
             '([api] max_request_body_size)')


def _writes():
    """(method, path template) of every route that changes something."""
    seen = []
    for cases in test_verify_policy.ROUTES.values():
        for case in cases:
            key = (case.method, case.path, case.body is not None)
            if case.method != 'GET' and key not in seen:
                seen.append(key)
    return seen


class TestBadBodies(rest.RestTestCase):

    def configure(self):
        self.flags(max_request_body_size=LIMIT, group='api')

    def setUp(self):
        super().setUp()
        self.world = rest.World()
        self.names = dict(vars(self.world), server_a=self.world.server_a,
                          task_a='0', restore_a='0')

    def writes(self):
        for method, path, has_body in _writes():
            yield method, path.format(**self.names), has_body

    def test_the_routes_are_found(self):
        self.assertIn(('POST', '/v1/backups', True), _writes())
        self.assertIn(('DELETE', '/v1/policies/default', False), _writes())

    def too_large(self, method, path, headers, data):
        message = self.refused(400, method, path, headers,
                               headers_json=True, data=data)
        self.assertEqual(TOO_LARGE, message)

    def test_huge_bodies(self):
        huge = b'{"a": "' + b'x' * 4_000_000 + b'"}'
        just_over = b'{"a": "' + b'x' * (LIMIT - 8) + b'"}'
        self.assertEqual(LIMIT + 1, len(just_over))
        for method, path, _ in self.writes():
            for who in (rest.MEMBER_A, rest.ADMIN, {}):
                with self.subTest(method=method, path=path, who=who):
                    self.too_large(method, path, who, huge)
            with self.subTest(method=method, path=path, size='limit+1'):
                self.too_large(method, path, rest.ADMIN, just_over)
            with self.subTest(method=method, path=path, size='chunked'):
                # No Content-Length: the server stops reading at the limit.
                chunks = (b'x' * 65536 for _ in range(16))
                self.too_large(method, path, rest.ADMIN, chunks)
        # Nothing was done on the way.
        self.assertEqual(['default'], [
            p['name'] for p in self.get('/v1/policies')['policies']])
        self.assertEqual(2, len(self.get('/v1/backups', rest.MEMBER_A)
                                ['backups']))

    def test_a_body_at_the_limit_is_read(self):
        body = json.dumps({'paused': True, 'pad': 'x'}).encode()
        body = body[:-2] + b' ' * (LIMIT - len(body)) + body[-2:]
        self.assertEqual(LIMIT, len(body))
        message = self.refused(
            400, 'PATCH', f'/v1/projects/{rest.PROJECT_A}/settings',
            rest.MEMBER_A, headers_json=True, data=body)
        self.assertIn('pad: unknown field', message)

    def test_the_delete_hook_answers_in_its_own_shape(self):
        response = self.call(
            'POST', '/v1/backup?backup_id=' + self.world.full_a,
            {'Content-Type': 'application/json'},
            data=b'{"target": "' + b'x' * 100_000 + b'"}')
        self.assertEqual(400, response.status_code)
        self.assertEqual(TOO_LARGE, response.text.strip())

    def test_bodies_that_are_not_json_objects(self):
        for method, path, has_body in self.writes():
            if not has_body:
                continue
            with self.subTest(method=method, path=path):
                message = self.refused(400, method, path, rest.ADMIN,
                                       headers_json=True,
                                       data=b'{"volume_id": ')
                self.assertEqual('the body is not valid JSON', message)
                for body in (b'[1, 2]', b'"text"', b'3', b'null'):
                    message = self.refused(400, method, path, rest.ADMIN,
                                           headers_json=True, data=body)
                    self.assertEqual('the body is not a JSON object',
                                     message)
                message = self.refused(
                    415, method, path,
                    rest.ADMIN | {'Content-Type': 'text/plain'},
                    data=b'volume_id=x')
                self.assertEqual('send the body as application/json',
                                 message)
