"""What every REST resource does: who is calling, what they may do, when it
is, and how a JSON body is read.

The blueprints (one per resource) stay small: they parse, authorize, call
:mod:`staffeln.db` or :mod:`staffeln.actions`, and render.
"""

import datetime
import json

import flask

from staffeln.api import auth
from staffeln.api import authz
from staffeln.api import errors


def context():
    """The caller's request context; 401 without a confirmed identity."""
    return auth.request_context(flask.request.environ)


def authorize(rule: str, target: dict, ctx) -> None:
    authz.authorize(flask.current_app.config['STAFFELN_ENFORCER'], rule,
                    target, ctx)


def allowed(rule: str, target: dict, ctx) -> bool:
    return flask.current_app.config['STAFFELN_ENFORCER'].authorize(
        rule, target, ctx, do_raise=False)


def conf():
    return flask.current_app.config['STAFFELN_CONF']


def now() -> datetime.datetime:
    return flask.current_app.config['STAFFELN_CLOCK'].now()


def cloud():
    """The cloud adapter (built on first use, never at import)."""
    app = flask.current_app
    if app.config.get('STAFFELN_CLOUD') is None:
        app.config['STAFFELN_CLOUD'] = app.config['STAFFELN_CLOUD_FACTORY']()
    return app.config['STAFFELN_CLOUD']


def project_scope(query, ctx, list_rule: str, all_rule: str) -> str | None:
    """The project a listing is of (None: every project), authorized.

    ``query`` has ``project_id`` and ``all_projects``; a caller's own
    project is the default.
    """
    if query.all_projects:
        authorize(all_rule, {}, ctx)
        return None
    project_id = query.project_id or ctx.project_id
    authorize(list_rule, {'project_id': project_id}, ctx)
    return project_id


def json_body(allowed: tuple, required: tuple = ()) -> dict:
    """The request's JSON object.

    400 for anything else, for unknown fields and for missing required ones.
    """
    request = flask.request
    if request.mimetype != 'application/json':
        raise errors.UnsupportedMediaType(
            'send the body as application/json')
    try:
        body = json.loads(request.get_data(cache=False) or b'null')
    except (ValueError, RecursionError):
        raise errors.BadRequest('the body is not valid JSON') from None
    if not isinstance(body, dict):
        raise errors.BadRequest('the body is not a JSON object')
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise errors.BadRequest(
            f'{unknown[0]}: unknown field (fields: {", ".join(allowed)})')
    missing = [name for name in required if body.get(name) in (None, '')]
    if missing:
        raise errors.BadRequest(f'{missing[0]}: required')
    return body


def iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
