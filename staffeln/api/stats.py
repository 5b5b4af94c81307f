"""``/v1/stats``: per project and overall.

Volumes (protected and skipped), good backups and their gigabytes, tasks
that failed in the last day, and RPO breaches (volumes whose newest good
backup is older than their policy promises: :mod:`staffeln.rules.rpo`).
The statistics of one project also give its Cinder backup quota and its
use (one call to Cinder; ``null`` when Cinder cannot be asked). The rules
are in :mod:`staffeln.policies.stats`.
"""

import datetime

import flask

from oslo_log import log as logging

from staffeln.api import queries
from staffeln.api import resource
from staffeln.common import exception
from staffeln.db import api_views
from staffeln.policies import stats as rules
from staffeln.rules import protection
from staffeln.rules import rpo

LOG = logging.getLogger(__name__)
bp = flask.Blueprint('stats', __name__)

_DAY = datetime.timedelta(days=1)


def _empty() -> dict:
    return {'volumes': 0, 'volumes_protected': 0, 'volumes_skipped': 0,
            'backups': 0, 'backup_gigabytes': 0, 'failures_last_day': 0,
            'rpo_breaches': 0}


def compute(ctx, project_id: str | None, now) -> dict:
    per_project = api_views.project_stats(ctx, project_id, now - _DAY)
    margin = protection.Defaults.from_conf(resource.conf()).margin
    for project, _, interval_s, created, newest in api_views.rpo_inputs(
            ctx, project_id):
        state = rpo.state(now, datetime.timedelta(seconds=interval_s),
                          margin, newest, created)
        if state == rpo.BREACHED:
            stats = per_project.setdefault(project, _empty())
            stats['rpo_breaches'] = stats.get('rpo_breaches', 0) + 1
    total = _empty()
    projects = []
    for project in sorted(per_project):
        stats = _empty() | per_project[project]
        projects.append({'project_id': project, **stats})
        for key in total:
            total[key] += stats[key]
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
    stats = compute(ctx, project_id, resource.now())
    if project_id is not None:
        stats['quota'] = quota(project_id)
    return flask.jsonify({'stats': stats})
