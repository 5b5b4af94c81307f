"""Discovery: which volumes are to be backed up, and why others are not.

One paginated listing of all servers and one of all volumes, whatever the
number of projects: the cost grows with the servers and volumes listed,
never with the projects.
"""

import dataclasses
import datetime

from oslo_log import log as logging

from staffeln.cloud import records
from staffeln.common.text import clip
from staffeln.rules import overrides
from staffeln.rules import retention

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Candidate:
    """A volume attached to an opted-in server, with its settings."""

    volume: records.Volume
    server: records.Server
    #: The shortest time between two backups that its policies promise.
    interval_s: int
    skip_reason: str | None = None
    problems: list = dataclasses.field(default_factory=list)
    #: The protection policies of its server (rules.protection.Policy).
    policies: list = dataclasses.field(default_factory=list)
    #: The server's backup_interval, clamped (None: it asks for none).
    interval_override: datetime.timedelta | None = None

    @property
    def eligible(self) -> bool:
        return self.skip_reason is None

    def record(self) -> dict:
        """The volume row that the database keeps for this candidate.

        Names are the tenant's to choose: they are cut to what the
        database keeps.
        """
        return {
            'project_id': self.volume.project_id,
            'name': clip(self.volume.name),
            'size_gb': self.volume.size,
            'status': clip(self.volume.status, 32),
            'server_id': self.server.id,
            'server_name': clip(self.server.name),
            'skip_reason': self.skip_reason,
            'interval_s': self.interval_s,
            'retention': {
                key: clip(self.server.metadata.get(key))
                for key in (overrides.RETENTION_KEY, overrides.KEEP_KEY)},
            'problems': '\n'.join(self.problems) or None,
        }


def opted_in(server: records.Server, conf) -> bool:
    if overrides.is_true(server.metadata.get(conf.backup_metadata_key)):
        return True
    return bool(conf.backup_tag) and conf.backup_tag in server.tags


@dataclasses.dataclass
class ServerSettings:
    """What a server's metadata asks for, bounded by the operator."""

    policies: list
    #: The server's backup_interval, clamped (None: it asks for none).
    interval: datetime.timedelta | None
    #: Why a value was not taken as it stood, to tell the project.
    problems: list

    def promised(self, now: datetime.datetime) -> datetime.timedelta:
        """The shortest time between backups its policies promise."""
        periods = [self.interval if self.interval and p.timetable.interval
                   else p.timetable.period(now) for p in self.policies]
        return min(periods, default=datetime.timedelta(days=1))


def discover(cloud, conf, catalog,
             now: datetime.datetime) -> list[Candidate]:
    """Every volume attached to an opted-in server, eligible or not.

    A server's metadata is the tenant's to write: whatever it holds, its
    problems are reported for that server only and never stop discovery.
    ``catalog`` (:class:`staffeln.conductor.policies.Catalog`) gives the
    policies a server may choose.
    """
    group = conf.conductor
    servers = sorted((s for s in cloud.list_servers() if opted_in(s, group)),
                     key=lambda s: s.id)
    wanted = {vid for s in servers for vid in s.volume_ids}
    volumes = {v.id: v for v in cloud.list_volumes() if v.id in wanted}
    candidates = []
    seen: set[str] = set()
    per_project: dict[str, int] = {}
    for server in servers:
        settings = _settings_of(server, conf, catalog)
        for volume_id in server.volume_ids:
            if volume_id in seen:
                continue  # attached to several servers: backed up once
            seen.add(volume_id)
            volume = volumes.get(volume_id)
            if volume is None:
                LOG.info('Volume %s of server %s was not listed; it was '
                         'probably deleted during discovery', volume_id,
                         server.id)
                continue
            candidates.append(_candidate(volume, server, settings, group,
                                         per_project, catalog, now))
    LOG.info('Discovery: %d opted-in servers, %d attached volumes, %d to '
             'back up', len(servers), len(candidates),
             sum(1 for c in candidates if c.eligible))
    return candidates


def _settings_of(server: records.Server, conf, catalog) -> ServerSettings:
    """The server's policies and overrides; defaults when unreadable."""
    group = conf.conductor
    fallback = catalog.default_for(server.project_id)
    try:
        choice = catalog.choose(server.metadata, group.policy_metadata_key,
                                server.project_id)
        problems = list(choice.problems)
        interval = None
        if overrides.INTERVAL_KEY in server.metadata:
            clamped = overrides.backup_interval(
                server.metadata, group.backup_interval,
                group.min_backup_interval, group.max_backup_interval)
            interval = clamped.value
            if clamped.problem:
                problems.append(clamped.problem)
        default, bounds = retention.from_conf(conf.retention)
        kept = retention.resolve(
            {key: server.metadata.get(key)
             for key in (overrides.RETENTION_KEY, overrides.KEEP_KEY)},
            default, bounds)
    except Exception as exc:  # a tenant's value must never stop discovery
        LOG.warning('The metadata of server %s (project %s) cannot be read; '
                    'the defaults apply: %s', server.id, server.project_id,
                    exc)
        return ServerSettings([fallback] if fallback else [], None, [
            f'the backup settings in the metadata of this server cannot be '
            f'read ({type(exc).__name__}); the defaults apply'])
    # Reported at every discovery, not only when retention runs.
    problems.extend(kept.problems)
    return ServerSettings(choice.policies, interval, problems)


def _candidate(volume: records.Volume, server: records.Server,
               settings: ServerSettings, group, per_project: dict[str, int],
               catalog, now: datetime.datetime) -> Candidate:
    candidate = Candidate(
        volume=volume, server=server,
        interval_s=int(settings.promised(now).total_seconds()),
        problems=list(settings.problems), policies=settings.policies,
        interval_override=settings.interval)
    candidate.skip_reason = _skip_reason(volume, group)
    if candidate.eligible:
        candidate.skip_reason = catalog.paused_reason(volume.project_id,
                                                      server.id)
    if candidate.eligible and not settings.policies:
        candidate.skip_reason = 'no protection policy is available'
    if candidate.eligible and group.max_volumes_per_project:
        count = per_project.get(volume.project_id, 0) + 1
        per_project[volume.project_id] = count
        if count > group.max_volumes_per_project:
            candidate.skip_reason = (
                f'over the limit of {group.max_volumes_per_project} '
                f'volumes backed up per project')
    return candidate


def _skip_reason(volume: records.Volume, group) -> str | None:
    if overrides.is_true(volume.metadata.get(group.skip_metadata_key)):
        return f'opted out by volume metadata {group.skip_metadata_key}'
    if not volume.backupable:
        return f'volume status is {volume.status}'
    return None
