"""The WSGI application: /identity, /compute, /volume and /image.

Around every request: the call is counted under its route template, an
injected fault may answer (or delay) it, and the cloud's due events run
before the handler, with the cloud locked while the handler runs.
"""

from __future__ import annotations

import re
import time
from typing import Any

import flask
import werkzeug.exceptions
import werkzeug.routing

from staffeln.tests.simcloud.cinder import api as cinder_api
from staffeln.tests.simcloud import control
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud.glance import api as glance_api
from staffeln.tests.simcloud.keystone import api as keystone_api
from staffeln.tests.simcloud.nova import api as nova_api
from staffeln.tests.simcloud import state
from staffeln.tests.simcloud import web

_VARIABLE = re.compile(r'<(?:[^:>]+:)?([^>]+)>')
_KEEP_NAMES = ('key', 'tag')


class HexConverter(werkzeug.routing.BaseConverter):
    """A Keystone project id: 32 hex digits."""

    regex = '[0-9a-f]{32}'


def template(rule: str) -> str:
    """A route as counted: '/volume/v3/backups/{id}'.

    Variables become ``{id}`` (``{key}``, ``{tag}`` kept) and Cinder's
    optional project id segment is dropped.
    """
    rule = rule.replace('/<hex:project_id>', '')

    def name(match: re.Match[str]) -> str:
        var = match.group(1)
        return '{%s}' % (var if var in _KEEP_NAMES else 'id')
    return _VARIABLE.sub(name, rule)


class SimFlask(flask.Flask):
    def dispatch_request(self) -> Any:  # type: ignore[override]
        cloud = self.extensions[web.EXTENSION].cloud
        with cloud.lock:
            cloud.tick()
            return super().dispatch_request()


def _error_response(service: str, code: int, message: str,
                    headers: dict[str, str] | None = None) -> flask.Response:
    if service == 'image':
        response = flask.Response(errors.glance_page(code, message),
                                  status=code,
                                  content_type='text/html; charset=UTF-8')
    else:
        response = flask.jsonify(errors.error_body(service, code, message,
                                                   headers))
        response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if code == 401 and service in ('compute', 'volume', 'image'):
        response.headers['WWW-Authenticate'] = (
            f'Keystone uri="{web.base_url()}/identity/v3"')
    return response


def _count_and_inject() -> flask.Response | None:
    request = flask.request
    rule = request.url_rule
    path = template(rule.rule) if rule is not None else request.path
    service = errors.service_of(request.path)
    cloud = web.cloud()
    if service != 'sim':
        cloud.record_call(request.method, path)
    fault = cloud.faults.take(request.method, request.path) if (
        service != 'sim') else None
    if fault is None:
        return None
    if fault.after:
        flask.g.fault_after = fault
        return None
    if fault.delay:
        time.sleep(fault.delay)
    if fault.status is None:
        return None
    return _error_response(service, fault.status, fault.error_message)


def _lose_answer(response: flask.Response) -> flask.Response:
    """Carry out a fault with ``after``: the request took effect."""
    fault = flask.g.pop('fault_after', None)
    if fault is None:
        return response
    if fault.delay:
        time.sleep(fault.delay)
    if fault.status is None:
        return response
    return _error_response(errors.service_of(flask.request.path),
                           fault.status, fault.error_message)


def _handle_sim_error(error: errors.SimError) -> flask.Response:
    return _error_response(errors.service_of(flask.request.path),
                           error.code, error.message, error.headers)


def _handle_http_error(error: werkzeug.exceptions.HTTPException
                       ) -> flask.Response:
    code = error.code or 500
    message = {404: 'The resource could not be found.',
               405: 'The method is not allowed for the requested URL.',
               500: 'The server has either erred or is incapable of '
                    'performing the requested operation.'}.get(
        code, error.description or '')
    return _error_response(errors.service_of(flask.request.path), code,
                           message)


def create_app(cloud: state.Cloud) -> flask.Flask:
    app = SimFlask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.converters['hex'] = HexConverter
    app.url_map.strict_slashes = False
    app.extensions[web.EXTENSION] = web.Services.for_cloud(cloud)
    app.before_request(_count_and_inject)
    app.after_request(_lose_answer)
    app.register_error_handler(errors.SimError, _handle_sim_error)
    app.register_error_handler(werkzeug.exceptions.HTTPException,
                               _handle_http_error)
    for blueprint in (keystone_api.bp, nova_api.bp, cinder_api.bp,
                      glance_api.bp, control.bp):
        app.register_blueprint(blueprint)
    return app
