"""SQL state of the email digests: what has been reported to each project."""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from staffeln.db.models import Base
from staffeln.db.models import TimestampMixin


class ProjectReport(TimestampMixin, Base):
    """The digest state of one project.

    Everything up to ``period_end`` has been reported (or there was nothing
    to report); the next digest covers ``[period_end, now)``. A failed send
    leaves ``period_end`` where it was, so the next run retries the same
    period, extended up to its own time.
    """

    __tablename__ = 'project_reports'

    project_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(64), primary_key=True)
    #: End (exclusive) of the last period reported.
    period_end: orm.Mapped[datetime.datetime] = orm.mapped_column()
    #: When a digest was last sent (or written to the log).
    last_sent_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    #: When a digest was last tried, sent or not.
    last_attempt_at: orm.Mapped[datetime.datetime | None] = (
        orm.mapped_column())
    #: Failed sends since the last good one, and why the last one failed.
    failures: orm.Mapped[int] = orm.mapped_column(default=0)
    last_error: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    #: The conductor sending the digest, until claim_expires_at.
    claimed_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    claim_expires_at: orm.Mapped[datetime.datetime | None] = (
        orm.mapped_column())
