"""Staffeln's SQL state (SQLAlchemy 2.0 typed declarative models).

The database is the source of truth for what Staffeln did and intends to do;
Cinder is the source of truth for what exists.
"""

import datetime

from oslo_db.sqlalchemy import types as db_types
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy import orm

from staffeln.common import clock


class UTCDateTime(sa.types.TypeDecorator):
    """A DateTime stored as naive UTC and always read back timezone-aware.

    Databases disagree on time zones (SQLite and MySQL keep none), so every
    value is converted to UTC before it is written and marked UTC when read.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == 'mysql':
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return clock.as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return clock.as_utc(value)

    def result_processor(self, dialect, coltype):
        """:meth:`process_result_value` in one call per value.

        TypeDecorator's own processor takes three Python calls per value,
        and a page of the REST API reads hundreds of times. The
        implementation's processing (SQLite's parsing of its strings) is
        kept, as TypeDecorator would.
        """
        impl = self.impl_instance.result_processor(dialect, coltype)
        utc = datetime.timezone.utc

        def process(value):
            if impl is not None:
                value = impl(value)
            if value is None:
                return None
            if value.tzinfo is None:
                return value.replace(tzinfo=utc)
            return value.astimezone(utc)
        return process


class Base(orm.DeclarativeBase):
    type_annotation_map = {
        datetime.datetime: UTCDateTime(),
        dict: db_types.JsonEncodedDict(),
    }


class TimestampMixin:
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        default=clock.utcnow)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        onupdate=clock.utcnow)


class Volume(TimestampMixin, Base):
    """What Staffeln last saw of a volume, and the policy it last had.

    Kept after the volume is gone so its backups still age out under the
    policy they last had.
    """

    __tablename__ = 'volumes'
    __table_args__ = (
        sa.Index('volumes_project_id_idx', 'project_id'),
        sa.Index('volumes_server_id_idx', 'server_id'),
    )

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    size_gb: orm.Mapped[int] = orm.mapped_column(default=0)
    status: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    server_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    server_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    #: Why the volume is not backed up (skip key, status, limit), or None.
    skip_reason: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    #: Effective backup interval in seconds after clamping.
    interval_s: orm.Mapped[int] = orm.mapped_column(default=86400)
    #: The retention policy the volume last had (see the retention module).
    retention: orm.Mapped[dict | None] = orm.mapped_column()
    #: Problems with the server's settings (overrides it asks for),
    #: reported to the project, one per line.
    problems: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    last_seen_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    gone_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()


class BackupTask(TimestampMixin, Base):
    """One backup Staffeln decided to make, from intent to deletion.

    ``status`` moves through :mod:`staffeln.db.states` with one conditional
    UPDATE per transition.
    """

    __tablename__ = 'backup_tasks'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_backup_tasks0uuid'),
        sa.UniqueConstraint('backup_id', name='uniq_backup_tasks0backup_id'),
        sa.UniqueConstraint('under_way_key',
                            name='uniq_backup_tasks0under_way_key'),
        sa.Index('backup_tasks_status_idx', 'status'),
        sa.Index('backup_tasks_volume_id_idx', 'volume_id'),
        sa.Index('backup_tasks_project_id_status_idx',
                 'project_id', 'status'),
        sa.Index('backup_tasks_policy_id_idx', 'policy_id'),
        # The API lists backups newest first, ties by id (keyset pages).
        sa.Index('backup_tasks_created_at_id_idx', 'created_at', 'id'),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    #: Also written into the backup's metadata, to adopt it after a crash.
    uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    volume_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    volume_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    server_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    server_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    #: 'full' or 'incremental'.
    backup_type: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    #: The Cinder backup, once Cinder has answered the create call.
    backup_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    backup_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    #: The task whose backup is this incremental's parent.
    parent_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey('backup_tasks.id', name='backup_tasks_parent_id_fkey'))
    size_gb: orm.Mapped[int | None] = orm.mapped_column()
    #: Why the task failed, or why the last step was refused.
    reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    attempts: orm.Mapped[int] = orm.mapped_column(default=0)
    #: The conductor that holds the task, until claim_expires_at.
    claimed_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    claim_expires_at: orm.Mapped[datetime.datetime | None] = (
        orm.mapped_column())
    #: When the create call was sent, the backup became available or
    #: failed, and the backup was deleted.
    started_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    finished_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    #: Earliest time the next step may be tried (after a refused delete).
    retry_after: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    #: The protection policy that made it: its schedule, its chain, its
    #: retention.
    policy_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey('protection_policies.id',
                      name='backup_tasks_policy_id_fkey'))
    #: Asked for now (staffeln-manage backup-now, the API), outside the
    #: schedule.
    on_demand: orm.Mapped[bool] = orm.mapped_column(default=False)
    #: ``<volume id>:<policy id>`` while the task is under way (queued,
    #: starting, creating), else None: unique, so that no conductor queues
    #: a second backup of a volume under one policy.
    under_way_key: orm.Mapped[str | None] = orm.mapped_column(sa.String(80))


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


class StrayBackup(TimestampMixin, Base):
    """A Cinder backup that carries a task's marker but is not its backup.

    An ambiguous create (an answer lost, a conductor killed or frozen while
    its create was in flight) can leave more than one backup with the same
    task marker; the task adopts one and the others are strays. A stray is
    ``found`` until it is adopted by its task (when the task has no backup
    yet) or released: ``deleting`` (the delete hook lets it go), then
    ``deleted`` once Cinder no longer has it.
    """

    __tablename__ = 'stray_backups'
    __table_args__ = (
        sa.Index('stray_backups_status_idx', 'status'),
    )

    backup_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), primary_key=True)
    #: The marker the backup carries: the uuid of the task that made it.
    task_uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    volume_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    #: How it was found, or why its delete has not worked yet.
    reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    #: Earliest time its delete is tried again.
    retry_after: orm.Mapped[datetime.datetime | None] = orm.mapped_column()


class ProtectionPolicy(TimestampMixin, Base):
    """A named schedule and retention that servers choose by metadata.

    An empty field follows the operator's configuration ([conductor]
    backup_interval and full_backup_depth, [retention] retention_time and
    keep_*): the ``default`` policy, created by the migration, has them all
    empty, so it is what the configuration says.
    """

    __tablename__ = 'protection_policies'
    __table_args__ = (
        sa.UniqueConstraint('name', name='uniq_protection_policies0name'),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    enabled: orm.Mapped[bool] = orm.mapped_column(default=True)
    #: Every project may use it; otherwise only the granted ones.
    public: orm.Mapped[bool] = orm.mapped_column(default=False)
    #: An interval, a cron expression or a shorthand (see rules.timetable).
    schedule: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    timezone: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                                  default='UTC')
    #: HH:MM-HH:MM, local to the time zone; None: any time.
    window: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    jitter: orm.Mapped[bool] = orm.mapped_column(default=True)
    #: Every Nth backup is a full one.
    full_every: orm.Mapped[int | None] = orm.mapped_column()
    #: A full backup at least this often, in seconds.
    full_interval_s: orm.Mapped[int | None] = orm.mapped_column()
    #: Backups younger than this (seconds) are kept.
    retention_s: orm.Mapped[int | None] = orm.mapped_column()
    #: The keep rules: {'daily': 7, ...}.
    keep: orm.Mapped[dict | None] = orm.mapped_column()
    #: Deleted policies make no more backups; theirs age out under them.
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()


class PolicyGrant(Base):
    """A project that may use a policy that is not public."""

    __tablename__ = 'policy_grants'

    policy_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey('protection_policies.id',
                      name='policy_grants_policy_id_fkey'),
        primary_key=True)
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                                    primary_key=True)


class ProjectSettings(TimestampMixin, Base):
    """What a project chose: its default policy, and more to come."""

    __tablename__ = 'project_settings'

    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                                    primary_key=True)
    #: The policy of its servers that name none (None: the global one).
    default_policy_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey('protection_policies.id',
                      name='project_settings_default_policy_id_fkey'))
    #: No backup is started for the project while it is paused.
    paused: orm.Mapped[bool] = orm.mapped_column(default=False)
    #: Addresses that also get the project's digest.
    digest_recipients: orm.Mapped[list | None] = orm.mapped_column(
        db_types.JsonEncodedList())


class ServerSettings(TimestampMixin, Base):
    """What was chosen for one server: for now, whether it is paused."""

    __tablename__ = 'server_settings'

    server_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   primary_key=True)
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    #: No backup of its volumes is started while it is paused.
    paused: orm.Mapped[bool] = orm.mapped_column(default=False)


class VolumePolicy(Base):
    """A policy that protects a volume, and when it is next due."""

    __tablename__ = 'volume_policies'

    volume_id: orm.Mapped[str] = orm.mapped_column(sa.String(36),
                                                   primary_key=True)
    policy_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey('protection_policies.id',
                      name='volume_policies_policy_id_fkey'),
        primary_key=True)
    next_due_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    #: Why it is (not) due, as the plan says it.
    reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)


class Lock(Base):
    """A mutex in the database: its row is updated to take it.

    ``starts`` serializes the transactions that check the in-flight caps
    and start a backup; ``plans`` those that replace the volumes' plans.
    """

    __tablename__ = 'locks'

    name: orm.Mapped[str] = orm.mapped_column(sa.String(32),
                                              primary_key=True)
    taken_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    taken_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()


class Wakeup(Base):
    """A request that a step run before its next period.

    ``discovery`` is requested by whichever conductor hears that a server
    was opted in or changed, and taken by the leader, which discovers then.
    """

    __tablename__ = 'wakeups'

    name: orm.Mapped[str] = orm.mapped_column(sa.String(32),
                                              primary_key=True)
    #: When it was last requested; None once taken.
    requested_at: orm.Mapped[datetime.datetime | None] = (
        orm.mapped_column())


class Restore(TimestampMixin, Base):
    """A restore of a Staffeln backup, asked for through the API.

    ``requested`` is written before Cinder is asked; then ``restoring``
    (Cinder accepted it; ``volume_id`` is the volume being written),
    ``available`` or ``error``.
    """

    __tablename__ = 'restores'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_restores0uuid'),
        sa.Index('restores_project_id_idx', 'project_id'),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    backup_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    #: The volume written: a new one, or the existing one asked for.
    volume_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    volume_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    new_volume: orm.Mapped[bool] = orm.mapped_column(default=True)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    finished_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()


class RestoreDrill(TimestampMixin, Base):
    """A restore drill: a volume's latest good backup restored and deleted.

    ``requested`` is written before Cinder is asked (the restored volume's
    name carries the drill's uuid, to find it after a crash); then
    ``restoring`` (``restored_volume_id`` is being written), ``deleting``
    (the verdict is recorded; the restored volume is being deleted) and
    ``done`` once Cinder no longer has it. See
    :mod:`staffeln.db.api_drills`.
    """

    __tablename__ = 'restore_drills'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_restore_drills0uuid'),
        sa.Index('restore_drills_volume_id_idx', 'volume_id'),
        sa.Index('restore_drills_status_idx', 'status'),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    #: The volume drilled, and its backup that was restored.
    volume_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    volume_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    backup_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    #: The size the restored volume must have (the backup's).
    size_gb: orm.Mapped[int] = orm.mapped_column()
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    #: ``passed``, ``failed`` or ``aborted`` once known, else None.
    outcome: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    restored_volume_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36))
    #: Seconds from the restore call to the volume seen available.
    rto_s: orm.Mapped[float | None] = orm.mapped_column()
    sent_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    #: When the verdict was recorded, and when the volume was gone.
    checked_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    finished_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()


class ProjectQuota(Base):
    """The backup quota of a project as the conductor last read it.

    Written whenever a conductor reads the quota (to admit backups, for a
    digest) and with each forecast, so the metrics can show quota use and
    forecast from the database alone.
    """

    __tablename__ = 'project_quotas'

    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                                    primary_key=True)
    #: Cinder's limits (-1: unlimited) and use (in use plus reserved).
    backups_limit: orm.Mapped[int | None] = orm.mapped_column()
    backups_used: orm.Mapped[int | None] = orm.mapped_column()
    gigabytes_limit: orm.Mapped[int | None] = orm.mapped_column()
    gigabytes_used: orm.Mapped[int | None] = orm.mapped_column()
    read_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    #: What the project's volumes need at steady state under their
    #: policies (see staffeln.rules.forecast).
    forecast_backups: orm.Mapped[int | None] = orm.mapped_column()
    forecast_gigabytes: orm.Mapped[int | None] = orm.mapped_column()
    forecast_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()


class ProjectWebhook(TimestampMixin, Base):
    """Where a project's cycle events are POSTed, beside its digest."""

    __tablename__ = 'project_webhooks'

    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                                    primary_key=True)
    url: orm.Mapped[str] = orm.mapped_column(sa.Text)
    #: Key of the HMAC-SHA256 signature of each body; None: unsigned.
    secret: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    #: 'failures' (only cycles with failures or breaches) or 'all'.
    events: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    #: 'json' or 'slack'.
    body_format: orm.Mapped[str] = orm.mapped_column(sa.String(16))


class WebhookDelivery(TimestampMixin, Base):
    """The delivery state of one webhook, like a project's digest state.

    ``target`` is ``global`` for the webhook of the configuration and
    ``project:<id>`` for a project's. Everything up to ``period_end`` has
    been delivered (or had nothing to deliver); a failed delivery leaves
    ``period_end`` alone, so the next cycle sends the period again,
    extended up to its own time.
    """

    __tablename__ = 'webhook_deliveries'

    target: orm.Mapped[str] = orm.mapped_column(sa.String(80),
                                                primary_key=True)
    period_end: orm.Mapped[datetime.datetime] = orm.mapped_column()
    last_sent_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column()
    last_attempt_at: orm.Mapped[datetime.datetime | None] = (
        orm.mapped_column())
    failures: orm.Mapped[int] = orm.mapped_column(default=0)
    last_error: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    claimed_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    claim_expires_at: orm.Mapped[datetime.datetime | None] = (
        orm.mapped_column())
