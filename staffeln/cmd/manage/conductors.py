"""``staffeln-manage conductors``: the live conductors, the leader, and the
tasks in each state."""

import dataclasses
import json
import os

from oslo_db import exception as db_exc
import sqlalchemy as sa
import tooz

from staffeln.cmd import tables
from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln.common import coordination
from staffeln.common import exception
from staffeln.db import api as db_api
from staffeln.db import states


def command(conf, as_json: bool) -> int:
    """Print the overview; 1 when the backend could not be read."""
    # No schema check here: it logs, and --json prints to stdout.
    try:
        data = overview(conf, staffeln_context.get_admin_context())
    except (sa.exc.SQLAlchemyError, db_exc.DBError) as exc:
        cause = getattr(exc, 'orig', None) or exc
        raise exception.ConfigurationError(
            f'cannot read the tasks from the database: {cause}')
    print(json.dumps(data, indent=2) if as_json else render(data))
    return 1 if data['error'] else 0


def overview(conf, context) -> dict:
    """What ``staffeln-manage conductors`` shows, as plain data."""
    now = clock.utcnow()
    counts = db_api.count_tasks_by_status(context)
    claims: dict[str, int] = {}
    for task in db_api.list_tasks(context, status=states.ACTIVE):
        expires = clock.as_utc(task.claim_expires_at)
        if task.claimed_by and expires and expires > now:
            claims[task.claimed_by] = claims.get(task.claimed_by, 0) + 1
    result = {
        'backend': (coordination.safe_url(coordination.backend_url(conf))
                    or None),
        'namespace': conf.coordination.namespace,
        'conductors': None,
        'leader': None,
        'leader_elected': None,
        'error': None,
        'tasks': {status: counts.get(status, 0) for status in states.ALL},
        'claims': claims,
    }
    if not result['backend']:
        return result
    observer = coordination.Coordinator(
        conf, member_id=f'staffeln-manage.{conf.host}.{os.getpid()}')
    try:
        observer.start(join=False)
    except coordination.CoordinationError as exc:
        result['error'] = str(exc)
        return result
    try:
        members = observer.members()
        if members is not None:
            result['conductors'] = [dataclasses.asdict(m) for m in members]
            leaders = [m.host for m in members if m.alive and m.leader]
            result['leader'] = ', '.join(leaders) or None
            result['leader_elected'] = bool(leaders)
        else:
            result['leader_elected'] = observer.leader_elected()
    except tooz.ToozError as exc:
        result['error'] = f'cannot read the conductors: {exc}'
    finally:
        observer.stop()
    return result


def render(data: dict) -> str:
    """``overview`` as text for an operator."""
    if data['backend']:
        lines = [f'Coordination backend: {data["backend"]} '
                 f'(namespace {data["namespace"]})']
        lines += _render_conductors(data)
    else:
        lines = ['Coordination backend: none ([coordination] backend_url is '
                 'empty): each conductor leads alone, run only one']
    if data['claims'] and data['conductors'] is None:
        lines.append('Claims: ' + ', '.join(
            f'{host} {count}'
            for host, count in sorted(data['claims'].items())))
    lines.append('Tasks:')
    width = max(len(status) for status in data['tasks'])
    for status, count in data['tasks'].items():
        lines.append(f'  {status.ljust(width)}  {count}')
    return '\n'.join(lines)


def _render_conductors(data: dict) -> list[str]:
    conductors = data['conductors']
    if data['error']:
        return [f'Coordination error: {data["error"]}']
    if conductors is None:
        scheme = data['backend'].split(':', 1)[0]
        return [
            'Leader: ' + (
                f'elected (the {scheme} backend does not say which '
                f'conductor)' if data['leader_elected'] else 'none'),
            f'Conductors: not listed (the {scheme} backend has no groups; '
            f'use redis, etcd3 or zookeeper to list them)']
    since = next((c['leader_since'] for c in conductors
                  if c['alive'] and c['leader']), None)
    lines = [f'Leader: {data["leader"]} (since {since})' if data['leader']
             else 'Leader: none',
             f'Conductors: {sum(1 for c in conductors if c["alive"])} live']
    rows = [('HOST', 'STATE', 'ROLE', 'PID', 'STARTED', 'CLAIMS')]
    for c in conductors:
        rows.append((
            c['host'], 'live' if c['alive'] else 'dead',
            'leader' if c['alive'] and c['leader'] else '-',
            str(c['pid'] or '-'), c['started_at'] or '-',
            str(data['claims'].get(c['host'], 0))))
    lines.append(tables.render(rows[0], rows[1:]))
    return lines
