"""What a project's digest says, as plain data.

:func:`collect` reads one project's period from the database;
:func:`quota_lines` and :func:`recipients` add what Keystone and Cinder
say. Rendering is :mod:`staffeln.conductor.report_render`'s job.
"""

import dataclasses
import datetime
import json
from typing import Any
from typing import Protocol

from oslo_log import log as logging

from staffeln.common import clock
from staffeln.db import api_drills
from staffeln.db import api_reports

LOG = logging.getLogger(__name__)

GREEN = 'green'
YELLOW = 'yellow'
RED = 'red'

QUOTA_RESOURCES = (
    ('backups', 'Backups'),
    ('backup_gigabytes', 'Backup gigabytes'),
)


class ReportCloud(Protocol):
    """What the digests need from OpenStack (Staffeln's cloud adapter)."""

    def get_project(self, project_id: str) -> dict:
        """The project as a dict with id, name and domain_id."""

    def project_user_emails(self, project_id: str,
                            role_name: str) -> list[str]:
        """Emails of the users holding ``role_name`` in the project."""

    def get_backup_quota(self, project_id: str) -> dict:
        """Backup quotas with usage.

        ``{'backups': {'limit', 'in_use', 'reserved'},
        'backup_gigabytes': {...}}``; a limit of -1 means unlimited.
        """


# ---------------------------------------------------------------- lines

@dataclasses.dataclass
class VolumeRef:
    volume_id: str
    volume_name: str | None
    server_id: str | None
    server_name: str | None

    @property
    def volume(self) -> str:
        return self.volume_name or self.volume_id

    @property
    def server(self) -> str:
        return self.server_name or self.server_id or '-'


@dataclasses.dataclass
class BackupLine(VolumeRef):
    """A backup that became available in the period."""

    backup_id: str | None
    backup_name: str | None
    backup_type: str
    size_gb: int | None
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None

    @property
    def time_taken(self) -> datetime.timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@dataclasses.dataclass
class FailureLine(VolumeRef):
    """A backup that failed in the period."""

    backup_id: str | None
    backup_type: str
    reason: str
    finished_at: datetime.datetime | None


@dataclasses.dataclass
class DeletionLine(VolumeRef):
    """A backup that retention deleted in the period."""

    backup_id: str | None
    backup_name: str | None
    backup_type: str
    size_gb: int | None
    finished_at: datetime.datetime | None
    deleted_at: datetime.datetime | None


@dataclasses.dataclass
class OutOfPolicyLine(VolumeRef):
    """A volume whose last good backup is older than its interval allows."""

    interval: datetime.timedelta
    #: When its last good backup finished; None if it never had one.
    last_backup_at: datetime.datetime | None
    #: How old that backup was at the end of the period.
    age: datetime.timedelta | None


@dataclasses.dataclass
class SkippedLine(VolumeRef):
    """A volume of an opted-in server that Staffeln does not back up."""

    reason: str


@dataclasses.dataclass
class DrillLine:
    """A restore drill whose verdict was recorded in the period."""

    volume_id: str
    volume_name: str | None
    backup_id: str
    outcome: str
    reason: str | None
    rto: datetime.timedelta | None
    checked_at: datetime.datetime | None

    @property
    def volume(self) -> str:
        return self.volume_name or self.volume_id

    @property
    def passed(self) -> bool:
        return self.outcome == 'passed'


@dataclasses.dataclass
class ProblemLine:
    """Problems with a server's backup overrides."""

    server_id: str | None
    server_name: str | None
    errors: list[str]

    @property
    def server(self) -> str:
        return self.server_name or self.server_id or '-'


@dataclasses.dataclass
class QuotaLine:
    """One quota with its usage and colour."""

    resource: str
    label: str
    limit: int
    in_use: int
    reserved: int
    #: Share of the limit in use or reserved; None when there is no finite
    #: positive limit.
    percent: float | None
    level: str
    #: What the project's volumes need at steady state (None: unknown).
    needed: int | None = None

    @property
    def short(self) -> bool:
        """Whether the quota will not hold what retention keeps."""
        return (self.needed is not None and self.limit >= 0
                and self.needed > self.limit)

    @property
    def limit_text(self) -> str:
        if self.limit < 0:
            return 'unlimited'
        if self.limit == 0:
            return '0 (none allowed)'
        return str(self.limit)

    @property
    def percent_text(self) -> str:
        if self.limit < 0:
            return 'no limit'
        if self.limit == 0:
            return 'none allowed'
        return f'{self.percent:.0f} %'


@dataclasses.dataclass
class Digest:
    """Everything one project's digest says about one period."""

    project_id: str
    period_start: datetime.datetime
    period_end: datetime.datetime
    project_name: str | None = None
    domain_id: str | None = None
    backups: list[BackupLine] = dataclasses.field(default_factory=list)
    failures: list[FailureLine] = dataclasses.field(default_factory=list)
    deletions: list[DeletionLine] = dataclasses.field(default_factory=list)
    out_of_policy: list[OutOfPolicyLine] = dataclasses.field(
        default_factory=list)
    skipped: list[SkippedLine] = dataclasses.field(default_factory=list)
    problems: list[ProblemLine] = dataclasses.field(
        default_factory=list)
    drills: list[DrillLine] = dataclasses.field(default_factory=list)
    #: None until looked up, or when the lookup failed (quota_error says).
    quota: list[QuotaLine] | None = None
    quota_error: str | None = None
    #: What the project's volumes need at steady state.
    need: Any = None

    @property
    def project(self) -> str:
        return self.project_name or self.project_id

    @property
    def has_news(self) -> bool:
        """Whether the digest is worth sending.

        Something happened in the period, or something needs the project's
        attention (volumes out of policy, invalid overrides). Skipped
        volumes alone are not news: skipping is what was asked for.
        """
        return bool(self.backups or self.failures or self.deletions
                    or self.out_of_policy or self.problems or self.drills)

    @property
    def failed_drills(self) -> list[DrillLine]:
        return [line for line in self.drills if line.outcome == 'failed']

    @property
    def quota_short(self) -> list[QuotaLine]:
        """The quotas that will not hold what retention keeps."""
        return [line for line in self.quota or () if line.short]

    @property
    def backup_gb(self) -> int:
        return sum(line.size_gb or 0 for line in self.backups)

    @property
    def deleted_gb(self) -> int:
        return sum(line.size_gb or 0 for line in self.deletions)


# ---------------------------------------------------------------- build

def collect(context, project_id: str, since: datetime.datetime,
            until: datetime.datetime,
            grace: datetime.timedelta) -> Digest:
    """The database's part of the digest of ``[since, until)``.

    Volumes are out of policy when, at ``until``, their last good backup is
    older than their interval plus ``grace``, or when they never had one
    and were first seen longer ago than that.
    """
    digest = Digest(project_id=project_id, period_start=since,
                    period_end=until)
    for task in api_reports.succeeded_tasks(context, project_id, since,
                                            until):
        digest.backups.append(BackupLine(
            **_ref(task), backup_id=task.backup_id,
            backup_name=task.backup_name, backup_type=task.backup_type,
            size_gb=task.size_gb, started_at=clock.as_utc(task.started_at),
            finished_at=clock.as_utc(task.finished_at)))
    for task in api_reports.failed_tasks(context, project_id, since, until):
        digest.failures.append(FailureLine(
            **_ref(task), backup_id=task.backup_id,
            backup_type=task.backup_type,
            reason=task.reason or 'unknown reason',
            finished_at=clock.as_utc(task.finished_at)))
    for task in api_reports.deleted_tasks(context, project_id, since,
                                          until):
        digest.deletions.append(DeletionLine(
            **_ref(task), backup_id=task.backup_id,
            backup_name=task.backup_name, backup_type=task.backup_type,
            size_gb=task.size_gb,
            finished_at=clock.as_utc(task.finished_at),
            deleted_at=clock.as_utc(task.deleted_at)))
    for drill in api_drills.drills_checked(context, since, until,
                                           project_id):
        digest.drills.append(DrillLine(
            volume_id=drill.volume_id, volume_name=drill.volume_name,
            backup_id=drill.backup_id, outcome=drill.outcome,
            reason=drill.reason,
            rto=(None if drill.rto_s is None
                 else datetime.timedelta(seconds=drill.rto_s)),
            checked_at=clock.as_utc(drill.checked_at)))
    _collect_volumes(context, digest, until, grace)
    return digest


def _ref(task) -> dict:
    return dict(volume_id=task.volume_id, volume_name=task.volume_name,
                server_id=task.server_id, server_name=task.server_name)


def _collect_volumes(context, digest, until, grace):
    volumes = api_reports.project_volumes(context, digest.project_id)
    if not volumes:
        return
    last_good = api_reports.last_good_backups(context, digest.project_id,
                                              until)
    errors: dict[tuple, list[str]] = {}
    for vol in volumes:
        ref = dict(volume_id=vol.id, volume_name=vol.name,
                   server_id=vol.server_id, server_name=vol.server_name)
        if vol.problems:
            found = errors.setdefault((vol.server_id, vol.server_name), [])
            for error in _split_errors(vol.problems):
                if error not in found:
                    found.append(error)
        if vol.skip_reason:
            digest.skipped.append(SkippedLine(**ref,
                                              reason=vol.skip_reason))
            continue
        interval = datetime.timedelta(seconds=vol.interval_s or 0)
        allowed = interval + grace
        last = last_good.get(vol.id)
        if last is not None:
            if until - last > allowed:
                digest.out_of_policy.append(OutOfPolicyLine(
                    **ref, interval=interval, last_backup_at=last,
                    age=until - last))
            continue
        first_seen = clock.as_utc(vol.created_at)
        if first_seen is not None and until - allowed < first_seen <= until:
            # A new volume whose first backup is not due yet.
            continue
        digest.out_of_policy.append(OutOfPolicyLine(
            **ref, interval=interval, last_backup_at=None, age=None))
    digest.problems = [
        ProblemLine(server_id=server_id, server_name=server_name,
                    errors=found)
        for (server_id, server_name), found in errors.items()]


def _split_errors(text: str) -> list[str]:
    """Override problems, stored as a JSON list or as lines of text."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, list):
        return [str(item) for item in value if str(item).strip()]
    if isinstance(value, dict):
        return [f'{key}: {item}' for key, item in value.items()]
    return [line.strip() for line in text.splitlines() if line.strip()]


def quota_lines(quota: dict, warning: float, critical: float,
                need=None) -> list[QuotaLine]:
    """Cinder's backup quotas with their usage level and forecast.

    The usage is what is in use plus what is reserved. Green below
    ``warning`` percent of the limit, yellow from ``warning`` to
    ``critical`` percent, red above ``critical``. An unlimited quota (-1)
    is green; a zero limit is red, since no backup can be made.
    """
    lines = []
    for resource, label in QUOTA_RESOURCES:
        entry = quota.get(resource)
        if not entry:
            continue
        limit = _int(entry.get('limit'), -1)
        in_use = _int(entry.get('in_use'), 0)
        reserved = _int(entry.get('reserved'), 0)
        needed = None
        if need is not None:
            needed = (need.backups if resource == 'backups'
                      else need.gigabytes)
        lines.append(QuotaLine(
            resource=resource, label=label, limit=limit, in_use=in_use,
            reserved=reserved, needed=needed,
            **_level(limit, in_use + reserved, warning, critical)))
    return lines


def _level(limit, used, warning, critical) -> dict[str, Any]:
    if limit < 0:
        return dict(percent=None, level=GREEN)
    if limit == 0:
        return dict(percent=None, level=RED)
    percent = used * 100.0 / limit
    if percent > critical:
        level = RED
    elif percent >= warning:
        level = YELLOW
    else:
        level = GREEN
    return dict(percent=percent, level=level)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def recipients(conf, cloud: ReportCloud, project_id: str,
               project_name: str | None) -> list[str]:
    """Who gets the project's digest, each address once, in order.

    Lookup errors are raised: the digest is then retried rather than sent
    to fewer people.
    """
    group = conf.notification
    found = list(group.receivers)
    if group.project_receiver_role:
        found.extend(cloud.project_user_emails(
            project_id, group.project_receiver_role) or [])
    if group.project_receiver_domain and project_name:
        found.append(f'{project_name}@{group.project_receiver_domain}')
    result, seen = [], set()
    for address in found:
        address = (address or '').strip()
        if not address:
            continue
        if '@' not in address or any(c.isspace() for c in address):
            LOG.warning('Not sending the digest of project %s to %r: not '
                        'an email address', project_id, address)
            continue
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result
