"""Database access for the Prometheus metrics.

One reader transaction takes a :class:`Snapshot` of everything the metrics
show, so a scrape is consistent and any staffeln-api replica answers the
same. Only plain data leaves this module.
"""

import dataclasses
import datetime

import sqlalchemy as sa
from sqlalchemy.ext import compiler as sa_compiler

from staffeln.common import clock
from staffeln.db.api import context_manager
from staffeln.db.api import fail_closed
from staffeln.db import api_drills
from staffeln.db import models
from staffeln.db import states

Task = models.BackupTask
Volume = models.Volume

#: Tasks whose backup became available (and may since have been deleted).
SUCCEEDED = (states.AVAILABLE, states.DELETING, states.DELETED)
#: Tasks that failed (cleanup: the failed backup is still being deleted).
FAILED = (states.FAILED, states.CLEANUP)
#: Tasks whose backup exists and is good.
GOOD = (states.AVAILABLE, states.DELETING)
#: How retention records a delete that Cinder refused (see
#: staffeln.conductor.retention.deleting).
REFUSED_PREFIX = 'Cinder refused to delete it'


@dataclasses.dataclass
class VolumeRow:
    """A protected volume as the metrics label it."""

    project_id: str
    volume_id: str
    volume_name: str | None
    server_id: str | None
    server_name: str | None
    policies: list[str]
    interval_s: int
    first_seen: datetime.datetime | None
    last_good: datetime.datetime | None


@dataclasses.dataclass
class DigestRow:
    """The delivery state of a digest (or of a webhook: its target)."""

    project_id: str
    last_sent_at: datetime.datetime | None
    failures: int


@dataclasses.dataclass
class QuotaRow:
    """The last known backup quota of a project, and its forecast."""

    project_id: str
    backups_limit: int | None
    backups_used: int | None
    gigabytes_limit: int | None
    gigabytes_used: int | None
    read_at: datetime.datetime | None
    forecast_backups: int | None
    forecast_gigabytes: int | None


@dataclasses.dataclass
class Histogram:
    """How many values are at or below each bound; their count and sum."""

    bounds: tuple
    buckets: list[int]
    count: int
    total: float


@dataclasses.dataclass
class Snapshot:
    """What the metrics are computed from."""

    #: Volumes Staffeln still sees and backs up.
    volumes: list[VolumeRow]
    #: (project, status) -> tasks.
    tasks: dict[tuple[str, str], int]
    #: project -> tasks whose create call was sent.
    started: dict[str, int]
    #: (project, reason) -> failed tasks.
    failures: dict[tuple[str, str], int]
    #: Seconds from the create call to available, of good backups.
    durations: Histogram
    #: Size in GB of the volumes of good backups.
    sizes: Histogram
    #: project -> backups retention left in place because Cinder refused.
    refused: dict[str, int]
    #: project -> (good backups, their size in GB).
    stored: dict[str, tuple[int, int]]
    digests: list[DigestRow]
    quotas: list[QuotaRow] = dataclasses.field(default_factory=list)
    #: Webhook delivery states, by target ('global', 'project:<id>').
    webhooks: list[DigestRow] = dataclasses.field(default_factory=list)
    drills: 'DrillStats | None' = None


@dataclasses.dataclass
class DrillStats:
    """What the restore drills found."""

    #: (project, outcome) -> drills with that verdict.
    outcomes: dict[tuple[str, str], int]
    #: Drills restoring or deleting their volume now.
    open: int
    #: Seconds from the restore call to the volume available, of passed
    #: drills.
    rto: Histogram
    #: volume -> (project, outcome, checked at) of its newest verdict.
    last: dict[str, tuple[str, str, datetime.datetime]]


class _Seconds(sa.sql.expression.FunctionElement):
    """The seconds from one datetime column to another, in SQL."""

    type = sa.Float()
    name = 'staffeln_seconds_between'
    inherit_cache = True


@sa_compiler.compiles(_Seconds)
def _seconds_postgresql(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f'EXTRACT(EPOCH FROM ({end} - {start}))'


@sa_compiler.compiles(_Seconds, 'sqlite')
def _seconds_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    # julianday() is a float of days: rounded to the millisecond, a
    # duration of exactly 60 s is 60.0.
    return f'ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)'


@sa_compiler.compiles(_Seconds, 'mysql')
def _seconds_mysql(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f'(TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 1000000.0)'


def _histogram(session, value, bounds: tuple, *where) -> Histogram:
    """The histogram of ``value`` over the rows ``where`` selects, in SQL."""
    columns = [sa.func.sum(sa.case((value <= bound, 1), else_=0))
               for bound in bounds]
    query = sa.select(*columns, sa.func.count(), sa.func.sum(value))
    for clause in where:
        query = query.where(clause)
    row = session.execute(query).one()
    return Histogram(bounds=tuple(bounds),
                     buckets=[int(n or 0) for n in row[:len(bounds)]],
                     count=int(row[-2] or 0), total=float(row[-1] or 0))


@fail_closed
@context_manager.reader
def snapshot(context, duration_bounds: tuple = (),
             size_bounds_gb: tuple = (),
             rto_bounds: tuple = ()) -> Snapshot:
    """Everything the metrics show, read in one transaction.

    The backup durations and sizes are counted in the histogram buckets
    ``duration_bounds`` (seconds) and ``size_bounds_gb``, the drills'
    RTOs in ``rto_bounds`` (seconds).
    """
    session = context.session
    good = (Task.status.in_(SUCCEEDED), Task.started_at.is_not(None),
            Task.finished_at.is_not(None))
    return Snapshot(
        volumes=_volumes(session),
        tasks=_pairs(session, Task.project_id, Task.status),
        started={p: n for (p,), n in _counts(
            session, (Task.project_id,),
            Task.started_at.is_not(None)).items()},
        failures=_pairs(session, Task.project_id, Task.reason,
                        Task.status.in_(FAILED)),
        durations=_histogram(
            session, _Seconds(Task.started_at, Task.finished_at),
            duration_bounds, *good),
        sizes=_histogram(session, Task.size_gb, size_bounds_gb, *good,
                         Task.size_gb.is_not(None)),
        refused={p: n for (p,), n in _counts(
            session, (Task.project_id,), Task.status == states.AVAILABLE,
            Task.reason.like(REFUSED_PREFIX + '%')).items()},
        stored=_stored(session),
        digests=[DigestRow(r.project_id, clock.as_utc(r.last_sent_at),
                           r.failures)
                 for r in session.scalars(sa.select(
                     models.ProjectReport).order_by(
                         models.ProjectReport.project_id))],
        quotas=_quotas(session),
        webhooks=[DigestRow(r.target, clock.as_utc(r.last_sent_at),
                            r.failures)
                  for r in session.scalars(sa.select(
                      models.WebhookDelivery).order_by(
                          models.WebhookDelivery.target))],
        drills=_drills(session, rto_bounds))


def _counts(session, columns, *where) -> dict[tuple, int]:
    query = sa.select(*columns, sa.func.count()).group_by(*columns)
    for clause in where:
        query = query.where(clause)
    return {tuple(row[:-1]): row[-1] for row in session.execute(query)}


def _pairs(session, first, second, *where) -> dict[tuple[str, str], int]:
    return {(a, b): n for (a, b), n in _counts(
        session, (first, second), *where).items()}


def _volumes(session) -> list[VolumeRow]:
    last_good = dict(session.execute(
        sa.select(Task.volume_id, sa.func.max(Task.finished_at))
        .where(Task.status.in_(GOOD)).group_by(Task.volume_id)).all())
    policies: dict[str, list[str]] = {}
    for volume_id, name in session.execute(
            sa.select(models.VolumePolicy.volume_id,
                      models.ProtectionPolicy.name)
            .join(models.ProtectionPolicy, models.ProtectionPolicy.id ==
                  models.VolumePolicy.policy_id)
            .order_by(models.ProtectionPolicy.name)):
        policies.setdefault(volume_id, []).append(name)
    rows = session.scalars(
        sa.select(Volume).where(Volume.gone_at.is_(None))
        .where(Volume.skip_reason.is_(None))
        .order_by(Volume.project_id, Volume.id))
    return [VolumeRow(project_id=v.project_id, volume_id=v.id,
                      volume_name=v.name, server_id=v.server_id,
                      server_name=v.server_name,
                      policies=policies.get(v.id, []),
                      interval_s=v.interval_s or 0,
                      first_seen=clock.as_utc(v.created_at),
                      last_good=clock.as_utc(last_good.get(v.id)))
            for v in rows]


def _stored(session) -> dict[str, tuple[int, int]]:
    rows = session.execute(
        sa.select(Task.project_id, sa.func.count(),
                  sa.func.coalesce(sa.func.sum(Task.size_gb), 0))
        .where(Task.status.in_(GOOD)).group_by(Task.project_id))
    return {project: (count, int(size)) for project, count, size in rows}


def _quotas(session) -> list[QuotaRow]:
    return [QuotaRow(q.project_id, q.backups_limit, q.backups_used,
                     q.gigabytes_limit, q.gigabytes_used,
                     clock.as_utc(q.read_at), q.forecast_backups,
                     q.forecast_gigabytes)
            for q in session.scalars(
                sa.select(models.ProjectQuota)
                .order_by(models.ProjectQuota.project_id))]


def _drills(session, rto_bounds: tuple) -> DrillStats:
    drill = models.RestoreDrill
    verdicts = (api_drills.PASSED, api_drills.FAILED)
    newest = (sa.select(sa.func.max(drill.id))
              .where(drill.outcome.in_(verdicts))
              .group_by(drill.volume_id))
    return DrillStats(
        outcomes=_pairs(session, drill.project_id, drill.outcome,
                        drill.outcome.is_not(None)),
        open=session.scalar(sa.select(sa.func.count()).select_from(drill)
                            .where(drill.status.in_(api_drills.OPEN))),
        rto=_histogram(session, drill.rto_s, rto_bounds,
                       drill.outcome == api_drills.PASSED,
                       drill.rto_s.is_not(None)),
        last={d.volume_id: (d.project_id, d.outcome,
                            clock.as_utc(d.checked_at))
              for d in session.scalars(
                  sa.select(drill).where(drill.id.in_(newest)))})
