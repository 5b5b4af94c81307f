"""/_sim: drive the simulator from another process (no authentication).

POST /_sim/clock/advance {"seconds": N}   GET /_sim/clock
GET /_sim/calls   POST /_sim/calls/reset
GET|POST|DELETE /_sim/faults             (POST: FaultSet.add arguments)
POST /_sim/backup-outcomes {"kind": "error"|"stuck", "volume_id", "count",
                            "reason"}
POST /_sim/quotas {"project_id": ..., "backups": N, ...}
POST /_sim/seed {"scenario": "demo"|"bench"|"empty", "projects", "servers",
                 "tagged", "volumes_per_server"}
GET /_sim/backups[?include_deleted=1]    GET /_sim/projects
"""

from __future__ import annotations

from typing import Any

import flask

from staffeln.common import clock as clock_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import seed as seed_mod
from staffeln.tests.simcloud import web

bp = flask.Blueprint('sim', __name__, url_prefix='/_sim')


def _body() -> dict[str, Any]:
    body = web.json_body()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise errors.BadRequest('expected a JSON object')
    return body


@bp.get('/clock')
def show_clock() -> dict[str, Any]:
    cloud = web.cloud()
    return {'now': cloud.clock.now().isoformat(),
            'manual': isinstance(cloud.clock, clock_mod.ManualClock)}


@bp.post('/clock/advance')
def advance_clock() -> dict[str, Any]:
    cloud = web.cloud()
    try:
        seconds = float(_body().get('seconds', 0))
        now = cloud.advance(seconds)
    except (TypeError, ValueError) as exc:
        raise errors.BadRequest(str(exc)) from None
    return {'now': now.isoformat()}


@bp.get('/calls')
def show_calls() -> dict[str, Any]:
    cloud = web.cloud()
    with cloud.lock:
        calls = sorted(cloud.calls.items())
    return {'total': sum(n for _k, n in calls),
            'calls': [{'method': m, 'path': p, 'count': n}
                      for (m, p), n in calls]}


@bp.post('/calls/reset')
def reset_calls() -> flask.Response:
    web.cloud().reset_calls()
    return web.no_content(204)


@bp.get('/faults')
def list_faults() -> dict[str, Any]:
    return {'faults': [r.to_dict() for r in web.cloud().faults.rules()]}


@bp.post('/faults')
def add_fault() -> tuple[dict[str, Any], int]:
    body = _body()
    allowed = {'method', 'path_regex', 'status', 'count', 'delay', 'message',
               'after', 'ratio', 'seed'}
    if set(body) - allowed:
        unknown = sorted(set(body) - allowed)
        raise errors.BadRequest(f'unknown fields {unknown}')
    rule = web.cloud().faults.add(**body)
    return {'fault': rule.to_dict()}, 201


@bp.delete('/faults')
def clear_faults() -> flask.Response:
    web.cloud().faults.clear()
    return web.no_content(204)


@bp.post('/backup-outcomes')
def plan_backup_outcome() -> flask.Response:
    body = _body()
    cloud = web.cloud()
    kind = body.get('kind', 'error')
    count = int(body.get('count', 1))
    if kind == 'error':
        cloud.fail_next_backups(body.get('volume_id'), count,
                                body.get('reason') or 'Simulated failure')
    elif kind == 'stuck':
        cloud.stick_next_backups(body.get('volume_id'), count)
    elif kind == 'delete-error':
        cloud.fail_next_backup_deletes(body.get('volume_id'), count)
    else:
        raise errors.BadRequest(f'unknown outcome {kind}')
    return web.no_content(204)


@bp.post('/quotas')
def set_quota() -> flask.Response:
    body = _body()
    project_id = body.pop('project_id', None)
    if not project_id:
        raise errors.BadRequest('project_id is required')
    try:
        web.cloud().set_quota(project_id, **{k: int(v)
                                             for k, v in body.items()})
    except KeyError as exc:
        raise errors.BadRequest(str(exc)) from None
    return web.no_content(204)


@bp.post('/seed')
def seed() -> dict[str, Any]:
    body = _body()
    try:
        return seed_mod.seed(web.cloud(), **body)
    except (TypeError, ValueError) as exc:
        raise errors.BadRequest(str(exc)) from None


@bp.get('/backups')
def list_backups() -> dict[str, Any]:
    include = flask.request.args.get('include_deleted', '0').lower() in (
        '1', 'true', 'yes')
    return {'backups': web.cloud().all_backups(include_deleted=include)}


@bp.get('/projects')
def list_projects() -> dict[str, Any]:
    cloud = web.cloud()
    with cloud.lock:
        return {'projects': [{'id': p.id, 'name': p.name,
                              'domain_id': p.domain_id}
                             for p in cloud.identity.projects.values()]}
