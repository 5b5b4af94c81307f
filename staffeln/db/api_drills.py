"""Database access for restore drills.

A drill moves ``requested`` → ``restoring`` → ``deleting`` → ``done``, each
step one conditional UPDATE from the state before it, so two conductors
never both move one drill. Its verdict (``outcome``) is written with the
move to ``deleting``: ``passed`` (the restored volume became available with
the backup's size), ``failed`` (it did not: an error, a wrong size, a
timeout, or Cinder refused the restore), or ``aborted`` (the conductor
stopped before Cinder had the request: nothing was learned about the
backup).
"""

import datetime
import uuid as uuidlib

import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db.api import retry_on_deadlock
from staffeln.db import models
from staffeln.db import states

Drill = models.RestoreDrill

REQUESTED = 'requested'
RESTORING = 'restoring'
DELETING = 'deleting'
DONE = 'done'
#: Drills whose restored volume may exist, or may yet be made.
OPEN = (REQUESTED, RESTORING, DELETING)
#: Drills that hold a place under ``[drills] max_in_flight``.
IN_FLIGHT = (REQUESTED, RESTORING)

PASSED = 'passed'
FAILED = 'failed'
ABORTED = 'aborted'
#: Outcomes that say something of the backup restored.
VERDICTS = (PASSED, FAILED)


@retry_on_deadlock
@context_manager.writer
def create_drill(context, values: dict,
                 now: datetime.datetime) -> models.RestoreDrill:
    drill = Drill(uuid=str(uuidlib.uuid4()), status=REQUESTED,
                  created_at=now, **values)
    context.session.add(drill)
    context.session.flush()
    return drill


@retry_on_deadlock
@context_manager.writer
def update_drill(context, drill_id: int, expected: str,
                 now: datetime.datetime, **values) -> bool:
    """Change a drill that is still ``expected``; whether it was."""
    values['updated_at'] = now
    return context.session.execute(
        sa.update(Drill).where(Drill.id == drill_id)
        .where(Drill.status == expected).values(**values)).rowcount == 1


@context_manager.reader
def get_drill(context, drill_id: int) -> models.RestoreDrill | None:
    return context.session.get(Drill, drill_id)


@context_manager.reader
def open_drills(context) -> list[models.RestoreDrill]:
    """Drills not done yet, oldest first."""
    return list(context.session.scalars(
        sa.select(Drill).where(Drill.status.in_(OPEN)).order_by(Drill.id)))


@context_manager.reader
def count_in_flight(context) -> int:
    return context.session.scalar(
        sa.select(sa.func.count()).select_from(Drill)
        .where(Drill.status.in_(IN_FLIGHT)))


@context_manager.reader
def due_volumes(context, now: datetime.datetime, period: datetime.timedelta,
                limit: int) -> list[str]:
    """Volumes to drill next: never drilled first, then the longest ago.

    A volume is due when it has a good backup, is still there, has no
    drill under way, and its last drill with a verdict started ``period``
    or longer ago.
    """
    task = models.BackupTask
    volume = models.Volume
    backed_up = (sa.select(task.volume_id)
                 .where(task.status == states.AVAILABLE)
                 .group_by(task.volume_id).subquery())
    last = (sa.select(Drill.volume_id,
                      sa.func.max(Drill.created_at).label('at'))
            .where(Drill.outcome.in_(VERDICTS))
            .group_by(Drill.volume_id).subquery())
    busy = sa.select(Drill.volume_id).where(Drill.status.in_(OPEN))
    query = (sa.select(volume.id)
             .join(backed_up, backed_up.c.volume_id == volume.id)
             .outerjoin(last, last.c.volume_id == volume.id)
             .where(volume.gone_at.is_(None))
             .where(volume.id.not_in(busy))
             .where(sa.or_(last.c.at.is_(None), last.c.at <= now - period))
             .order_by(sa.case((last.c.at.is_(None), 0), else_=1),
                       last.c.at, volume.id)
             .limit(limit))
    return list(context.session.scalars(query))


@context_manager.reader
def drills_checked(context, since: datetime.datetime,
                   until: datetime.datetime,
                   project_id: str | None = None
                   ) -> list[models.RestoreDrill]:
    """Drills whose verdict was recorded in ``[since, until)``."""
    query = (sa.select(Drill).where(Drill.checked_at >= since)
             .where(Drill.checked_at < until).order_by(Drill.id))
    if project_id is not None:
        query = query.where(Drill.project_id == project_id)
    return list(context.session.scalars(query))
