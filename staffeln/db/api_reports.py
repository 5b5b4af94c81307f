"""Database access for the email digests.

Same rules as :mod:`staffeln.db.api`: callers pass a context and get plain
model objects back; a change that must be exclusive is one conditional
UPDATE checked by its rowcount.
"""

import datetime

from oslo_db import exception as db_exc
import sqlalchemy as sa

from staffeln.common import clock
from staffeln.db.api import context_manager
from staffeln.db.api import retry_on_deadlock
from staffeln.db import models
from staffeln.db import states

Report = models.ProjectReport
Task = models.BackupTask
Volume = models.Volume

#: Tasks whose backup became available (and may since have been deleted).
SUCCEEDED = (states.AVAILABLE, states.DELETING, states.DELETED)
#: Tasks that failed (cleanup: the failed backup is still being deleted).
FAILED = (states.FAILED, states.CLEANUP)
#: Tasks whose backup exists and is good.
GOOD = (states.AVAILABLE, states.DELETING)


# ---------------------------------------------------------------- state

@context_manager.reader
def list_reports(context) -> dict[str, Report]:
    """The digest state of every project that has one."""
    return {row.project_id: row
            for row in context.session.scalars(sa.select(Report))}


@context_manager.reader
def get_report(context, project_id: str) -> Report | None:
    return context.session.get(Report, project_id)


@context_manager.reader
def report_candidates(context) -> set[str]:
    """Projects that may have something to report.

    Those with tasks, with volumes Staffeln still sees, or with a digest
    state already.
    """
    projects = set(context.session.scalars(
        sa.select(Task.project_id).distinct()))
    projects.update(context.session.scalars(
        sa.select(Volume.project_id).where(Volume.gone_at.is_(None))
        .distinct()))
    projects.update(context.session.scalars(sa.select(Report.project_id)))
    return projects


@context_manager.reader
def first_activity(context,
                   project_id: str) -> datetime.datetime | None:
    """When the project's first backup finished, failed or was deleted."""
    finished = context.session.scalar(
        sa.select(sa.func.min(Task.finished_at))
        .where(Task.project_id == project_id))
    deleted = context.session.scalar(
        sa.select(sa.func.min(Task.deleted_at))
        .where(Task.project_id == project_id))
    times = [clock.as_utc(t) for t in (finished, deleted) if t is not None]
    return min(times) if times else None


@retry_on_deadlock
@context_manager.writer
def _insert_report(context, project_id: str, period_end: datetime.datetime,
                   now: datetime.datetime) -> None:
    context.session.add(Report(project_id=project_id, period_end=period_end,
                               failures=0, created_at=now))
    context.session.flush()


def ensure_report(context, project_id: str, period_end: datetime.datetime,
                  now: datetime.datetime) -> Report:
    """The project's digest state, created starting at ``period_end``.

    When two conductors create it at once, the first one wins.
    """
    try:
        _insert_report(context, project_id, period_end, now)
    except db_exc.DBDuplicateEntry:
        pass
    return get_report(context, project_id)


@retry_on_deadlock
@context_manager.writer
def claim_report(context, project_id: str, period_end: datetime.datetime,
                 owner: str, now: datetime.datetime,
                 expires_at: datetime.datetime) -> bool:
    """Take the project's next digest unless another conductor holds it.

    It only matches while the reported period still ends at ``period_end``,
    so a digest another conductor sent in the meantime is not sent again.
    """
    result = context.session.execute(
        sa.update(Report)
        .where(Report.project_id == project_id)
        .where(Report.period_end == period_end)
        .where(sa.or_(Report.claimed_by.is_(None),
                      Report.claimed_by == owner,
                      Report.claim_expires_at < now))
        .values(claimed_by=owner, claim_expires_at=expires_at,
                updated_at=now))
    return result.rowcount == 1


@retry_on_deadlock
@context_manager.writer
def complete_report(context, project_id: str, period_end: datetime.datetime,
                    new_period_end: datetime.datetime, owner: str,
                    now: datetime.datetime, sent: bool) -> bool:
    """Record that ``[period_end, new_period_end)`` is reported.

    ``sent`` says whether a digest went out (or to the log); without it the
    period simply had nothing to report.
    """
    values = dict(period_end=new_period_end, claimed_by=None,
                  claim_expires_at=None, updated_at=now)
    if sent:
        values.update(last_sent_at=now, last_attempt_at=now, failures=0,
                      last_error=None)
    result = context.session.execute(
        sa.update(Report)
        .where(Report.project_id == project_id)
        .where(Report.period_end == period_end)
        .where(Report.claimed_by == owner)
        .values(**values))
    return result.rowcount == 1


@retry_on_deadlock
@context_manager.writer
def fail_report(context, project_id: str, owner: str,
                now: datetime.datetime, error: str) -> bool:
    """Record a failed send; the period stays, to be retried next run."""
    result = context.session.execute(
        sa.update(Report)
        .where(Report.project_id == project_id)
        .where(Report.claimed_by == owner)
        .values(failures=Report.failures + 1, last_error=error[:65000],
                last_attempt_at=now, claimed_by=None, claim_expires_at=None,
                updated_at=now))
    return result.rowcount == 1


# ---------------------------------------------------------------- content

@context_manager.reader
def succeeded_tasks(context, project_id: str, since: datetime.datetime,
                    until: datetime.datetime) -> list[models.BackupTask]:
    """Backups that became available in ``[since, until)``."""
    return _tasks(context, project_id, SUCCEEDED, Task.finished_at,
                  since, until)


@context_manager.reader
def failed_tasks(context, project_id: str, since: datetime.datetime,
                 until: datetime.datetime) -> list[models.BackupTask]:
    """Tasks that failed in ``[since, until)``."""
    return _tasks(context, project_id, FAILED, Task.finished_at,
                  since, until)


@context_manager.reader
def deleted_tasks(context, project_id: str, since: datetime.datetime,
                  until: datetime.datetime) -> list[models.BackupTask]:
    """Backups that retention deleted in ``[since, until)``."""
    return _tasks(context, project_id, (states.DELETED,), Task.deleted_at,
                  since, until)


def _tasks(context, project_id, statuses, column, since, until):
    return list(context.session.scalars(
        sa.select(Task)
        .where(Task.project_id == project_id)
        .where(Task.status.in_(statuses))
        .where(column >= since)
        .where(column < until)
        .order_by(column, Task.id)))


@context_manager.reader
def project_volumes(context, project_id: str) -> list[models.Volume]:
    """The volumes of the project that Staffeln still sees."""
    return list(context.session.scalars(
        sa.select(Volume)
        .where(Volume.project_id == project_id)
        .where(Volume.gone_at.is_(None))
        .order_by(Volume.server_name, Volume.name, Volume.id)))


@context_manager.reader
def last_good_backups(context, project_id: str,
                      until: datetime.datetime
                      ) -> dict[str, datetime.datetime]:
    """When each volume's newest good backup (as of ``until``) finished."""
    rows = context.session.execute(
        sa.select(Task.volume_id, sa.func.max(Task.finished_at))
        .where(Task.project_id == project_id)
        .where(Task.status.in_(GOOD))
        .where(Task.finished_at < until)
        .group_by(Task.volume_id))
    return {volume_id: clock.as_utc(finished)
            for volume_id, finished in rows if finished is not None}
