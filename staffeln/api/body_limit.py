"""Request bodies over ``[api] max_request_body_size``: 400, on every path.

A body that is too large is bad input like any other, and its answer is
the API's one error shape with the request id (plain text on the delete
hook unless JSON is preferred), never the web server's own page. 400
rather than 413: OpenStack clients read 413 as "over a rate limit, try
again later", and this body will not get smaller.

The body is refused before the request is authenticated: the size is
known from ``Content-Length``, or from ``staffeln-api``'s server, which
stops reading at the limit and says so in the WSGI environment. A chunked
body that gives no size is stopped at the limit when the application
reads it (Flask's ``MAX_CONTENT_LENGTH``), with the same answer.
"""

import io

import flask
from werkzeug import exceptions as http_exc

from staffeln.api import errors

#: Set in the WSGI environment by staffeln-api's server when a request's
#: body passed the limit and was not read.
TOO_LARGE = 'staffeln.body_too_large'


def _declared_length(environ) -> int:
    try:
        return int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        return 0


class BodyLimit:
    """Send a request whose body is too large to ``refuse``, unread."""

    def __init__(self, app, refuse, limit: int):
        self.app = app
        self.refuse = refuse
        self.limit = limit

    def __call__(self, environ, start_response):
        if environ.get(TOO_LARGE) or _declared_length(environ) > self.limit:
            environ[TOO_LARGE] = True
            environ['wsgi.input'] = io.BytesIO(b'')
            environ['CONTENT_LENGTH'] = '0'
            return self.refuse(environ, start_response)
        return self.app(environ, start_response)


def reason(limit: int) -> str:
    return (f'the request body is larger than {limit} bytes '
            f'([api] max_request_body_size)')


def _check() -> None:
    """Before every request: 400 for a body refused unread."""
    if flask.request.environ.get(TOO_LARGE):
        raise errors.BadRequest(
            reason(flask.current_app.config['MAX_CONTENT_LENGTH']))


def _read_too_much(exc: http_exc.RequestEntityTooLarge):
    return errors.error_response(
        400, reason(flask.current_app.config['MAX_CONTENT_LENGTH']))


def register(app: flask.Flask) -> None:
    app.before_request(_check)
    app.register_error_handler(http_exc.RequestEntityTooLarge,
                               _read_too_much)
