"""What the REST API reads: pages of volumes, and statistics.

A page is one query for its rows (keyset pagination: the marker is the last
row of the previous page, never an offset) and a constant number of queries
for what each row shows (its policies, its backups), however many rows the
database holds, in one transaction. Pages are read through a Core
connection (no ORM session, no ORM objects) as named tuples of only the
columns an answer shows: a page of 100 volumes is thousands of values, and
each one costs CPU to read. The statements are built once per shape, so a
page's are neither built nor compiled again. Every reader fails closed
(:class:`~staffeln.common.exception.DatabaseUnavailable`). Backups are read
by :mod:`.api_backup_views`.
"""

import dataclasses
import datetime
import functools
import typing

import sqlalchemy as sa

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
#: The tables' columns: statements built of them are Core statements,
#: which skip the ORM's per-statement work.
V = Volume.__table__.c
T = Task.__table__.c
_VP = VolumePolicy.__table__
_POLICY = Policy.__table__
_DRILL = Drill.__table__

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


#: Sort keys whose NULLs sort as empty strings.
_NULL_AS_EMPTY = ('name', 'volume_name', 'server_id', 'server_name')


def _sort_column(columns, key: str):
    column = getattr(columns, key)
    if key in _NULL_AS_EMPTY:
        return sa.func.coalesce(column, '')
    return column


def order(columns, sort_key: str, sort_dir: str, unique) -> tuple:
    """The ORDER BY of a page: its sort key, then ``unique``."""
    column = _sort_column(columns, sort_key)
    if sort_dir == 'desc':
        return column.desc(), unique.desc()
    return column, unique


def keyset(query, columns, sort_key: str, sort_dir: str,
           after_marker: bool, unique):
    """Order ``query`` and limit it to ``:limit`` rows.

    ``columns`` are a table's. With ``after_marker``, the page starts after
    the row whose sort key is ``:marker_value`` and whose ``unique`` column
    is ``:marker_key`` (see :func:`page_params`).
    """
    query = query.order_by(*order(columns, sort_key, sort_dir, unique))
    query = query.limit(sa.bindparam('limit'))
    if not after_marker:
        return query
    column = _sort_column(columns, sort_key)
    value, key = sa.bindparam('marker_value'), sa.bindparam('marker_key')
    if sort_dir == 'desc':
        return query.where(sa.or_(column < value,
                                  sa.and_(column == value, unique < key)))
    return query.where(sa.or_(column > value,
                              sa.and_(column == value, unique > key)))


def read_marker(connection, statement, page: Page, what: str):
    """The row of ``page.marker`` (None without one), read by ``statement``.

    :raises UnknownMarker: no row has it.
    """
    if page.marker is None:
        return None
    row = connection.execute(statement, {'marker': page.marker}).first()
    if row is None:
        raise UnknownMarker(f'marker {page.marker} is not {what}')
    return row


def page_params(page: Page, marker_row, unique: str) -> dict:
    """The parameters of a statement :func:`keyset` built."""
    if marker_row is None:
        return {'limit': page.limit}
    value = getattr(marker_row, page.sort_key)
    if page.sort_key in _NULL_AS_EMPTY:
        value = value or ''
    return {'limit': page.limit, 'marker_value': value,
            'marker_key': getattr(marker_row, unique)}


def columns_of(table, names) -> tuple:
    """The columns of ``table`` named by ``names`` (a row type's fields)."""
    return tuple(table.c[name] for name in names)


# ---------------------------------------------------------------- volumes

def _quota_held():
    return sa.exists().where(T.volume_id == V.id,
                             T.status == states.QUEUED,
                             T.reason.like('quota exceeded%'))


def _failing():
    later = Task.__table__.alias('later')
    good_after = sa.exists().where(later.c.volume_id == T.volume_id,
                                   later.c.status.in_(ONCE_GOOD),
                                   later.c.id > T.id)
    return sa.exists().where(T.volume_id == V.id,
                             T.status == states.FAILED, ~good_after)


def _state_filter(state: str):
    live = sa.and_(V.gone_at.is_(None), V.skip_reason.is_(None))
    return {
        'gone': V.gone_at.is_not(None),
        'skipped': sa.and_(V.gone_at.is_(None), V.skip_reason.is_not(None)),
        'over_quota': sa.and_(live, _quota_held()),
        'failing': sa.and_(live, ~_quota_held(), _failing()),
        'protected': sa.and_(live, ~_quota_held(), ~_failing()),
    }[state]


def _protected_by():
    """The volume is protected by the policy named ``:policy``."""
    return sa.exists().where(_VP.c.volume_id == V.id,
                             _VP.c.policy_id == _POLICY.c.id,
                             _POLICY.c.name == sa.bindparam('policy'))


class VolumeRow(typing.NamedTuple):
    """What a volume's view shows of its row.

    Not its retention, which would be decoded from JSON for nothing.
    """

    id: str
    project_id: str
    name: str | None
    size_gb: int
    status: str | None
    server_id: str | None
    server_name: str | None
    skip_reason: str | None
    interval_s: int
    problems: str | None
    created_at: datetime.datetime
    last_seen_at: datetime.datetime | None
    gone_at: datetime.datetime | None


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


class LastGood(typing.NamedTuple):
    """What a volume's view shows of its newest good backup's task."""

    uuid: str
    backup_id: str | None
    backup_type: str
    policy_id: int | None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


class DrillRow(typing.NamedTuple):
    """What a volume's view shows of its newest restore drill."""

    uuid: str
    backup_id: str
    size_gb: int
    status: str
    outcome: str | None
    reason: str | None
    rto_s: float | None
    created_at: datetime.datetime
    checked_at: datetime.datetime | None


@dataclasses.dataclass(slots=True)
class VolumeFacts:
    """What the volume rows alone do not say."""

    #: The newest good backup, or None.
    last_good: LastGood | None = None
    #: Whether the newest finished task failed after the last good one.
    failing: bool = False
    #: Why a queued task waits for quota, or None.
    quota: str | None = None
    #: ``[(policy name, next due)]``.
    policies: list = dataclasses.field(default_factory=list)
    #: The newest restore drill, or None.
    last_drill: DrillRow | None = None


def _newest(condition):
    return sa.func.max(sa.case((condition, T.id)))


def _with_facts(volumes, sort: tuple[str, str] | None = None):
    """``volumes`` (a SELECT of VolumeRow's columns) and their facts.

    One row per volume and policy (one for a volume without a policy), in
    the order of ``sort`` (``(sort_key, sort_dir)``, as the volumes were
    ordered), then by policy name; see :func:`_decode`. The volumes'
    newest task ids of each kind (grouped) are joined to the newest good
    task and the newest task held for quota, and the newest drill of each
    volume to its row.
    """
    page = volumes.cte('page')
    ids = sa.select(page.c.id)
    newest = (
        sa.select(T.volume_id,
                  _newest(T.status == states.AVAILABLE).label('good'),
                  _newest(T.status.in_(ONCE_GOOD)).label('once_good'),
                  _newest(T.status == states.FAILED).label('failed'),
                  _newest(sa.and_(T.status == states.QUEUED,
                                  T.reason.like('quota exceeded%')))
                  .label('held'))
        .where(T.volume_id.in_(ids)).group_by(T.volume_id)
        .subquery('newest'))
    drills = (sa.select(_DRILL.c.volume_id,
                        sa.func.max(_DRILL.c.id).label('id'))
              .where(_DRILL.c.volume_id.in_(ids))
              .group_by(_DRILL.c.volume_id).subquery('drills'))
    good, held = Task.__table__.alias('good'), Task.__table__.alias('held')
    drill = _DRILL.alias('drill')
    policies = (sa.select(_VP.c.volume_id, _POLICY.c.name, _VP.c.next_due_at)
                .join(_POLICY, _POLICY.c.id == _VP.c.policy_id)
                .where(_VP.c.volume_id.in_(ids)).subquery('policies'))
    ordering = order(page.c, *sort, page.c.id) if sort else ()
    return (
        sa.select(*page.c, newest.c.once_good, newest.c.failed,
                  held.c.reason, good.c.id,
                  *columns_of(good, LastGood._fields), drill.c.id,
                  *columns_of(drill, DrillRow._fields),
                  policies.c.name, policies.c.next_due_at)
        .select_from(page)
        .outerjoin(newest, newest.c.volume_id == page.c.id)
        .outerjoin(good, good.c.id == newest.c.good)
        .outerjoin(held, held.c.id == newest.c.held)
        .outerjoin(drills, drills.c.volume_id == page.c.id)
        .outerjoin(drill, drill.c.id == drills.c.id)
        .outerjoin(policies, policies.c.volume_id == page.c.id)
        .order_by(*ordering, policies.c.name))


# Where each part of a row of _with_facts() starts: the volume's row; its
# newest once good and failed task ids, the reason its newest held task
# waits, its newest good task's id; that task's LastGood; its newest
# drill's id and DrillRow; a policy's name and next due time.
_FACTS = len(VolumeRow._fields)
_GOOD = _FACTS + 4
_DRILL_ID = _GOOD + len(LastGood._fields)
_POLICY_NAME = _DRILL_ID + 1 + len(DrillRow._fields)


def _decode(rows) -> tuple[list, dict]:
    """``([VolumeRow], {volume id: VolumeFacts})`` of _with_facts() rows."""
    volumes, facts = [], {}
    for row in rows:
        fact = facts.get(row[0])
        if fact is None:
            volumes.append(VolumeRow(*row[:_FACTS]))
            once_good, failed, held, good_id = row[_FACTS:_GOOD]
            fact = facts[row[0]] = VolumeFacts(
                failing=failed is not None and failed > (once_good or 0),
                quota=held)
            if good_id is not None:
                fact.last_good = LastGood(*row[_GOOD:_DRILL_ID])
            if row[_DRILL_ID] is not None:
                fact.last_drill = DrillRow(*row[_DRILL_ID + 1:_POLICY_NAME])
        if row[_POLICY_NAME] is not None:
            fact.policies.append(row[_POLICY_NAME:])
    return volumes, facts


# Statements are built once per shape (and so compiled once): a page's
# differ from the last one's in their parameters only.
@functools.cache
def _volume_statement(sort_key: str, sort_dir: str, after_marker: bool,
                      of_project: bool, of_server: bool, state: str | None,
                      of_policy: bool):
    query = sa.select(*columns_of(Volume.__table__, VolumeRow._fields))
    if of_project:
        query = query.where(V.project_id == sa.bindparam('project_id'))
    if of_server:
        query = query.where(V.server_id == sa.bindparam('server_id'))
    if state is not None:
        query = query.where(_state_filter(state))
    if of_policy:
        query = query.where(_protected_by())
    return _with_facts(
        keyset(query, V, sort_key, sort_dir, after_marker, V.id),
        (sort_key, sort_dir))


@functools.cache
def _volume_marker(sort_key: str):
    key = () if sort_key == 'id' else (getattr(V, sort_key),)
    return sa.select(V.id, *key).where(V.id == sa.bindparam('marker'))


@fail_closed
@context_manager.reader.connection
def volume_listing(context, page: Page, project_id: str | None = None,
                   server_id: str | None = None,
                   state: str | None = None,
                   policy: str | None = None) -> tuple[list, dict]:
    """One page of volumes and their facts, in one query.

    ``([VolumeRow], {volume id: VolumeFacts})``. The marker's row is read
    first, in the same transaction.

    :raises UnknownMarker: no volume has the id ``page.marker``.
    """
    connection = context.connection
    marker = read_marker(connection, _volume_marker(page.sort_key), page,
                         'a volume')
    query = _volume_statement(page.sort_key, page.sort_dir,
                              marker is not None, project_id is not None,
                              server_id is not None, state,
                              policy is not None)
    params = page_params(page, marker, 'id')
    params.update(project_id=project_id, server_id=server_id, policy=policy)
    return _decode(connection.execute(query, params).all())


_ONE_VOLUME = _with_facts(
    sa.select(*columns_of(Volume.__table__, VolumeRow._fields))
    .where(V.id == sa.bindparam('volume_id')))


@fail_closed
@context_manager.reader.connection
def volume_view(context, volume_id: str) -> tuple | None:
    """``(VolumeRow, VolumeFacts)`` of one volume, or None."""
    volumes, facts = _decode(context.connection.execute(
        _ONE_VOLUME, {'volume_id': volume_id}).all())
    if not volumes:
        return None
    return volumes[0], facts[volume_id]


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
