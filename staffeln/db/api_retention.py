"""The database reads and writes of retention.

Planning streams the tasks of every volume, one volume at a time, as plain
rows of the columns it needs: planning a million backups never holds a
million ORM objects. State changes of tasks go through
:func:`staffeln.db.api.transition` like everywhere else.
"""

from collections.abc import Iterator
import itertools

import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db.api import retry_on_deadlock
from staffeln.db import models
from staffeln.db import states

Task = models.BackupTask
Volume = models.Volume

#: When the backup was made: the time retention ages it by.
TIME = sa.type_coerce(
    sa.func.coalesce(Task.started_at, Task.finished_at, Task.created_at),
    models.UTCDateTime()).label('time')

#: The columns of a task that a retention run plans and deletes with.
PLAN_COLUMNS = (
    Task.id, Task.uuid, Task.project_id, Task.volume_id, Task.status,
    Task.parent_id, Task.backup_id, Task.retry_after, Task.reason,
    Task.policy_id, TIME,
)

#: The columns of a task that the preview shows.
TASK_COLUMNS = PLAN_COLUMNS + (
    Task.volume_name, Task.server_id, Task.server_name, Task.backup_type,
    Task.backup_name, Task.size_gb,
)

VOLUME_COLUMNS = (
    Volume.id, Volume.project_id, Volume.name, Volume.server_id,
    Volume.server_name, Volume.retention, Volume.problems,
    Volume.gone_at,
)

#: Tasks that retention looks at: all but those that ended.
LIVE = tuple(s for s in states.ALL if s not in states.FINAL)

#: Rows fetched from the database at a time while streaming.
BATCH = 5000


@context_manager.reader
def volume_settings(context, project_id: str | None = None) -> dict:
    """Every known volume (gone ones too), as rows keyed by volume id."""
    query = sa.select(*VOLUME_COLUMNS)
    if project_id:
        query = query.where(Volume.project_id == project_id)
    return {row.id: row for row in context.session.execute(query)}


def task_groups(context, project_id: str | None = None,
                columns: tuple = PLAN_COLUMNS,
                batch: int = BATCH) -> Iterator[tuple[str, list]]:
    """``(volume_id, rows)`` for every volume with live tasks.

    Tasks that ended (failed, deleted) are left out. Each row has the
    ``columns`` asked for (``PLAN_COLUMNS`` or ``TASK_COLUMNS``), ``time``
    among them. The rows are streamed in one read transaction: consume the
    groups before writing anything.
    """
    query = (sa.select(*columns)
             .where(Task.status.in_(LIVE))
             .order_by(Task.volume_id))
    if project_id:
        query = query.where(Task.project_id == project_id)
    with context_manager.reader.using(context) as session:
        rows = session.execute(query.execution_options(yield_per=batch))
        for volume_id, group in itertools.groupby(
                rows, key=lambda r: r.volume_id):
            yield volume_id, list(group)


@context_manager.reader
def gone_volumes_with_backups(context) -> list[str]:
    """Volumes marked gone that still have good backups."""
    query = (sa.select(Volume.id).distinct()
             .join(Task, Task.volume_id == Volume.id)
             .where(Volume.gone_at.is_not(None))
             .where(Task.status == states.AVAILABLE)
             .order_by(Volume.id))
    return list(context.session.scalars(query))


@retry_on_deadlock
@context_manager.writer
def set_problems(context, errors: dict[str, str | None]) -> None:
    """Store each volume's override problems (None: no problem)."""
    for volume_id in sorted(errors):
        context.session.execute(
            sa.update(Volume).where(Volume.id == volume_id)
            .values(problems=errors[volume_id]))
