"""Database access for the last known backup quota of each project.

Same rules as :mod:`staffeln.db.api`: callers pass a context and plain
data. A row is created on first use; two conductors writing at once both
succeed, the later write wins.
"""

import datetime

from oslo_db import exception as db_exc
import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db.api import fail_closed
from staffeln.db.api import retry_on_deadlock
from staffeln.db import models

Quota = models.ProjectQuota


def _used(quota: dict, key: str) -> int | None:
    entry = quota.get(key) or {}
    if entry.get('in_use') is None:
        return None
    return int(entry['in_use']) + int(entry.get('reserved') or 0)


def _limit(quota: dict, key: str) -> int | None:
    entry = quota.get(key) or {}
    return None if entry.get('limit') is None else int(entry['limit'])


@retry_on_deadlock
@context_manager.writer
def _upsert(context, project_id: str, values: dict) -> None:
    session = context.session
    result = session.execute(sa.update(Quota)
                             .where(Quota.project_id == project_id)
                             .values(**values))
    if result.rowcount == 0:
        with session.begin_nested():
            session.add(Quota(project_id=project_id, **values))
            session.flush()


def _save(context, project_id: str, values: dict) -> None:
    try:
        _upsert(context, project_id, values)
    except db_exc.DBDuplicateEntry:
        # Another conductor created the row in the meantime.
        _upsert(context, project_id, values)


def record_quota(context, project_id: str, quota: dict,
                 now: datetime.datetime) -> None:
    """Record the quota Cinder gave (``get_backup_quota``'s answer)."""
    _save(context, project_id, dict(
        backups_limit=_limit(quota, 'backups'),
        backups_used=_used(quota, 'backups'),
        gigabytes_limit=_limit(quota, 'backup_gigabytes'),
        gigabytes_used=_used(quota, 'backup_gigabytes'),
        read_at=now))


def record_forecasts(context, needs: dict, now: datetime.datetime) -> None:
    """Record each project's steady-state need: {project: Need}."""
    for project_id, need in sorted(needs.items()):
        _save(context, project_id, dict(
            forecast_backups=need.backups,
            forecast_gigabytes=need.gigabytes, forecast_at=now))


@context_manager.reader
def list_quotas(context) -> list[Quota]:
    return list(context.session.scalars(
        sa.select(Quota).order_by(Quota.project_id)))


@fail_closed
@context_manager.reader
def quotas_of(context, project_id: str | None) -> dict[str, Quota]:
    """The last known quota of one project (None: of every project)."""
    query = sa.select(Quota)
    if project_id is not None:
        query = query.where(Quota.project_id == project_id)
    return {quota.project_id: quota
            for quota in context.session.scalars(query)}
