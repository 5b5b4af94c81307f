import json
import urllib.parse

import testtools
from werkzeug import datastructures

from staffeln.api import errors
from staffeln.api import schemas

ID = '0b2f0a3e-1111-4222-8333-123456789abc'
OTHER = '1b2f0a3e-1111-4222-8333-123456789abc'
FORM = 'application/x-www-form-urlencoded'
JSON = 'application/json'


def form(**fields) -> bytes:
    return urllib.parse.urlencode(
        {name: json.dumps(value) for name, value in fields.items()}).encode()


class TestParseUuid(testtools.TestCase):

    def test_canonical(self):
        self.assertEqual(ID, schemas.parse_uuid(ID.upper(), 'x'))
        self.assertEqual(ID, schemas.parse_uuid(ID.replace('-', ''), 'x'))

    def test_rejected(self):
        for value in ('', None, 5, ID[:-1], ID + '0', '{' + ID + '}',
                      'urn:uuid:' + ID, ' ' + ID, ID + '\n',
                      ID.replace('-', '_'), ID[:8] + ID[9:],
                      '\u0660' * 32, 'g' * 32, ID + ' ' * 1000):
            self.assertRaises(errors.BadRequest, schemas.parse_uuid, value,
                              'backup_id')


class TestParseHookRequest(testtools.TestCase):

    def parse(self, query=(), mimetype='', body=b''):
        return schemas.parse_hook_request(list(query), mimetype, body)

    def assertBad(self, reason, *args, **kwargs):
        exc = self.assertRaises(errors.BadRequest, self.parse, *args,
                                **kwargs)
        self.assertIn(reason, exc.reason)
        self.assertNotIn('\n', exc.reason)

    def test_query_only(self):
        hook = self.parse([ID])
        self.assertEqual((ID, {}, frozenset()),
                         (hook.backup_id, hook.metadata, hook.roles))

    def test_oslo_policy_form(self):
        body = form(rule='backup:delete',
                    target={'id': ID, 'metadata': {'k': 'v'}},
                    credentials={'roles': ['member', 'reader']})
        for query in ([], [ID], [ID.upper()]):
            hook = self.parse(query, FORM, body)
            self.assertEqual(ID, hook.backup_id)
            self.assertEqual({'k': 'v'}, hook.metadata)
            self.assertEqual({'member', 'reader'}, hook.roles)

    def test_oslo_policy_json(self):
        body = json.dumps({'rule': 'backup:delete',
                           'target': {'id': ID, 'metadata': None},
                           'credentials': {'roles': []}}).encode()
        hook = self.parse([], JSON, body)
        self.assertEqual((ID, {}), (hook.backup_id, hook.metadata))
        self.assertEqual(ID, self.parse([], 'application/vnd.x+json',
                                        body).backup_id)

    def test_empty_body_any_type(self):
        for mimetype in ('', FORM, JSON, 'text/plain'):
            self.assertEqual(ID, self.parse([ID], mimetype).backup_id)

    def test_unknown_form_fields_are_ignored(self):
        body = form(target={'id': ID}) + b'&other=%7B&x'
        self.assertEqual(ID, self.parse([], FORM, body).backup_id)

    def test_no_id(self):
        self.assertBad('no backup id')
        self.assertBad('no backup id', [], FORM, form(target={}))

    def test_ids_disagree(self):
        self.assertBad('differ', [OTHER], FORM, form(target={'id': ID}))
        self.assertBad('different values', [ID, OTHER])
        self.assertEqual(ID, self.parse([ID, ID]).backup_id)

    def test_malformed(self):
        cases = [
            ('target is not a JSON object', FORM, form(target=[ID])),
            ('credentials is not a JSON object', FORM,
             form(target={'id': ID}, credentials='x')),
            ('target.metadata is not a JSON object', FORM,
             form(target={'id': ID, 'metadata': ['x']})),
            ('credentials.roles', FORM,
             form(target={'id': ID}, credentials={'roles': 'admin'})),
            ('credentials.roles', FORM,
             form(target={'id': ID}, credentials={'roles': [1]})),
            ('target.id must be a non-empty string', FORM,
             form(target={'id': 5})),
            ('target.id is not a UUID', FORM, form(target={'id': 'x'})),
            ('form field target is not valid JSON', FORM,
             b'target=%7B%22id'),
            ('form field target is given twice', FORM,
             form(target={}) + b'&' + form(target={})),
            ('a form field is not UTF-8', FORM, b'target=%FF'),
            ('the form body is not UTF-8', FORM, b'target=\xff'),
            ('the form body has too many fields', FORM, b'a&' * 200),
            ('the JSON body is not valid JSON', JSON, b'{'),
            ('the JSON body is not valid JSON', JSON, b'[' * 100000),
            ('the JSON body is not an object', JSON, b'[]'),
            ('the JSON body is not UTF-8', JSON,
             json.dumps({}).encode('utf-16')),
        ]
        for reason, mimetype, body in cases:
            self.assertBad(reason, [ID], mimetype, body)

    def test_unsupported_media_type(self):
        for mimetype in ('text/plain', '', 'multipart/form-data'):
            self.assertRaises(errors.UnsupportedMediaType, self.parse, [ID],
                              mimetype, b'x')


class TestParseTaskListQuery(testtools.TestCase):

    def parse(self, **args):
        return schemas.parse_task_list_query(
            datastructures.MultiDict(args))

    def test_defaults(self):
        query = self.parse()
        self.assertEqual((None, False, (), None, 100, None),
                         (query.project_id, query.all_projects,
                          query.statuses, query.volume_id, query.limit,
                          query.marker))

    def test_values(self):
        query = self.parse(project_id='p', status='available,deleting',
                           volume_id=ID.upper(), limit='1000', marker=ID)
        self.assertEqual(('p', ('available', 'deleting'), ID, 1000, ID),
                         (query.project_id, query.statuses, query.volume_id,
                          query.limit, query.marker))
        self.assertTrue(self.parse(all_projects='True').all_projects)

    def test_bad(self):
        for args in ({'limit': '0'}, {'limit': '1001'}, {'limit': '-1'},
                     {'limit': '\u0661'}, {'status': 'bogus'},
                     {'project_id': ''}, {'project_id': 'x' * 65},
                     {'all_projects': 'maybe'}, {'volume_id': 'x'},
                     {'marker': 'x'},
                     {'all_projects': 'true', 'project_id': 'p'}):
            self.assertRaises(errors.BadRequest, self.parse, **args)
        self.assertRaises(errors.BadRequest, schemas.parse_task_list_query,
                          datastructures.MultiDict([('limit', '1'),
                                                    ('limit', '2')]))
