"""Claims and starts that hold across any number of conductors.

A conductor claims a batch of queued tasks in one statement; on MariaDB
and PostgreSQL the rows another conductor is claiming at that moment are
skipped (``FOR UPDATE SKIP LOCKED``) rather than waited for, and SQLite
has one writer at a time anyway. A claimed task starts only through
:func:`start_task`, which takes the ``starts`` lock row, counts the
backups in flight and moves the task to ``starting`` in one transaction:
the global and per-project caps hold whatever the number of conductors.
"""

import dataclasses
import datetime

import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db.api import retry_on_deadlock
from staffeln.db import models
from staffeln.db import states

Task = models.BackupTask

#: Why :func:`start_task` did not start a task.
GLOBAL_CAP = 'global cap'
PROJECT_CAP = 'project cap'
LOST = 'lost'


@dataclasses.dataclass(frozen=True)
class Caps:
    """Most backups in flight at once, in all and in one project."""

    total: int
    per_project: int


def _skip_locked(session) -> bool:
    return session.get_bind().dialect.name in ('mysql', 'postgresql')


@retry_on_deadlock
@context_manager.writer
def claim_tasks(context, task_ids: list[int], owner: str,
                now: datetime.datetime,
                expires_at: datetime.datetime) -> list[int]:
    """Claim those of ``task_ids`` that are queued and free; their ids.

    A task is free when no conductor claims it, its claim expired, or
    ``owner`` itself holds it (it claimed it before it was restarted).
    """
    if not task_ids:
        return []
    session = context.session
    free = (sa.select(Task.id).where(Task.id.in_(task_ids))
            .where(Task.status == states.QUEUED)
            .where(sa.or_(Task.claimed_by.is_(None),
                          Task.claimed_by == owner,
                          Task.claim_expires_at < now))
            .order_by(Task.id))
    if _skip_locked(session):
        free = free.with_for_update(skip_locked=True)
    ids = list(session.scalars(free))
    if ids:
        session.execute(sa.update(Task).where(Task.id.in_(ids)).values(
            claimed_by=owner, claim_expires_at=expires_at, updated_at=now))
    return ids


@retry_on_deadlock
@context_manager.writer
def start_task(context, task_id: int, owner: str, now: datetime.datetime,
               caps: Caps, **values) -> str | None:
    """Move a claimed queued task to ``starting`` within the caps.

    Returns None once it did, else :data:`GLOBAL_CAP`, :data:`PROJECT_CAP`
    or :data:`LOST` (the task is no longer queued and claimed by
    ``owner``).
    """
    session = context.session
    session.execute(sa.update(models.Lock)
                    .where(models.Lock.name == 'starts')
                    .values(taken_by=owner, taken_at=now))
    task = session.execute(
        sa.select(Task.project_id).where(Task.id == task_id)
        .where(Task.status == states.QUEUED)
        .where(Task.claimed_by == owner)).first()
    if task is None:
        return LOST
    in_flight = sa.select(sa.func.count()).select_from(Task).where(
        Task.status.in_(states.IN_FLIGHT))
    if session.scalar(in_flight) >= caps.total:
        return GLOBAL_CAP
    if session.scalar(in_flight.where(
            Task.project_id == task.project_id)) >= caps.per_project:
        return PROJECT_CAP
    session.execute(sa.update(Task).where(Task.id == task_id).values(
        status=states.STARTING, updated_at=now, **values))
    return None
