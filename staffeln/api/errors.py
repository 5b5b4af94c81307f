"""The API's errors, and the one place that maps them to HTTP answers.

Every error answer is one line. The REST resources answer in one JSON
shape, ``{"error": {"code", "message", "request_id"}}``, the request id
being the ``X-OpenStack-Request-Id`` of the answer. The delete hook answers
in plain text unless the client prefers ``application/json``: no error
answer is ever the text ``True``, so an oslo.policy ``http:`` check that
gets an error is refused.
"""

import json

import flask
from oslo_log import log as logging
from werkzeug import exceptions as http_exc

from staffeln.common import exception
from staffeln.db import api as db_api

LOG = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with a reason worth telling the client."""

    code = 500

    def __init__(self, reason: str):
        super().__init__(reason)
        # One line, whatever the reason was built from.
        self.reason = ' '.join(str(reason).split())


class BadRequest(ApiError):
    code = 400


class Unauthorized(ApiError):
    code = 401


class Forbidden(ApiError):
    code = 403


class NotFound(ApiError):
    code = 404


class UnsupportedMediaType(ApiError):
    code = 415


class Conflict(ApiError):
    code = 409


#: The path whose errors are plain text unless JSON is preferred.
HOOK_PATH = '/v1/backup'


def _wants_json() -> bool:
    if flask.request.path != HOOK_PATH:
        return True
    best = flask.request.accept_mimetypes.best_match(
        ('text/plain', 'application/json'), default='text/plain')
    return best == 'application/json'


def error_response(code: int, reason: str) -> flask.Response:
    reason = ' '.join(reason.split()) or http_exc.HTTP_STATUS_CODES.get(
        code, 'Error')
    if _wants_json():
        request_id = flask.request.environ.get('openstack.request_id')
        body = json.dumps({'error': {'code': code, 'message': reason,
                                     'request_id': request_id}})
        return flask.Response(body + '\n', status=code,
                              mimetype='application/json')
    return flask.Response(reason + '\n', status=code, mimetype='text/plain')


def _api_error(exc: ApiError):
    return error_response(exc.code, exc.reason)


def _database_unavailable(exc: exception.DatabaseUnavailable):
    return error_response(503, str(exc))


def _unknown_marker(exc: db_api.UnknownMarker):
    return error_response(400, str(exc))


def _domain_error(exc: exception.StaffelnException):
    code = 400
    if isinstance(exc, exception.NoSuchObject):
        code = 404
    elif isinstance(exc, exception.Conflict):
        code = 409
    return error_response(code, str(exc))


def _not_configured(exc: exception.ConfigurationError):
    LOG.error('Cannot answer %s %s: %s', flask.request.method,
              flask.request.path, exc)
    return error_response(503, 'This needs OpenStack access that '
                               'staffeln-api is not configured for; see '
                               'its log.')


def _cloud_error(exc: exception.CloudError):
    """OpenStack refused or failed: its 4xx are the caller's, the rest 502."""
    status = exc.status or 502
    code = status if 400 <= status < 500 and status != 401 else 502
    return error_response(code, str(exc))


def _http_error(exc: http_exc.HTTPException):
    response = error_response(exc.code or 500, exc.description or exc.name)
    if isinstance(exc, http_exc.MethodNotAllowed) and exc.valid_methods:
        response.headers['Allow'] = ', '.join(exc.valid_methods)
    return response


def _unexpected(exc: Exception):
    LOG.exception('Unexpected error answering %s %s',
                  flask.request.method, flask.request.path)
    return error_response(500, 'Internal error; see the staffeln-api log.')


def register(app: flask.Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(exception.DatabaseUnavailable,
                               _database_unavailable)
    app.register_error_handler(db_api.UnknownMarker, _unknown_marker)
    for domain in (exception.InvalidInput, exception.NoSuchObject,
                   exception.Conflict):
        app.register_error_handler(domain, _domain_error)
    app.register_error_handler(exception.CloudError, _cloud_error)
    app.register_error_handler(exception.ConfigurationError,
                               _not_configured)
    app.register_error_handler(http_exc.HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
