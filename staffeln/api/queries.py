"""The API's database reads.

Small reader functions on Staffeln's transaction context, written the way
:mod:`staffeln.db.api` is: each takes a request context first. The public
functions turn any failure to read into :class:`errors.DatabaseUnavailable`,
which the API answers with 503: a question that cannot be answered from the
database is never answered yes.
"""

from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from staffeln.api import errors
from staffeln.db import api as db_api
from staffeln.db import models

LOG = logging.getLogger(__name__)

#: What a failed read raises: oslo.db's wrapped errors, SQLAlchemy errors it
#: does not wrap, and socket or file errors from a driver.
_READ_ERRORS = (db_exc.DBError, sa_exc.SQLAlchemyError, OSError)


def _read(func, context, *args):
    """Run the reader ``func``; fail closed."""
    try:
        return func(context, *args)
    except _READ_ERRORS as exc:
        LOG.error('Cannot read the database (%s): %s',
                  type(exc).__name__, ' '.join(str(exc).split())[:500])
        raise errors.DatabaseUnavailable(
            'The database cannot be read; nothing can be decided.') from exc


# The delete hook's query is on a plain connection, without an ORM session:
# it is the hot path (a few hundred microseconds saved per check).
@db_api.context_manager.reader.connection
def _task_status(context, backup_id: str) -> str | None:
    return context.connection.scalar(
        sa.select(models.BackupTask.status)
        .where(models.BackupTask.backup_id == backup_id))


@db_api.context_manager.reader
def _ping(context) -> None:
    context.session.execute(sa.select(sa.func.count())
                            .select_from(models.BackupTask)
                            .where(models.BackupTask.id == 0))


@db_api.context_manager.reader
def _get_task(context, task_uuid: str) -> models.BackupTask | None:
    return context.session.scalar(
        sa.select(models.BackupTask)
        .where(models.BackupTask.uuid == task_uuid))


@db_api.context_manager.reader
def _list_tasks(context, project_id: str | None, statuses: tuple,
                volume_id: str | None, limit: int,
                marker: str | None) -> list[models.BackupTask]:
    query = (sa.select(models.BackupTask)
             .order_by(models.BackupTask.id.desc())
             .limit(limit))
    if marker is not None:
        marker_id = context.session.scalar(
            sa.select(models.BackupTask.id)
            .where(models.BackupTask.uuid == marker))
        if marker_id is None:
            raise errors.BadRequest(f'marker {marker} is not a task')
        query = query.where(models.BackupTask.id < marker_id)
    if project_id is not None:
        query = query.where(models.BackupTask.project_id == project_id)
    if statuses:
        query = query.where(models.BackupTask.status.in_(statuses))
    if volume_id is not None:
        query = query.where(models.BackupTask.volume_id == volume_id)
    return list(context.session.scalars(query))


def task_status(context, backup_id: str) -> str | None:
    """Status of the task that made ``backup_id``; None without one."""
    return _read(_task_status, context, backup_id)


def ping(context) -> None:
    """Read Staffeln's schema once; raise when the database cannot."""
    _read(_ping, context)


def get_task(context, task_uuid: str) -> models.BackupTask | None:
    return _read(_get_task, context, task_uuid)


def list_tasks(context, project_id: str | None, statuses: tuple = (),
               volume_id: str | None = None, limit: int = 100,
               marker: str | None = None) -> list[models.BackupTask]:
    """Tasks, newest first; ``marker`` is the last task of the last page."""
    return _read(_list_tasks, context, project_id, statuses, volume_id,
                 limit, marker)
