"""``/v1/stats``: per project and overall.

Volumes (protected and skipped), good backups and their gigabytes, tasks
that failed in the last day, RPO breaches (volumes whose newest good
backup is older than their policy promises: :mod:`staffeln.rules.rpo`),
and the use of the Cinder backup quota: ``quota_*``, as the conductor last
read it (:mod:`staffeln.db.api_quotas`), summed over the projects in the
total. The statistics of one project also ask Cinder (one call): its
answer, ``quota`` (``null`` when Cinder cannot be asked), then gives the
``quota_*`` fields too. ``quota_*_forecast`` is what the project's
policies and retention will hold once every chain is full, as the
conductor last forecast it (:mod:`staffeln.rules.forecast`), summed in the
total. The rules are in :mod:`staffeln.policies.stats`.
"""

import datetime

import flask

from oslo_log import log as logging

from staffeln.api import queries
from staffeln.api import resource
from staffeln.common import exception
from staffeln.db import api_quotas
from staffeln.db import api_views
from staffeln.policies import stats as rules
from staffeln.rules import protection
from staffeln.rules import rpo

LOG = logging.getLogger(__name__)
bp = flask.Blueprint('stats', __name__)

_DAY = datetime.timedelta(days=1)
#: Cinder's two backup quotas, by their names in Cinder.
_QUOTAS = ('backups', 'backup_gigabytes')
QUOTA_FIELDS = ('quota_backups_used', 'quota_backups_limit',
                'quota_backup_gigabytes_used', 'quota_backup_gigabytes_limit',
                'quota_read_at')
FORECAST_FIELDS = ('quota_backups_forecast',
                   'quota_backup_gigabytes_forecast', 'quota_forecast_at')


def _empty() -> dict:
    return {'volumes': 0, 'volumes_protected': 0, 'volumes_skipped': 0,
            'backups': 0, 'backup_gigabytes': 0, 'failures_last_day': 0,
            'rpo_breaches': 0}


def _recorded_use(row) -> dict:
    """A project's quota use as the conductor last read it (or unknown)."""
    if row is None or row.read_at is None:
        return dict.fromkeys(QUOTA_FIELDS)
    return {'quota_backups_used': row.backups_used,
            'quota_backups_limit': row.backups_limit,
            'quota_backup_gigabytes_used': row.gigabytes_used,
            'quota_backup_gigabytes_limit': row.gigabytes_limit,
            'quota_read_at': row.read_at}


def _forecast(row) -> dict:
    """A project's forecast need as the conductor last made it."""
    if row is None or row.forecast_at is None:
        return dict.fromkeys(FORECAST_FIELDS)
    return {'quota_backups_forecast': row.forecast_backups,
            'quota_backup_gigabytes_forecast': row.forecast_gigabytes,
            'quota_forecast_at': row.forecast_at}


def _total_forecast(forecasts: list[dict]) -> dict:
    """Forecasts summed over the projects that have one, at the oldest."""
    known = [f for f in forecasts if f['quota_forecast_at'] is not None]
    if not known:
        return dict.fromkeys(FORECAST_FIELDS)
    total = {key: sum(f[key] or 0 for f in known)
             for key in FORECAST_FIELDS[:2]}
    total['quota_forecast_at'] = min(f['quota_forecast_at'] for f in known)
    return total


def _live_use(live: dict, now) -> dict:
    """A project's quota use from Cinder's answer (``quota``)."""
    use = {'quota_read_at': now}
    for name in _QUOTAS:
        use[f'quota_{name}_used'] = (live[name]['in_use']
                                     + live[name]['reserved'])
        use[f'quota_{name}_limit'] = live[name]['limit']
    return use


def _total_use(uses: list[dict]) -> dict:
    """Use summed over the projects whose quota is known.

    A limit is -1 (unlimited) when one project's is; ``quota_read_at`` is
    the oldest reading summed.
    """
    known = [use for use in uses if use['quota_read_at'] is not None]
    if not known:
        return dict.fromkeys(QUOTA_FIELDS)
    total = {'quota_read_at': min(use['quota_read_at'] for use in known)}
    for name in _QUOTAS:
        limits = [use[f'quota_{name}_limit'] for use in known]
        total[f'quota_{name}_used'] = sum(
            use[f'quota_{name}_used'] or 0 for use in known)
        total[f'quota_{name}_limit'] = (
            -1 if any(limit is None or limit < 0 for limit in limits)
            else sum(limits))
    return total


def _with_times(stats: dict) -> dict:
    return stats | {key: resource.iso(stats[key])
                    for key in ('quota_read_at', 'quota_forecast_at')}


def compute(ctx, project_id: str | None, now,
            live_quota: dict | None = None) -> dict:
    """The statistics; ``live_quota``: Cinder's answer for ``project_id``."""
    per_project = api_views.project_stats(ctx, project_id, now - _DAY)
    margin = protection.Defaults.from_conf(resource.conf()).margin
    for project, _, interval_s, created, newest in api_views.rpo_inputs(
            ctx, project_id):
        state = rpo.state(now, datetime.timedelta(seconds=interval_s),
                          margin, newest, created)
        if state == rpo.BREACHED:
            stats = per_project.setdefault(project, _empty())
            stats['rpo_breaches'] = stats.get('rpo_breaches', 0) + 1
    quotas = api_quotas.quotas_of(ctx, project_id)
    use = {project: _recorded_use(quotas.get(project))
           for project in set(per_project) | ({project_id} - {None})}
    if live_quota is not None:
        use[project_id] = _live_use(live_quota, now)
    for project in use:
        use[project] |= _forecast(quotas.get(project))
    total = _empty()
    projects = []
    for project in sorted(per_project):
        stats = _empty() | per_project[project]
        projects.append({'project_id': project, **stats,
                         **_with_times(use[project])})
        for key in total:
            total[key] += stats[key]
    if project_id is not None:
        total |= _with_times(use[project_id])
    else:
        total |= _with_times(
            _total_use([use[p] for p in per_project])
            | _total_forecast([use[p] for p in per_project]))
    return {'projects': projects, 'total': total}


def quota(project_id: str) -> dict | None:
    """The project's backup quota and use, or None if Cinder cannot say."""
    try:
        return resource.cloud().get_backup_quota(project_id, retry=False)
    except (exception.CloudError, exception.ConfigurationError) as exc:
        LOG.warning('Cannot read the backup quota of project %s: %s',
                    project_id, exc)
        return None


@bp.get('/v1/stats')
def get_stats():
    ctx = resource.context()
    queries.check_known(flask.request.args, ('project_id', 'all_projects'))
    project_id = resource.project_scope(
        queries.scope(flask.request.args), ctx, rules.GET,
        rules.GET_ALL_PROJECTS)
    live = quota(project_id) if project_id is not None else None
    stats = compute(ctx, project_id, resource.now(), live)
    if project_id is not None:
        stats['quota'] = live
    return flask.jsonify({'stats': stats})
