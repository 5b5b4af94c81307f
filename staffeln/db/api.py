"""Staffeln's database access: the transaction context, volumes and tasks.

The digests' reads and writes are in :mod:`.api_reports`, retention's in
:mod:`.api_retention`; they share the transaction context defined here.
Callers pass a context and get plain model objects back; they never see a
session. Writers retry on deadlock. A state change that must be exclusive is
one conditional UPDATE checked by its rowcount. Time always comes from the
caller (its injected clock), never from the database layer.

The readers the API answers with fail closed: any failure to read raises
:class:`~staffeln.common.exception.DatabaseUnavailable`, which the API
answers with 503, so a question that cannot be answered from the database
is never answered yes.
"""

import datetime
import functools
import uuid as uuidlib

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from staffeln.common import exception
from staffeln.db import fast_read
from staffeln.db import models
from staffeln.db import sqlite
from staffeln.db import states

LOG = logging.getLogger(__name__)

context_manager = enginefacade.transaction_context()
context_manager.append_on_engine_create(sqlite.use_wal)


def configure(conf) -> None:
    """Point the transaction context at ``[database]`` of ``conf``."""
    # Threads, not greenthreads: no sleep(0) each time a connection is
    # returned to the pool.
    context_manager.configure(thread_checkin=False,
                              **dict(conf.database.items()))


def get_engine():
    return context_manager.writer.get_engine()


retry_on_deadlock = oslo_db_api.wrap_db_retry(
    max_retries=5, retry_on_deadlock=True, retry_interval=0.1,
    inc_retry_interval=True)
#: For writers that read, then insert what is not there yet: when a racing
#: conductor (two leaders at once) inserted the same row first, the whole
#: transaction runs again and finds it.
retry_on_race = oslo_db_api.wrap_db_retry(
    max_retries=3, retry_interval=0.05, inc_retry_interval=False,
    exception_checker=lambda exc: isinstance(exc, db_exc.DBDuplicateEntry))


def take_lock(context, name: str, owner: str | None = None) -> None:
    """Take the lock row ``name`` until the transaction ends.

    Writers that take it wait for each other, whatever the number of
    conductors (SQLite has one writer at a time anyway).
    """
    context.session.execute(
        sa.update(models.Lock).where(models.Lock.name == name)
        .values(taken_by=owner, taken_at=sa.func.now()))


# ---------------------------------------------------------------- volumes

@retry_on_race
@retry_on_deadlock
@context_manager.writer
def save_volumes(context, records: list[dict],
                 seen_at: datetime.datetime) -> None:
    """Insert or update what discovery saw of each volume."""
    if not records:
        return
    ids = [r['id'] for r in records]
    existing = {}
    for chunk in _chunks(ids, 500):
        for vol in context.session.scalars(
                sa.select(models.Volume).where(models.Volume.id.in_(chunk))):
            existing[vol.id] = vol
    for record in records:
        vol = existing.get(record['id'])
        if vol is None:
            vol = models.Volume(id=record['id'], created_at=seen_at)
            context.session.add(vol)
        else:
            vol.updated_at = seen_at
        for key, value in record.items():
            setattr(vol, key, value)
        vol.last_seen_at = seen_at
        vol.gone_at = None


@retry_on_deadlock
@context_manager.writer
def mark_volumes_gone(context, seen_ids: set[str],
                      now: datetime.datetime) -> int:
    """Mark every known volume that discovery did not see as gone."""
    gone = [vid for vid in context.session.scalars(
        sa.select(models.Volume.id).where(models.Volume.gone_at.is_(None)))
        if vid not in seen_ids]
    for chunk in _chunks(gone, 500):
        context.session.execute(
            sa.update(models.Volume).where(models.Volume.id.in_(chunk))
            .values(gone_at=now))
    return len(gone)


@context_manager.reader
def first_seen(context, volume_ids: list[str]) -> dict[str, datetime.datetime]:
    """When discovery first saw each of the volumes it knows."""
    found = {}
    for chunk in _chunks(volume_ids, 500):
        found.update((volume_id, created) for volume_id, created in
                     context.session.execute(
                         sa.select(models.Volume.id, models.Volume.created_at)
                         .where(models.Volume.id.in_(chunk))))
    return found


@context_manager.reader
def volumes_of_server(context, server_id: str) -> list[models.Volume]:
    return list(context.session.scalars(
        sa.select(models.Volume).where(models.Volume.server_id == server_id)
        .order_by(models.Volume.id)))


@context_manager.reader
def get_volume(context, volume_id: str) -> models.Volume | None:
    return context.session.get(models.Volume, volume_id)


@context_manager.reader
def list_volumes(context, project_id: str | None = None,
                 include_gone: bool = False) -> list[models.Volume]:
    query = sa.select(models.Volume).order_by(models.Volume.project_id,
                                              models.Volume.id)
    if project_id:
        query = query.where(models.Volume.project_id == project_id)
    if not include_gone:
        query = query.where(models.Volume.gone_at.is_(None))
    return list(context.session.scalars(query))


# ---------------------------------------------------------------- tasks

def under_way_key(volume_id: str, policy_id: int | None) -> str:
    """The key of a task under way: one per volume and policy."""
    return f'{volume_id}:{policy_id or 0}'


def _new_task(values: dict) -> models.BackupTask:
    values = dict(values)
    values.setdefault('uuid', str(uuidlib.uuid4()))
    values.setdefault('status', states.QUEUED)
    if values['status'] in states.UNDER_WAY:
        values.setdefault('under_way_key', under_way_key(
            values['volume_id'], values.get('policy_id')))
    return models.BackupTask(**values)


@retry_on_deadlock
@context_manager.writer
def create_task(context, values: dict) -> models.BackupTask:
    task = _new_task(values)
    context.session.add(task)
    context.session.flush()
    return task


@retry_on_race
@retry_on_deadlock
@context_manager.writer
def create_tasks(context, values: list[dict]) -> list[models.BackupTask]:
    """Queue tasks; those whose volume and policy have one under way are not.

    The database enforces the rule (a unique key), so that conductors
    queueing at the same moment cannot both queue a backup; the one that
    loses looks again, leaves that task out and queues the others.
    """
    tasks, keys = [], set()
    for task in (_new_task(v) for v in values):
        if task.under_way_key is None or task.under_way_key not in keys:
            tasks.append(task)
            keys.add(task.under_way_key)
    keys.discard(None)
    taken = set()
    for chunk in _chunks(sorted(keys), 500):
        taken.update(context.session.scalars(
            sa.select(models.BackupTask.under_way_key)
            .where(models.BackupTask.under_way_key.in_(chunk))))
    tasks = [t for t in tasks if t.under_way_key not in taken]
    context.session.add_all(tasks)
    context.session.flush()
    return tasks


@context_manager.reader
def get_task(context, task_id: int) -> models.BackupTask | None:
    return context.session.get(models.BackupTask, task_id)


@context_manager.reader
def list_tasks(context, status: str | tuple | list | None = None,
               project_id: str | None = None,
               volume_id: str | None = None,
               limit: int | None = None) -> list[models.BackupTask]:
    query = sa.select(models.BackupTask).order_by(models.BackupTask.id)
    if isinstance(status, str):
        query = query.where(models.BackupTask.status == status)
    elif status:
        query = query.where(models.BackupTask.status.in_(list(status)))
    if project_id:
        query = query.where(models.BackupTask.project_id == project_id)
    if volume_id:
        query = query.where(models.BackupTask.volume_id == volume_id)
    if limit:
        query = query.limit(limit)
    return list(context.session.scalars(query))


@context_manager.reader
def list_startable(context, now: datetime.datetime) -> list[models.BackupTask]:
    """Queued tasks that may be tried now (not waiting for a retry)."""
    Task = models.BackupTask
    return list(context.session.scalars(
        sa.select(Task).where(Task.status == states.QUEUED)
        .where(sa.or_(Task.retry_after.is_(None), Task.retry_after <= now))
        .order_by(Task.id)))


@context_manager.reader
def count_tasks_by_status(context) -> dict[str, int]:
    rows = context.session.execute(
        sa.select(models.BackupTask.status, sa.func.count())
        .group_by(models.BackupTask.status))
    return {status: count for status, count in rows}


@context_manager.reader
def servers_done(context, server_ids: set) -> dict:
    """When the last good backup of each server with nothing under way ended.

    Those of ``server_ids`` that have a backup queued or being made, or
    no good backup, are left out.
    """
    Task = models.BackupTask
    done = {}
    for chunk in _chunks(sorted(server_ids), 500):
        busy = (sa.select(Task.server_id).where(Task.server_id.in_(chunk))
                .where(Task.status.in_(states.UNDER_WAY)))
        done.update(context.session.execute(
            sa.select(Task.server_id, sa.func.max(Task.finished_at))
            .where(Task.server_id.in_(chunk))
            .where(Task.server_id.not_in(busy))
            .where(Task.status == states.AVAILABLE)
            .group_by(Task.server_id)).all())
    return done


@context_manager.reader
def count_in_flight(context) -> dict[str, int]:
    """Backups in flight (starting or creating), per project."""
    rows = context.session.execute(
        sa.select(models.BackupTask.project_id, sa.func.count())
        .where(models.BackupTask.status.in_(states.IN_FLIGHT))
        .group_by(models.BackupTask.project_id))
    return {project: count for project, count in rows}


@context_manager.reader
def volume_histories(context,
                     volume_ids: list[str] | None = None) -> dict[str, list]:
    """Tasks that still matter for scheduling, per volume, oldest first.

    These are the good backups (available) and the tasks still in progress
    (queued, starting, creating); failed and deleted ones never count
    toward the depth of a chain or the interval.
    """
    query = (sa.select(models.BackupTask)
             .where(models.BackupTask.status.in_(
                 (states.AVAILABLE, states.QUEUED, states.STARTING,
                  states.CREATING)))
             .order_by(models.BackupTask.id))
    result: dict[str, list] = {}
    if volume_ids is None:
        for task in context.session.scalars(query):
            result.setdefault(task.volume_id, []).append(task)
        return result
    for chunk in _chunks(volume_ids, 500):
        for task in context.session.scalars(
                query.where(models.BackupTask.volume_id.in_(chunk))):
            result.setdefault(task.volume_id, []).append(task)
    return result


@context_manager.reader
def newest_good_task(context, volume_id: str):
    """The volume's newest available backup of any policy (or None).

    Cinder makes an incremental backup of the volume on top of it.
    """
    return context.session.scalars(
        sa.select(models.BackupTask)
        .where(models.BackupTask.volume_id == volume_id)
        .where(models.BackupTask.status == states.AVAILABLE)
        .order_by(models.BackupTask.started_at.desc(),
                  models.BackupTask.id.desc())
        .limit(1)).first()


@retry_on_deadlock
@context_manager.writer
def transition(context, task_id: int, expected: str, new: str, *,
               now: datetime.datetime, owner: str | None = None,
               **values) -> bool:
    """Move a task from ``expected`` to ``new`` if nobody else did.

    One conditional UPDATE: it only matches while the task is still in
    ``expected`` (and, with ``owner``, still claimed by that conductor).
    Returns whether this caller made the change.
    """
    states.check(expected, new)
    if new not in states.UNDER_WAY:
        values['under_way_key'] = None
    query = (sa.update(models.BackupTask)
             .where(models.BackupTask.id == task_id)
             .where(models.BackupTask.status == expected))
    if owner is not None:
        query = query.where(models.BackupTask.claimed_by == owner)
    values['status'] = new
    values['updated_at'] = now
    result = context.session.execute(query.values(**values))
    return result.rowcount == 1


@retry_on_deadlock
@context_manager.writer
def update_task(context, task_id: int, expected: str, *,
                now: datetime.datetime, owner: str | None = None,
                **values) -> bool:
    """Change fields of a task that is still in ``expected``."""
    query = (sa.update(models.BackupTask)
             .where(models.BackupTask.id == task_id)
             .where(models.BackupTask.status == expected))
    if owner is not None:
        query = query.where(models.BackupTask.claimed_by == owner)
    values['updated_at'] = now
    return context.session.execute(query.values(**values)).rowcount == 1


@retry_on_deadlock
@context_manager.writer
def claim_task(context, task_id: int, status: str, owner: str,
               now: datetime.datetime,
               expires_at: datetime.datetime) -> bool:
    """Claim a task in ``status`` unless a conductor holds it.

    A claim that has expired (its conductor died or hung) can be taken; a
    conductor releases its own claims when it starts.
    """
    result = context.session.execute(
        sa.update(models.BackupTask)
        .where(models.BackupTask.id == task_id)
        .where(models.BackupTask.status == status)
        .where(sa.or_(models.BackupTask.claimed_by.is_(None),
                      models.BackupTask.claim_expires_at < now))
        .values(claimed_by=owner, claim_expires_at=expires_at,
                updated_at=now))
    return result.rowcount == 1


@retry_on_deadlock
@context_manager.writer
def release_task(context, task_id: int, owner: str) -> bool:
    result = context.session.execute(
        sa.update(models.BackupTask)
        .where(models.BackupTask.id == task_id)
        .where(models.BackupTask.claimed_by == owner)
        .values(claimed_by=None, claim_expires_at=None))
    return result.rowcount == 1


# ---------------------------------------------------------------- API reads

#: What a failed read or write raises: oslo.db's wrapped errors, SQLAlchemy
#: errors it does not wrap, and socket or file errors from a driver.
DATABASE_ERRORS = (db_exc.DBError, sa_exc.SQLAlchemyError, OSError)


def fail_closed(func):
    """Turn any failure to read into DatabaseUnavailable."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            LOG.error('Cannot read the database (%s): %s',
                      type(exc).__name__, ' '.join(str(exc).split())[:500])
            raise exception.DatabaseUnavailable(
                'The database cannot be read; nothing can be decided.'
            ) from exc
    return wrapper


# The delete hook's query runs on a pooled driver connection, without a
# session or a Core transaction: it is the hot path (about 0.3 ms of CPU
# saved per check).
_TASK_STATUS = fast_read.Statement(
    sa.select(models.BackupTask.status)
    .where(models.BackupTask.backup_id == sa.bindparam('backup_id')))


@fail_closed
def task_status(context, backup_id: str) -> str | None:
    """Status of the task that made ``backup_id``; None without one."""
    return _TASK_STATUS.scalar(context_manager.reader.get_engine(),
                               backup_id=backup_id)


@fail_closed
@context_manager.reader
def ping(context) -> None:
    """Read Staffeln's schema once; raise when the database cannot."""
    context.session.execute(sa.select(sa.func.count())
                            .select_from(models.BackupTask)
                            .where(models.BackupTask.id == 0))


@fail_closed
@context_manager.reader
def get_task_by_uuid(context, task_uuid: str) -> models.BackupTask | None:
    return context.session.scalar(
        sa.select(models.BackupTask)
        .where(models.BackupTask.uuid == task_uuid))


class UnknownMarker(exception.StaffelnException):
    """A page marker that names nothing."""


@fail_closed
@context_manager.reader
def task_page(context, project_id: str | None, statuses: tuple = (),
              volume_id: str | None = None, limit: int = 100,
              marker: str | None = None) -> list[models.BackupTask]:
    """Tasks, newest first; ``marker`` is the last task of the last page.

    :raises UnknownMarker: no task has the uuid ``marker``.
    """
    query = (sa.select(models.BackupTask)
             .order_by(models.BackupTask.id.desc())
             .limit(limit))
    if marker is not None:
        marker_id = context.session.scalar(
            sa.select(models.BackupTask.id)
            .where(models.BackupTask.uuid == marker))
        if marker_id is None:
            raise UnknownMarker(f'marker {marker} is not a task')
        query = query.where(models.BackupTask.id < marker_id)
    if project_id is not None:
        query = query.where(models.BackupTask.project_id == project_id)
    if statuses:
        query = query.where(models.BackupTask.status.in_(statuses))
    if volume_id is not None:
        query = query.where(models.BackupTask.volume_id == volume_id)
    return list(context.session.scalars(query))


def _chunks(items, size):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]
