"""Errors of the simulated services, and the body shape each service uses.

Nova and Cinder wrap errors as ``{"<faultName>": {"code": N, "message": M}}``
(the names come from their ``wsgi.Fault`` tables); Keystone, and
keystonemiddleware in front of Nova and Cinder, answer
``{"error": {"code": N, "title": T, "message": M}}``; Glance answers an
HTML page.
"""

from __future__ import annotations

import http
from typing import Any

# nova/api/openstack/wsgi.py and cinder/api/openstack/wsgi.py ``Fault``.
_FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'conflictingRequest',
    413: 'overLimit',
    415: 'badMediaType',
    429: 'overLimit',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}

AUTH_REQUIRED = 'The request you have made requires authentication.'


class SimError(Exception):
    """An API error: the HTTP status, the message and extra headers."""

    def __init__(self, code: int, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class BadRequest(SimError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class Unauthorized(SimError):
    def __init__(self, message: str = AUTH_REQUIRED) -> None:
        super().__init__(401, message)


class Forbidden(SimError):
    def __init__(self, message: str) -> None:
        super().__init__(403, message)


class NotFound(SimError):
    def __init__(self, message: str) -> None:
        super().__init__(404, message)


class Conflict(SimError):
    def __init__(self, message: str) -> None:
        super().__init__(409, message)


class OverLimit(SimError):
    """Cinder's QuotaError: 413 with ``Retry-After: 0``."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message, {'Retry-After': '0'})


class NotAcceptable(SimError):
    def __init__(self, message: str) -> None:
        super().__init__(406, message)


def service_of(path: str) -> str:
    """'identity', 'compute', 'volume', 'image' or 'sim' from a path."""
    first = path.lstrip('/').split('/', 1)[0]
    return first if first in ('identity', 'compute', 'volume',
                              'image') else 'sim'


def glance_page(code: int, message: str) -> str:
    """Glance's error answer: webob's HTML page (``text/html``)."""
    try:
        status = f'{code} {http.HTTPStatus(code).phrase}'
    except ValueError:
        status = str(code)
    return (f'<html>\n <head>\n  <title>{status}</title>\n </head>\n'
            f' <body>\n  <h1>{status}</h1>\n  {message}<br /><br />\n\n\n\n'
            ' </body>\n</html>')


def fault_body(code: int, message: str,
               headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Nova/Cinder's error body."""
    name = _FAULT_NAMES.get(code, 'computeFault')
    inner: dict[str, Any] = {'code': code, 'message': message}
    retry = (headers or {}).get('Retry-After')
    if code == 413 and retry:
        inner['retryAfter'] = retry
    return {name: inner}


def keystone_body(code: int, message: str) -> dict[str, Any]:
    """Keystone's (and keystonemiddleware's) error body."""
    try:
        title = http.HTTPStatus(code).phrase
    except ValueError:
        title = 'Error'
    return {'error': {'code': code, 'message': message, 'title': title}}


def error_body(service: str, code: int, message: str,
               headers: dict[str, str] | None = None) -> dict[str, Any]:
    if service in ('compute', 'volume') and code != 401:
        return fault_body(code, message, headers)
    return keystone_body(code, message)
