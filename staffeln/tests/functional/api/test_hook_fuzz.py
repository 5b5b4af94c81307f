"""Fuzzing the delete hook over HTTP: odd ids, bodies, encodings and sizes.

Whatever arrives, staffeln-api answers without a 5xx other than the
fail-closed 503, and never ``True`` for a backup Staffeln holds (by its
database, or by the marker when the database does not know the backup).
"""

import http.client
import json
import urllib.parse
import uuid

import hypothesis
from hypothesis import strategies as st
import testscenarios

from staffeln.db import states
from staffeln.tests import base
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios

MARKER = api_fixtures.MARKER
PROJECT = 'fuzzproject'
MAX_BODY = 8192

# Backups the tests seed: held by Staffeln, released, and manual ones.
HELD = [str(uuid.UUID(int=i, version=4)) for i in range(1, 9)]
RELEASED = [str(uuid.UUID(int=i, version=4)) for i in range(101, 105)]
MANUAL = [str(uuid.UUID(int=i, version=4)) for i in range(201, 205)]
HELD_STATUSES = (states.QUEUED, states.STARTING, states.CREATING,
                 states.AVAILABLE)
RELEASED_STATUSES = (states.DELETING, states.DELETED, states.CLEANUP,
                     states.FAILED)


def _spellings(backup_id):
    """Ways one id can be written that the hook may accept or refuse."""
    return st.sampled_from([
        backup_id, backup_id.upper(), backup_id.replace('-', ''),
        '{' + backup_id + '}', ' ' + backup_id, backup_id + '\n',
        'urn:uuid:' + backup_id, backup_id[:-1], backup_id + '0',
    ])


seeded_ids = st.sampled_from(HELD + RELEASED + MANUAL)
odd_text = st.text(max_size=80) | st.text(
    alphabet=st.characters(codec='utf-8'), max_size=40)
# Mostly ids that reach the decision; the rest to be refused with 400.
ids = st.one_of(seeded_ids, seeded_ids, seeded_ids,
                seeded_ids.flatmap(_spellings), st.uuids().map(str),
                odd_text)
json_scalars = (st.none() | st.booleans() | st.integers()
                | st.floats(allow_nan=True) | st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=10), children, max_size=4),
    max_leaves=12)
marker_values = st.sampled_from(
    [True, False, 'True', 'true', 'TRUE', 'yes', 'False', '', None, 1, 0,
     'garbage', ['True'], {'a': 'b'}])
metadata_dicts = st.dictionaries(
    st.sampled_from([MARKER, 'owner', MARKER.upper()]), marker_values,
    max_size=3)
metadata = st.one_of(metadata_dicts, metadata_dicts, json_values)
targets = st.one_of(
    st.fixed_dictionaries(
        {'id': ids, 'project_id': st.just(PROJECT)},
        optional={'metadata': metadata, 'volume_id': ids}),
    st.fixed_dictionaries(
        {'id': ids, 'project_id': st.just(PROJECT)},
        optional={'metadata': metadata, 'volume_id': ids}),
    json_values)
role_credentials = st.fixed_dictionaries(
    {'roles': st.lists(st.sampled_from(['member', 'reader', 'admin',
                                        'backup-operator']), max_size=3)},
    optional={'project_id': st.just(PROJECT)})
credentials = st.one_of(role_credentials, role_credentials, json_values)


@st.composite
def check_bodies(draw):
    """A body and its content type: mostly oslo.policy-like, some junk."""
    kind = draw(st.sampled_from(['form', 'form', 'json', 'json', 'junk',
                                 'none', 'huge']))
    fields = {'rule': draw(st.just('backup:delete') | st.text(max_size=5)),
              'target': draw(targets),
              'credentials': draw(credentials)}
    for name in list(fields):
        if draw(st.integers(0, 19)) == 0:
            del fields[name]
    if kind == 'form':
        encoded = {name: draw(st.sampled_from(
            [json.dumps(value)] * 8 + [json.dumps(value)[:-1], str(value)]))
            for name, value in fields.items()}
        body = urllib.parse.urlencode(encoded).encode()
        if draw(st.integers(0, 4)) == 0:
            body += draw(st.binary(max_size=20))
        ctype = draw(st.sampled_from([
            'application/x-www-form-urlencoded',
            'application/x-www-form-urlencoded; charset=latin-1',
            'APPLICATION/X-WWW-FORM-URLENCODED']))
    elif kind == 'json':
        body = json.dumps(fields).encode(
            draw(st.sampled_from(['utf-8', 'utf-16', 'utf-32'])))
        ctype = draw(st.sampled_from([
            'application/json', 'application/json; charset=utf-8',
            'application/vnd.api+json']))
    elif kind == 'huge':
        body = b'[' * draw(st.integers(1000, 5000)) + b'1'
        ctype = draw(st.sampled_from(['application/json',
                                      'application/x-www-form-urlencoded']))
        if ctype.startswith('application/x'):
            body = b'target=' + urllib.parse.quote(body).encode()
        if draw(st.booleans()):
            body += b' ' * 70000   # beyond max_request_body_size
    elif kind == 'junk':
        body = draw(st.binary(max_size=300))
        ctype = draw(st.sampled_from(['', 'text/plain', 'application/json',
                                      'application/x-www-form-urlencoded',
                                      'multipart/form-data; boundary=x',
                                      '\x00', 'application/json;;;;']))
    else:
        body, ctype = b'', draw(st.sampled_from(['', 'application/json']))
    # The fields the body is meant to carry (none for junk).
    return fields if kind in ('form', 'json') else {}, body, ctype


def _canonical(value):
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def _held(query_ids, fields) -> bool:
    """Whether a True answer would let a Staffeln backup go."""
    target = fields.get('target')
    target_id = target.get('id') if isinstance(target, dict) else None
    candidates = {_canonical(v) for v in [*query_ids, target_id]} - {None}
    if candidates & set(HELD):
        return True
    metadata = target.get('metadata') if isinstance(target, dict) else None
    marked = isinstance(metadata, dict) and metadata.get(MARKER) in (
        True, 'True', 'true', 'TRUE', 'yes', 1)
    return marked and not candidates & set(RELEASED)


class TestHookFuzz(base.TestCase):

    scenarios = db_fixture.scenarios()
    EXAMPLES = {'sqlite': 2000, 'mysql': 1000, 'postgresql': 1000}

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database(self.backend))
        for backup_id, status in zip(HELD, HELD_STATUSES * 2):
            api_fixtures.add_task(PROJECT, status, backup_id)
        for backup_id, status in zip(RELEASED, RELEASED_STATUSES):
            api_fixtures.add_task(PROJECT, status, backup_id)
        self.flags(allow_delete_roles=[], group='api')
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf))
        self.answers = {}

    def post(self, query: str, body: bytes, ctype: str):
        conn = http.client.HTTPConnection('127.0.0.1', self.api.port,
                                          timeout=30)
        try:
            headers = {'Content-Length': str(len(body))}
            if ctype:
                headers['Content-Type'] = ctype
            conn.request('POST', '/v1/backup' + query, body=body,
                         headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (BrokenPipeError, ConnectionResetError):
            # The server may close on a body it refuses to read (400).
            return 400, b''
        finally:
            conn.close()

    def fuzz(self, examples: int, database_up: bool = True) -> None:
        one_id = st.lists(ids, min_size=1, max_size=1)

        @hypothesis.settings(
            max_examples=examples, deadline=None, database=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck))
        @hypothesis.given(
            query_ids=st.one_of(st.just([]), one_id,
                                st.lists(ids, max_size=3)),
            same_id=st.integers(0, 3),
            raw_query=st.booleans(),
            extra=st.dictionaries(st.text(max_size=5), st.text(max_size=5),
                                  max_size=2),
            body=check_bodies())
        def check(query_ids, same_id, raw_query, extra, body):
            fields, data, ctype = body
            target = fields.get('target')
            if (same_id > 1 and isinstance(target, dict)
                    and isinstance(target.get('id'), str)):
                # Like oslo.policy: the URL carries the target's id.
                query_ids = [target['id']]
            pairs = [('backup_id', v) for v in query_ids]
            pairs += list(extra.items())
            if raw_query:
                # Unencoded, as oslo.policy %-formats the id into the URL.
                query = '?' + '&'.join(
                    f'{urllib.parse.quote(k, safe="")}='
                    f'{urllib.parse.quote(v, safe="/:{}")}' for k, v in pairs)
            else:
                query = '?' + urllib.parse.urlencode(pairs)
            status, text = self.post(query, data, ctype)
            self.answers[status] = self.answers.get(status, 0) + 1
            self.assertTrue(status < 500 or status == 503,
                            f'{status} {text!r}')
            answer = text.decode('utf-8', 'replace').strip().strip('"')
            if answer == 'True':
                self.assertTrue(database_up, f'True without a database: '
                                             f'{query} {data[:200]!r}')
                self.assertEqual(200, status)
                self.assertFalse(
                    _held([v for k, v in pairs if k == 'backup_id'],
                          fields),
                    f'True for a held backup: {query} {data[:200]!r}')
            if status == 200:
                self.assertEqual('True', answer)

        check()

    def test_fuzz(self):
        self.fuzz(self.EXAMPLES[self.backend])
        # The fuzzing reached the decision, both ways, and the refusals.
        for status in (200, 400, 401):
            self.assertGreater(self.answers.get(status, 0), 20,
                               self.answers)
        self.assertNotIn(503, self.answers)

    def test_fuzz_database_down(self):
        api_fixtures.stop_database(self.db)
        self.fuzz(300, database_up=False)
        self.assertGreater(self.answers.get(503, 0), 20, self.answers)
        self.assertNotIn(200, self.answers)
