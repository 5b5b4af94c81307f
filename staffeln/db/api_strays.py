"""Database access for stray backups (see :class:`models.StrayBackup`).

Same rules as :mod:`staffeln.db.api`: callers pass a context and the time;
a change that must be exclusive is one conditional UPDATE checked by its
rowcount.
"""

import datetime

from oslo_db import exception as db_exc
import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db.api import fail_closed
from staffeln.db.api import retry_on_deadlock
from staffeln.db import models

Stray = models.StrayBackup

FOUND = 'found'
DELETING = 'deleting'
DELETED = 'deleted'
#: Strays Staffeln has let go of: the delete hook allows their delete.
RELEASED = (DELETING, DELETED)


@retry_on_deadlock
@context_manager.writer
def _insert(context, values: dict) -> None:
    context.session.add(Stray(**values))
    context.session.flush()


def add_stray(context, backup_id: str, task_uuid: str, project_id: str,
              volume_id: str | None, reason: str,
              now: datetime.datetime) -> bool:
    """Record a stray; False when it was recorded already."""
    try:
        _insert(context, dict(
            backup_id=backup_id, task_uuid=task_uuid, project_id=project_id,
            volume_id=volume_id, status=FOUND, reason=reason[:2000],
            created_at=now))
    except db_exc.DBDuplicateEntry:
        return False
    return True


@context_manager.reader
def list_strays(context, statuses: tuple = (FOUND, DELETING)) -> list:
    return list(context.session.scalars(
        sa.select(Stray).where(Stray.status.in_(statuses))
        .order_by(Stray.created_at, Stray.backup_id)))


@context_manager.reader
def known_backup_ids(context) -> set[str]:
    """Every backup id a task or a stray stands for."""
    ids = set(context.session.scalars(
        sa.select(models.BackupTask.backup_id)
        .where(models.BackupTask.backup_id.is_not(None))))
    ids.update(context.session.scalars(sa.select(Stray.backup_id)))
    return ids


@retry_on_deadlock
@context_manager.writer
def update_stray(context, backup_id: str, expected: str, *,
                 now: datetime.datetime, **values) -> bool:
    """Change a stray that is still ``expected``; whether this did."""
    values['updated_at'] = now
    return context.session.execute(
        sa.update(Stray).where(Stray.backup_id == backup_id)
        .where(Stray.status == expected).values(**values)).rowcount == 1


@retry_on_deadlock
@context_manager.writer
def forget_stray(context, backup_id: str) -> None:
    """The stray became its task's backup: it is no stray."""
    context.session.execute(
        sa.delete(Stray).where(Stray.backup_id == backup_id)
        .where(Stray.status == FOUND))


@fail_closed
@context_manager.reader.connection
def stray_status(context, backup_id: str) -> str | None:
    """The status of the stray ``backup_id``; None when it is none."""
    return context.connection.scalar(
        sa.select(Stray.status).where(Stray.backup_id == backup_id))
