"""``/v1/volumes``: the volumes Staffeln knows and how well they are
protected.

Each volume shows its protection state (``protected``, ``skipped`` and
why, ``over_quota``, ``failing``, ``gone``), its policies and when each is
next due, its newest good backup, and its RPO state (``met``,
``breached``, ``pending``: see :mod:`staffeln.rules.rpo`), and its
newest restore drill (:mod:`staffeln.conductor.drills`). The rules are in
:mod:`staffeln.policies.volumes`.
"""

import datetime

import flask

from staffeln.api import errors
from staffeln.api import queries
from staffeln.api import resource
from staffeln.api import schemas
from staffeln.db import api_views
from staffeln.policies import volumes as volume_policies
from staffeln.rules import protection
from staffeln.rules import rpo

bp = flask.Blueprint('volumes', __name__)


def _state(volume, facts: api_views.VolumeFacts) -> str:
    if volume.gone_at is not None:
        return 'gone'
    if volume.skip_reason:
        return 'skipped'
    if facts.quota:
        return 'over_quota'
    return 'failing' if facts.failing else 'protected'


def _last_backup(task) -> dict | None:
    if task is None:
        return None
    iso = resource.iso
    return {'id': task.backup_id, 'task_uuid': task.uuid,
            'type': task.backup_type, 'policy_id': task.policy_id,
            'created_at': iso(task.started_at or task.created_at),
            'finished_at': iso(task.finished_at)}


def _rpo(volume, newest, now, margin) -> dict:
    view = {'interval_s': volume.interval_s,
            'age_s': (int((now - newest).total_seconds())
                      if newest else None)}
    if volume.gone_at is not None or volume.skip_reason:
        view['state'] = None
    else:
        view['state'] = rpo.state(
            now, datetime.timedelta(seconds=volume.interval_s), margin,
            newest, volume.created_at)
    return view


def _last_drill(drill) -> dict | None:
    if drill is None:
        return None
    return {'id': drill.uuid, 'backup_id': drill.backup_id,
            'status': drill.status, 'outcome': drill.outcome,
            'reason': drill.reason, 'rto_s': drill.rto_s,
            'created_at': resource.iso(drill.created_at),
            'checked_at': resource.iso(drill.checked_at)}


def view(volume, facts: api_views.VolumeFacts, now, margin) -> dict:
    """A volume as the API shows it (``volume``: an api_views.VolumeRow)."""
    iso = resource.iso
    policies = [{'name': name, 'next_due_at': iso(due)}
                for name, due in facts.policies]
    dues = [due for _, due in facts.policies if due is not None]
    last_good = facts.last_good
    newest = last_good.started_at if last_good is not None else None
    return {
        'id': volume.id, 'name': volume.name,
        'project_id': volume.project_id, 'server_id': volume.server_id,
        'server_name': volume.server_name, 'size_gb': volume.size_gb,
        'status': volume.status, 'skip_reason': volume.skip_reason,
        'problems': volume.problems,
        'state': _state(volume, facts), 'quota_reason': facts.quota,
        'policies': policies,
        'next_due_at': iso(min(dues)) if dues else None,
        'last_backup': _last_backup(last_good),
        'last_drill': _last_drill(facts.last_drill),
        'rpo': _rpo(volume, newest, now, margin),
        'created_at': iso(volume.created_at),
        'last_seen_at': iso(volume.last_seen_at),
        'gone_at': iso(volume.gone_at)}


def _margin() -> datetime.timedelta:
    return protection.Defaults.from_conf(resource.conf()).margin


@bp.get('/v1/volumes')
def list_volumes():
    ctx = resource.context()
    query = queries.volume_query(flask.request.args)
    project_id = resource.project_scope(
        query.scope, ctx, volume_policies.LIST,
        volume_policies.LIST_ALL_PROJECTS)
    volumes, facts = api_views.volume_listing(
        ctx, query.page, project_id, query.server_id, query.state,
        query.policy)
    now, margin = resource.now(), _margin()
    return flask.jsonify({'volumes': [
        view(v, facts[v.id], now, margin) for v in volumes]})


@bp.get('/v1/volumes/<volume_id>')
def get_volume(volume_id: str):
    ctx = resource.context()
    volume_id = schemas.parse_uuid(volume_id, 'volume id')
    found = api_views.volume_view(ctx, volume_id)
    if found is None:
        resource.authorize(volume_policies.GET,
                           {'project_id': ctx.project_id}, ctx)
        raise errors.NotFound(f'Volume {volume_id} not found.')
    volume, facts = found
    resource.authorize(volume_policies.GET,
                       {'project_id': volume.project_id}, ctx)
    return flask.jsonify({'volume': view(volume, facts, resource.now(),
                                         _margin())})
