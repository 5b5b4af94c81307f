"""The Flask application with the database replaced: answers and errors."""

import io
import json
import os
from unittest import mock

import fixtures
from oslo_db import exception as db_exc
from oslo_middleware.healthcheck import opts as healthcheck_opts
from sqlalchemy import exc as sa_exc

from staffeln.api import app as api_app
from staffeln.db import api as db_api
from staffeln.db import api_strays
from staffeln.db import states
from staffeln.tests import base

ID = '0b2f0a3e-1111-4222-8333-123456789abc'
MARKER = '__automated_backup'


class AppTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.flags(auth_strategy='noauth', group='api')
        self.status = None
        self.ping_error = None
        self.task_status = self.useFixture(fixtures.MockPatchObject(
            db_api, 'task_status',
            side_effect=db_api.fail_closed(self._task_status))).mock
        self.stray_status = self.useFixture(fixtures.MockPatchObject(
            api_strays, 'stray_status', return_value=None)).mock
        self.ping = self.useFixture(fixtures.MockPatchObject(
            db_api, 'ping', side_effect=db_api.fail_closed(self._ping))).mock

    def _ping(self, context):
        if isinstance(self.ping_error, BaseException):
            raise self.ping_error

    def _task_status(self, context, backup_id):
        if isinstance(self.status, BaseException):
            raise self.status
        return self.status

    def client(self):
        return api_app.create_app(self.conf).test_client()

    def check(self, client=None, **kwargs):
        response = (client or self.client()).post('/v1/backup', **kwargs)
        return response.status_code, response.get_data(as_text=True)


class TestHook(AppTestCase):

    def test_vexxhost_contract(self):
        self.assertEqual((200, 'True'),
                         self.check(query_string={'backup_id': ID}))
        self.task_status.assert_called_once_with(mock.ANY, ID)
        self.status = states.AVAILABLE
        self.assertEqual((401, 'False'),
                         self.check(query_string={'backup_id': ID}))

    def test_answers_are_plain_text(self):
        response = self.client().post('/v1/backup',
                                      query_string={'backup_id': ID})
        self.assertEqual('text/plain; charset=utf-8',
                         response.headers['Content-Type'])

    def test_marker_from_form_and_json(self):
        target = {'id': ID, 'metadata': {MARKER: 'True'}}
        self.assertEqual((401, 'False'), self.check(data={
            'target': json.dumps(target), 'credentials': '{}',
            'rule': '"backup:delete"'}))
        self.assertEqual((401, 'False'), self.check(json={'target': target}))
        self.status = states.DELETING
        self.assertEqual((200, 'True'), self.check(json={'target': target}))

    def test_configured_marker_key(self):
        self.flags(automated_metadata_key='made-by', group='conductor')
        target = {'id': ID, 'metadata': {'made-by': 'true',
                                         MARKER: 'True'}}
        self.assertEqual((401, 'False'), self.check(json={'target': target}))
        target['metadata'].pop('made-by')
        self.assertEqual((200, 'True'), self.check(json={'target': target}))

    def test_allow_delete_roles(self):
        self.flags(allow_delete_roles=['backup-admin'], group='api')
        self.status = db_exc.DBConnectionError()
        body = {'target': {'id': ID, 'metadata': {MARKER: 'True'}},
                'credentials': {'roles': ['member', 'backup-admin']}}
        self.assertEqual((200, 'True'), self.check(json=body))
        self.task_status.assert_not_called()
        body['credentials']['roles'] = ['member']
        self.assertEqual(503, self.check(json=body)[0])

    def test_database_errors_fail_closed(self):
        for error in (db_exc.DBConnectionError(), db_exc.DBError(),
                      db_exc.DBNonExistentTable('backup_tasks'),
                      sa_exc.OperationalError('SELECT', {}, Exception()),
                      sa_exc.TimeoutError(), ConnectionResetError()):
            self.status = error
            status, text = self.check(query_string={'backup_id': ID})
            self.assertEqual(503, status, error)
            self.assertNotEqual('True', text.strip().strip('"'))
            self.assertEqual(1, len(text.strip().splitlines()))

    def test_unexpected_error_is_not_true(self):
        log = self.useFixture(fixtures.FakeLogger('staffeln.api'))
        self.status = RuntimeError('bug')
        status, text = self.check(query_string={'backup_id': ID})
        self.assertIn('RuntimeError: bug', log.output)
        self.assertEqual(500, status)
        self.assertNotIn('True', text)
        self.assertNotIn('bug', text)

    def test_bad_requests_are_one_line(self):
        for kwargs in ({}, {'query_string': {'backup_id': 'x'}},
                       {'json': {'target': []}},
                       {'data': b'{', 'content_type': 'application/json'}):
            status, text = self.check(**kwargs)
            self.assertEqual(400, status, kwargs)
            self.assertEqual(1, len(text.strip().splitlines()))
        self.task_status.assert_not_called()

    def test_request_id_in_the_answer_and_the_log(self):
        # The check's context (whose request id oslo.log writes on the
        # check's log lines) has the answer's request id.
        self.status = states.AVAILABLE
        client = self.client()
        for kwargs in ({'query_string': {'backup_id': ID}},
                       {'json': {'target': {'id': ID}}},
                       {'query_string': {'backup_id': ID},
                        'headers': {'Accept': 'application/json'}}):
            response = client.post('/v1/backup', **kwargs)
            self.assertEqual(401, response.status_code)
            request_id = response.headers['X-OpenStack-Request-Id']
            self.assertRegex(request_id, '^req-[0-9a-f-]{36}$')
            context = self.task_status.call_args.args[0]
            self.assertEqual(request_id, context.request_id)
        response = client.post('/v1/backup', query_string={'backup_id': 'x'})
        self.assertEqual(400, response.status_code)
        self.assertIn('X-OpenStack-Request-Id', response.headers)

    def test_errors_in_json_when_asked(self):
        response = self.client().post(
            '/v1/backup', headers={'Accept': 'application/json'})
        self.assertEqual(400, response.json['error']['code'])
        self.assertIn('no backup id', response.json['error']['message'])

    def test_unsupported_content_type(self):
        self.assertEqual(415, self.check(
            query_string={'backup_id': ID}, data=b'<x/>',
            content_type='application/xml')[0])

    def test_body_too_large(self):
        self.flags(max_request_body_size=1024, group='api')
        status, text = self.check(query_string={'backup_id': ID},
                                  data=b'x' * 2000,
                                  content_type='application/json')
        self.assertEqual(400, status)
        self.assertEqual('the request body is larger than 1024 bytes '
                         '([api] max_request_body_size)', text.strip())
        self.task_status.assert_not_called()

    def test_chunked_body_too_large(self):
        # No Content-Length: the body is stopped at the limit when read.
        self.flags(max_request_body_size=1024, group='api')
        status, text = self.check(
            query_string={'backup_id': ID},
            input_stream=io.BytesIO(b'x' * 2000),
            headers={'Transfer-Encoding': 'chunked',
                     'Accept': 'application/json'},
            content_type='application/json')
        self.assertEqual(400, status)
        self.assertIn('larger than 1024 bytes',
                      json.loads(text)['error']['message'])
        self.task_status.assert_not_called()

    def test_other_methods(self):
        client = self.client()
        for method in ('get', 'put', 'delete', 'patch'):
            response = getattr(client, method)('/v1/backup',
                                               query_string={'backup_id': ID})
            self.assertEqual(405, response.status_code, method)
            self.assertNotEqual(b'True', response.data)
            self.assertIn('POST', response.headers['Allow'])


class TestHealthcheck(AppTestCase):

    def test_healthy(self):
        response = self.client().get('/healthcheck')
        self.assertEqual(200, response.status_code)
        self.assertIn(b'database OK', response.data)
        self.ping.assert_called_once()

    def test_database_down(self):
        self.ping_error = db_exc.DBConnectionError('refused')
        client = self.client()
        response = client.get('/healthcheck')
        self.assertEqual(503, response.status_code)
        self.assertIn(b'database unavailable', response.data)
        self.assertEqual(503, client.head('/healthcheck').status_code)

    def test_disable_by_file_still_works(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'disabled')
        open(path, 'w').close()
        self.conf.register_opts(healthcheck_opts.HEALTHCHECK_OPTS +
                                healthcheck_opts.DISABLE_BY_FILE_OPTS,
                                group='healthcheck')
        self.flags(backends=['disable_by_file'], disable_by_file_path=path,
                   group='healthcheck')
        response = self.client().get('/healthcheck')
        self.assertEqual(503, response.status_code)
        self.assertIn(b'DISABLED BY FILE', response.data)
