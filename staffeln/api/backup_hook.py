"""``POST /v1/backup``: the delete hook, called by Cinder's ``http:`` check.

oslo.policy counts a check as passed when the response text is exactly
``True`` and ignores the status code; Staffeln answers ``200 True`` when the
backup may be deleted and ``401 False`` when it may not. Every other answer
(400 for a malformed request, 503 when the database cannot be read, ...)
carries a one-line reason, never ``True``, so it refuses the delete too.
"""

import dataclasses
import io
import urllib.parse

import flask
from oslo_context import context as oslo_context
from oslo_log import log as logging
from oslo_middleware import request_id as request_id_mw

from staffeln.api import body_limit
from staffeln.api import decision
from staffeln.api import errors
from staffeln.api import schemas
from staffeln.common import context as staffeln_context
from staffeln.common import exception
from staffeln.db import api as db_api
from staffeln.db import api_strays

LOG = logging.getLogger(__name__)

bp = flask.Blueprint('backup_hook', __name__)


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the hook reads from the configuration, read once."""

    allow_roles: frozenset
    marker_key: str

    @classmethod
    def from_conf(cls, conf) -> 'Settings':
        return cls(allow_roles=frozenset(conf.api.allow_delete_roles),
                   marker_key=conf.conductor.automated_metadata_key)


def _answer(allowed: bool) -> flask.Response:
    if allowed:
        return flask.Response('True', status=200, mimetype='text/plain')
    return flask.Response('False', status=401, mimetype='text/plain')


def decide(settings: Settings, hook: schemas.HookRequest,
           request_id: str | None = None) -> bool:
    """Whether the backup of ``hook`` may be deleted; logs why.

    Raises :class:`~staffeln.common.exception.DatabaseUnavailable` when the
    database cannot be read.
    """
    # A context per check: its request id (the answer's
    # X-OpenStack-Request-Id) marks this check's log lines.
    context = staffeln_context.RequestContext(is_admin=True,
                                              request_id=request_id)
    role = decision.allowing_role(hook.roles, settings.allow_roles)
    if role is not None:
        LOG.info('Delete of backup %s allowed: the caller has role %s',
                 hook.backup_id, role)
        return True

    marker = decision.has_automated_marker(
        hook.metadata, settings.marker_key)
    task_status = db_api.task_status(context, hook.backup_id)
    stray_status = None
    if task_status is None and marker:
        stray_status = api_strays.stray_status(context, hook.backup_id)
    result = decision.decide(task_status, marker, stray_status)
    LOG.info('Delete of backup %s %s: %s', hook.backup_id,
             'allowed' if result.allowed else 'denied', result.reason)
    return result.allowed


@bp.post('/v1/backup')
def check_delete():
    hook = schemas.parse_hook_request(
        flask.request.args.getlist('backup_id'),
        flask.request.mimetype,
        flask.request.get_data(cache=False))
    return _answer(decide(flask.current_app.config['STAFFELN_HOOK'], hook,
                          flask.request.environ.get(
                              request_id_mw.ENV_REQUEST_ID)))


_PLAIN = ('Content-Type', 'text/plain; charset=utf-8')
#: What the common check can be answered with without Flask.
_ANSWERS = {True: ('200 OK', b'True'), False: ('401 UNAUTHORIZED', b'False')}
#: Accept headers that cannot ask for errors in JSON.
_PLAIN_ACCEPTS = frozenset({'', '*/*', 'text/plain', 'text/*'})


class FastPath:
    """WSGI middleware that answers the common delete hook check itself.

    Cinder asks the hook far more often than anything else, so a well-formed
    ``POST /v1/backup`` (a form or JSON body within ``[api]
    max_request_body_size``, no JSON asked for) is answered here, with the
    same decision, log lines, answers and ``X-OpenStack-Request-Id`` as the
    Flask route, at a fraction of the cost. Everything else, and every
    request the hook refuses as malformed, goes to ``app``, which answers
    it as always.
    """

    def __init__(self, app, settings: Settings, max_body: int):
        self.app = app
        self.settings = settings
        self.max_body = max_body

    def _length(self, environ) -> int | None:
        """The body's length when this path can answer; else None."""
        if (environ.get('REQUEST_METHOD') != 'POST'
                or environ.get(body_limit.TOO_LARGE)
                or environ.get('PATH_INFO') != errors.HOOK_PATH
                or environ.get('HTTP_ACCEPT', '') not in _PLAIN_ACCEPTS):
            return None
        length = environ.get('CONTENT_LENGTH') or ''
        if not length:
            return None if environ.get('wsgi.input_terminated') else 0
        if not length.isdigit() or int(length) > self.max_body:
            return None
        mimetype = environ.get('CONTENT_TYPE', '').partition(';')[0]
        if mimetype.strip().lower() not in (schemas.FORM, schemas.JSON):
            return None
        return int(length)

    def __call__(self, environ, start_response):
        length = self._length(environ)
        if length is None:
            return self.app(environ, start_response)
        body = environ['wsgi.input'].read(length) if length else b''
        try:
            hook = schemas.parse_hook_request(
                urllib.parse.parse_qs(environ.get('QUERY_STRING', ''),
                                      keep_blank_values=True)
                .get('backup_id', []),
                environ.get('CONTENT_TYPE', '').partition(';')[0]
                .strip().lower(), body)
        except errors.ApiError:
            # Malformed: the application explains why, as always.
            environ['wsgi.input'] = io.BytesIO(body)
            return self.app(environ, start_response)
        request_id = oslo_context.generate_request_id()
        environ[request_id_mw.ENV_REQUEST_ID] = request_id
        try:
            status, text = _ANSWERS[decide(self.settings, hook, request_id)]
        except exception.DatabaseUnavailable as exc:
            status, text = '503 SERVICE UNAVAILABLE', f'{exc}\n'.encode()
        except Exception:
            LOG.exception('Unexpected error answering %s %s',
                          environ['REQUEST_METHOD'], environ['PATH_INFO'])
            status = '500 INTERNAL SERVER ERROR'
            text = b'Internal error; see the staffeln-api log.\n'
        start_response(status, [_PLAIN, ('Content-Length', str(len(text))),
                                ('X-OpenStack-Request-Id', request_id)])
        return [text]
