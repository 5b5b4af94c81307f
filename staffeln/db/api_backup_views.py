"""What the REST API reads of backups: pages of them, and their chains.

A page is one query for its rows (keyset pagination, as
:mod:`.api_views` cuts pages of volumes), with the name of each backup's
policy, and one query per level of the deepest incremental chain on it,
in one transaction; rows are named tuples of only the columns an answer
shows. Every reader fails closed
(:class:`~staffeln.common.exception.DatabaseUnavailable`).
"""

import dataclasses
import datetime
import functools
import typing

import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db.api import fail_closed
from staffeln.db import api_views
from staffeln.db import models

Task = models.BackupTask
Policy = models.ProtectionPolicy
T = Task.__table__.c
_POLICY = Policy.__table__.c


@dataclasses.dataclass(frozen=True)
class BackupFilters:
    project_id: str | None = None
    volume_id: str | None = None
    server_id: str | None = None
    backup_type: str | None = None
    statuses: tuple = ()
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


class BackupRow(typing.NamedTuple):
    """What a backup's view shows of its task, and its policy's name."""

    id: int
    uuid: str
    project_id: str
    volume_id: str
    volume_name: str | None
    server_id: str | None
    server_name: str | None
    backup_type: str
    status: str
    backup_id: str
    backup_name: str | None
    parent_id: int | None
    size_gb: int | None
    reason: str | None
    policy_id: int | None
    on_demand: bool
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    deleted_at: datetime.datetime | None
    policy_name: str | None


_COLUMNS = api_views.columns_of(Task.__table__, BackupRow._fields[:-1]) + (
    _POLICY.name.label('policy_name'),)
#: The filters compared for equality, by name.
_EQUAL = (('project_id', T.project_id), ('volume_id', T.volume_id),
          ('server_id', T.server_id), ('backup_type', T.backup_type))


@functools.cache
def _statement(sort_key: str, sort_dir: str, after_marker: bool,
               filters: frozenset):
    """A page of backups; ``filters`` names the filters that are given."""
    query = (sa.select(*_COLUMNS)
             .outerjoin(Policy.__table__, _POLICY.id == T.policy_id)
             .where(T.backup_id.is_not(None)))
    for name, column in _EQUAL:
        if name in filters:
            query = query.where(column == sa.bindparam(name))
    if 'statuses' in filters:
        query = query.where(T.status.in_(
            sa.bindparam('statuses', expanding=True)))
    if 'since' in filters:
        query = query.where(T.created_at >= sa.bindparam('since'))
    if 'until' in filters:
        query = query.where(T.created_at < sa.bindparam('until'))
    return api_views.keyset(query, T, sort_key, sort_dir, after_marker,
                            T.id)


@functools.cache
def _marker(sort_key: str):
    return sa.select(T.id, getattr(T, sort_key)).where(
        T.backup_id == sa.bindparam('marker'))


@fail_closed
@context_manager.reader.connection
def backup_listing(context, page: api_views.Page,
                   filters: BackupFilters) -> tuple[list, dict]:
    """The tasks that made a Cinder backup, one page, and their chains.

    ``([BackupRow], {task id: (parent backup id, depth)})``, read in one
    transaction. The marker is a backup id.

    :raises UnknownMarker: no task made the backup ``page.marker``.
    """
    connection = context.connection
    marker = api_views.read_marker(connection, _marker(page.sort_key),
                                   page, 'a backup')
    given = {name: value
             for name, value in dataclasses.asdict(filters).items()
             if value not in (None, ())}
    query = _statement(page.sort_key, page.sort_dir,
                       marker is not None, frozenset(given))
    params = api_views.page_params(page, marker, 'id')
    params.update(given)
    tasks = [BackupRow(*row) for row in connection.execute(query, params)]
    return tasks, _chains(connection, tasks)


@fail_closed
@context_manager.reader
def get_backup_task(context, backup_id: str) -> models.BackupTask | None:
    return context.session.scalar(
        sa.select(Task).where(Task.backup_id == backup_id))


@fail_closed
@context_manager.reader.connection
def chains(context, tasks: list) -> dict[int, tuple]:
    """``{task id: (parent backup id, depth)}``; a full backup has depth 0.

    One query per level of the deepest chain on the page.
    """
    return _chains(context.connection, tasks)


def _chains(connection, tasks: list) -> dict[int, tuple]:
    parents = {task.id: task.parent_id for task in tasks}
    backup_ids: dict[int, str | None] = {t.id: t.backup_id for t in tasks}
    wanted = {p for p in parents.values() if p is not None} - set(parents)
    while wanted:
        rows = connection.execute(
            sa.select(T.id, T.parent_id, T.backup_id)
            .where(T.id.in_(sorted(wanted))))
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
