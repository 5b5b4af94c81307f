"""What the REST API reads: pages of volumes and backups, and statistics.

A page is one query for its rows (keyset pagination: the marker is the last
row of the previous page, never an offset) and a constant number of queries
for what each row shows (its policies, its backups), however many rows the
database holds, in one transaction. Pages are read as rows, not ORM
objects. Every reader fails closed
(:class:`~staffeln.common.exception.DatabaseUnavailable`).
"""

import dataclasses
import datetime

import sqlalchemy as sa

from staffeln.db.api import _chunks
from staffeln.db.api import context_manager
from staffeln.db.api import fail_closed
from staffeln.db.api import UnknownMarker
from staffeln.db import models
from staffeln.db import states

Volume = models.Volume
Task = models.BackupTask
VolumePolicy = models.VolumePolicy
Policy = models.ProtectionPolicy
Drill = models.RestoreDrill

#: Task states whose backup was good once: a failure before one of them
#: is history, a failure after all of them means the volume is failing.
ONCE_GOOD = (states.AVAILABLE, states.DELETING, states.DELETED)
#: The protection states of a volume, in the order they are decided.
VOLUME_STATES = ('gone', 'skipped', 'over_quota', 'failing', 'protected')


@dataclasses.dataclass(frozen=True)
class Page:
    """How to cut a listing.

    ``sort_key`` is a column name, ``marker`` the id of the last row of the
    previous page.
    """

    limit: int = 100
    marker: str | None = None
    sort_key: str = 'id'
    sort_dir: str = 'asc'


def _sort_column(model, key: str):
    column = getattr(model, key)
    if key in ('name', 'volume_name', 'server_id', 'server_name'):
        return sa.func.coalesce(column, '')
    return column


def _keyset(query, model, page: Page, marker_row, unique):
    """Order ``query`` by ``page`` and start it after ``marker_row``."""
    column = _sort_column(model, page.sort_key)
    desc = page.sort_dir == 'desc'
    order = (column.desc(), unique.desc()) if desc else (column, unique)
    query = query.order_by(*order).limit(page.limit)
    if marker_row is None:
        return query
    value = getattr(marker_row, page.sort_key)
    if page.sort_key in ('name', 'volume_name', 'server_id', 'server_name'):
        value = value or ''
    key = getattr(marker_row, unique.key)
    if desc:
        return query.where(sa.or_(column < value,
                                  sa.and_(column == value, unique < key)))
    return query.where(sa.or_(column > value,
                              sa.and_(column == value, unique > key)))


# ---------------------------------------------------------------- volumes

def _quota_held():
    return sa.exists().where(Task.volume_id == Volume.id,
                             Task.status == states.QUEUED,
                             Task.reason.like('quota exceeded%'))


def _failing():
    later = sa.orm.aliased(Task)
    good_after = sa.exists().where(later.volume_id == Task.volume_id,
                                   later.status.in_(ONCE_GOOD),
                                   later.id > Task.id)
    return sa.exists().where(Task.volume_id == Volume.id,
                             Task.status == states.FAILED, ~good_after)


def _state_filter(state: str):
    live = sa.and_(Volume.gone_at.is_(None), Volume.skip_reason.is_(None))
    return {
        'gone': Volume.gone_at.is_not(None),
        'skipped': sa.and_(Volume.gone_at.is_(None),
                           Volume.skip_reason.is_not(None)),
        'over_quota': sa.and_(live, _quota_held()),
        'failing': sa.and_(live, ~_quota_held(), _failing()),
        'protected': sa.and_(live, ~_quota_held(), ~_failing()),
    }[state]


def _protected_by(policy: str):
    """The volume is protected by the policy named ``policy``."""
    return sa.exists().where(VolumePolicy.volume_id == Volume.id,
                             VolumePolicy.policy_id == Policy.id,
                             Policy.name == policy)


def _volume_page(session, page: Page, project_id: str | None,
                 server_id: str | None, state: str | None,
                 policy: str | None) -> list:
    marker_row = None
    if page.marker is not None:
        marker_row = session.get(Volume, page.marker)
        if marker_row is None:
            raise UnknownMarker(f'marker {page.marker} is not a volume')
    # Rows, not ORM objects: a page is read, never changed, and building
    # objects would cost more than the query.
    query = sa.select(*Volume.__table__.c)
    if project_id is not None:
        query = query.where(Volume.project_id == project_id)
    if server_id is not None:
        query = query.where(Volume.server_id == server_id)
    if state is not None:
        query = query.where(_state_filter(state))
    if policy is not None:
        query = query.where(_protected_by(policy))
    query = _keyset(query, Volume, page, marker_row, Volume.id)
    return list(session.execute(query))


@fail_closed
@context_manager.reader
def volume_listing(context, page: Page, project_id: str | None = None,
                   server_id: str | None = None,
                   state: str | None = None,
                   policy: str | None = None) -> tuple[list, dict]:
    """One page of volumes and their facts, in one transaction.

    ``(rows with a volume's columns, {volume id: VolumeFacts})``.

    :raises UnknownMarker: no volume has the id ``page.marker``.
    """
    volumes = _volume_page(context.session, page, project_id, server_id,
                           state, policy)
    return volumes, _volume_facts(context.session, [v.id for v in volumes])


@fail_closed
@context_manager.reader
def get_volume(context, volume_id: str) -> models.Volume | None:
    return context.session.get(Volume, volume_id)


@fail_closed
@context_manager.reader
def server_project(context, server_id: str) -> str | None:
    """The project of a server whose volumes Staffeln knows, or None."""
    return context.session.scalar(
        sa.select(Volume.project_id).where(Volume.server_id == server_id)
        .limit(1))


@dataclasses.dataclass
class VolumeFacts:
    """What the volume rows alone do not say."""

    #: The newest good backup's task (a row with a task's columns), or
    #: None.
    last_good: sa.Row | None = None
    #: Whether the newest finished task failed after the last good one.
    failing: bool = False
    #: Why a queued task waits for quota, or None.
    quota: str | None = None
    #: ``[(policy name, next due)]``.
    policies: list = dataclasses.field(default_factory=list)
    #: The newest restore drill, or None.
    last_drill: models.RestoreDrill | None = None


def _newest(condition):
    return sa.func.max(sa.case((condition, Task.id)))


# Built once: a page's statements differ only in their ids.
_FACT_IDS = (
    sa.select(Task.volume_id,
              _newest(Task.status == states.AVAILABLE),
              _newest(Task.status.in_(ONCE_GOOD)),
              _newest(Task.status == states.FAILED),
              _newest(sa.and_(Task.status == states.QUEUED,
                              Task.reason.like('quota exceeded%'))))
    .where(Task.volume_id.in_(sa.bindparam('volume_ids', expanding=True)))
    .group_by(Task.volume_id))
_TASKS = sa.select(*Task.__table__.c).where(
    Task.id.in_(sa.bindparam('task_ids', expanding=True)))
_POLICIES = (
    sa.select(VolumePolicy.volume_id, Policy.name, VolumePolicy.next_due_at)
    .join(Policy, Policy.id == VolumePolicy.policy_id)
    .where(VolumePolicy.volume_id.in_(
        sa.bindparam('volume_ids', expanding=True)))
    .order_by(Policy.name))


def _fact_ids(session, chunk: list[str]) -> dict[str, tuple]:
    """Per volume, in one grouped query: the newest task ids.

    The newest available, once good, failed and quota-held tasks.
    """
    return {row[0]: row[1:] for row in session.execute(
        _FACT_IDS, {'volume_ids': chunk})}


@fail_closed
@context_manager.reader
def volume_facts(context, volume_ids: list[str]) -> dict[str, VolumeFacts]:
    """Backups, failures and policies of the given volumes.

    Four queries per 500 volumes, whatever the length of their
    histories: the newest task ids of each kind (grouped), those tasks,
    the policies, and the newest drills.
    """
    return _volume_facts(context.session, volume_ids)


def _volume_facts(session, volume_ids: list[str]) -> dict[str, VolumeFacts]:
    facts = {volume_id: VolumeFacts() for volume_id in volume_ids}
    for chunk in _chunks(volume_ids, 500):
        newest = _fact_ids(session, chunk)
        wanted = {}
        for volume_id, (good, once_good, failed, quota) in newest.items():
            facts[volume_id].failing = (failed is not None
                                        and failed > (once_good or 0))
            wanted.update({good: 'last_good', quota: 'quota'})
        wanted.pop(None, None)
        if wanted:
            for task in session.execute(_TASKS,
                                        {'task_ids': sorted(wanted)}):
                if wanted[task.id] == 'last_good':
                    facts[task.volume_id].last_good = task
                else:
                    facts[task.volume_id].quota = task.reason
        for volume_id, name, due in session.execute(
                _POLICIES, {'volume_ids': chunk}):
            facts[volume_id].policies.append((name, due))
        drills = (sa.select(sa.func.max(Drill.id))
                  .where(Drill.volume_id.in_(chunk))
                  .group_by(Drill.volume_id))
        for drill in session.scalars(
                sa.select(Drill).where(Drill.id.in_(drills))):
            facts[drill.volume_id].last_drill = drill
    return facts


# ---------------------------------------------------------------- backups

@dataclasses.dataclass(frozen=True)
class BackupFilters:
    project_id: str | None = None
    volume_id: str | None = None
    server_id: str | None = None
    backup_type: str | None = None
    statuses: tuple = ()
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


def _backup_query(filters: BackupFilters):
    query = sa.select(Task).where(Task.backup_id.is_not(None))
    for column, value in ((Task.project_id, filters.project_id),
                          (Task.volume_id, filters.volume_id),
                          (Task.server_id, filters.server_id),
                          (Task.backup_type, filters.backup_type)):
        if value is not None:
            query = query.where(column == value)
    if filters.statuses:
        query = query.where(Task.status.in_(filters.statuses))
    if filters.since is not None:
        query = query.where(Task.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(Task.created_at < filters.until)
    return query


@fail_closed
@context_manager.reader
def backup_page(context, page: Page,
                filters: BackupFilters) -> list[models.BackupTask]:
    """The tasks that made a Cinder backup, one page.

    The marker is a backup id.

    :raises UnknownMarker: no task made the backup ``page.marker``.
    """
    marker_row = None
    if page.marker is not None:
        marker_row = context.session.scalar(
            sa.select(Task).where(Task.backup_id == page.marker))
        if marker_row is None:
            raise UnknownMarker(f'marker {page.marker} is not a backup')
    query = _keyset(_backup_query(filters), Task, page, marker_row, Task.id)
    return list(context.session.scalars(query))


@fail_closed
@context_manager.reader
def get_backup_task(context, backup_id: str) -> models.BackupTask | None:
    return context.session.scalar(
        sa.select(Task).where(Task.backup_id == backup_id))


@fail_closed
@context_manager.reader
def chains(context, tasks: list) -> dict[int, tuple]:
    """``{task id: (parent backup id, depth)}``; a full backup has depth 0.

    One query per level of the deepest chain on the page.
    """
    parents = {task.id: task.parent_id for task in tasks}
    backup_ids: dict[int, str | None] = {t.id: t.backup_id for t in tasks}
    wanted = {p for p in parents.values() if p is not None} - set(parents)
    while wanted:
        rows = context.session.execute(
            sa.select(Task.id, Task.parent_id, Task.backup_id)
            .where(Task.id.in_(sorted(wanted))))
        for task_id, parent_id, backup_id in rows:
            parents[task_id] = parent_id
            backup_ids[task_id] = backup_id
        wanted = ({p for p in parents.values() if p is not None}
                  - set(parents))
    result = {}
    for task in tasks:
        depth, current, seen = 0, task.parent_id, set()
        while current is not None and current not in seen:
            seen.add(current)
            depth += 1
            current = parents.get(current)
        result[task.id] = (backup_ids.get(task.parent_id), depth)
    return result


@fail_closed
@context_manager.reader
def policy_names(context, policy_ids) -> dict[int, str]:
    ids = sorted({i for i in policy_ids if i is not None})
    if not ids:
        return {}
    return {policy_id: name for policy_id, name in context.session.execute(
        sa.select(Policy.id, Policy.name).where(Policy.id.in_(ids)))}


# ---------------------------------------------------------------- stats

@fail_closed
@context_manager.reader
def project_stats(context, project_id: str | None,
                  since: datetime.datetime) -> dict[str, dict]:
    """Per project: volumes, good backups, gigabytes and failures.

    Failures are the tasks that failed since ``since``.
    """
    stats: dict[str, dict] = {}

    def of(project):
        return stats.setdefault(project, {
            'volumes': 0, 'volumes_protected': 0, 'volumes_skipped': 0,
            'backups': 0, 'backup_gigabytes': 0, 'failures_last_day': 0})

    volumes = sa.select(Volume.project_id,
                        Volume.skip_reason.is_(None), sa.func.count()) \
        .where(Volume.gone_at.is_(None)) \
        .group_by(Volume.project_id, Volume.skip_reason.is_(None))
    tasks = sa.select(Task.project_id, sa.func.count(),
                      sa.func.coalesce(sa.func.sum(Task.size_gb), 0)) \
        .where(Task.status == states.AVAILABLE).group_by(Task.project_id)
    failed = sa.select(Task.project_id, sa.func.count()) \
        .where(Task.status == states.FAILED) \
        .where(Task.finished_at >= since).group_by(Task.project_id)
    if project_id is not None:
        volumes = volumes.where(Volume.project_id == project_id)
        tasks = tasks.where(Task.project_id == project_id)
        failed = failed.where(Task.project_id == project_id)
    for project, live, count in context.session.execute(volumes):
        of(project)['volumes'] += count
        key = 'volumes_protected' if live else 'volumes_skipped'
        of(project)[key] += count
    for project, count, size in context.session.execute(tasks):
        of(project).update(backups=count, backup_gigabytes=int(size))
    for project, count in context.session.execute(failed):
        of(project)['failures_last_day'] = count
    return stats


@fail_closed
@context_manager.reader
def rpo_inputs(context, project_id: str | None) -> list[tuple]:
    """What the RPO of every live volume that is not skipped depends on.

    ``(project, volume id, interval_s, created_at, newest good start)``.
    """
    newest = (sa.select(Task.volume_id,
                        sa.func.max(Task.started_at).label('newest'))
              .where(Task.status == states.AVAILABLE)
              .group_by(Task.volume_id).subquery())
    query = (sa.select(Volume.project_id, Volume.id, Volume.interval_s,
                       Volume.created_at, newest.c.newest)
             .outerjoin(newest, newest.c.volume_id == Volume.id)
             .where(Volume.gone_at.is_(None))
             .where(Volume.skip_reason.is_(None)))
    if project_id is not None:
        query = query.where(Volume.project_id == project_id)
    return list(context.session.execute(query))
