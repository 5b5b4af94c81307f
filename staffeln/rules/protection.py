"""Protection policies: what each is, whether its fields hold, who may use it.

A policy names a schedule (:mod:`.timetable`), how often a full backup is
made, and what retention keeps (:mod:`.retention`). Its empty fields follow
the operator's defaults (:class:`Defaults`, from the configuration), which
is how the ``default`` policy stays what the configuration says.

Pure: a policy is built from plain values (a database row will do) and the
defaults; nothing is read here.
"""

import dataclasses
import datetime

from staffeln.common import duration
from staffeln.rules import retention
from staffeln.rules import timetable

#: The characters of a policy name: what a tenant types in metadata.
_NAME_CHARS = frozenset('abcdefghijklmnopqrstuvwxyz0123456789-_.')


class InvalidPolicy(ValueError):
    """A policy field that cannot be taken; the message names the field."""


@dataclasses.dataclass(frozen=True)
class Defaults:
    """The operator's defaults: what an empty policy field means."""

    interval: datetime.timedelta
    full_backup_depth: int
    retention: retention.Rules
    bounds: retention.Bounds
    #: How late a due backup may start (discovery, then the backup loop):
    #: the slots in a window end this much before it closes.
    margin: datetime.timedelta = datetime.timedelta(0)

    @classmethod
    def from_conf(cls, conf) -> 'Defaults':
        rules, bounds = retention.from_conf(conf.retention)
        return cls(conf.conductor.backup_interval,
                   conf.conductor.full_backup_depth, rules, bounds,
                   conf.conductor.discovery_interval
                   + conf.conductor.poll_interval)


@dataclasses.dataclass(frozen=True)
class Policy:
    """A protection policy, its empty fields resolved."""

    id: int | None
    name: str
    timetable: timetable.Timetable
    #: Every Nth backup of a chain is a full one (1: all full).
    full_every: int
    #: A full backup at least this often (None: no such rule).
    full_interval: datetime.timedelta | None
    retention: retention.Rules
    enabled: bool = True
    public: bool = False
    grants: frozenset = frozenset()
    description: str | None = None

    @property
    def full_backup_depth(self) -> int:
        """Incrementals between two full backups."""
        return self.full_every - 1

    def usable_by(self, project_id: str) -> bool:
        return self.enabled and (self.public or project_id in self.grants)


def check_name(name: str) -> str:
    """:raises InvalidPolicy: a name a tenant could not write back."""
    if not isinstance(name, str) or not 0 < len(name) <= 64 or \
            not set(name) <= _NAME_CHARS:
        raise InvalidPolicy(
            f'name: {name!r} is not a policy name (1 to 64 lower case '
            f'letters, digits, -, _ and .)')
    return name


def build(row, defaults: Defaults, grants=()) -> Policy:
    """The policy of a database row (or any object with its fields).

    :raises InvalidPolicy: a field cannot be taken.
    """
    schedule = row.schedule or duration.format(defaults.interval)
    try:
        table = timetable.Timetable.parse(
            schedule, row.timezone or 'UTC', row.window,
            bool(row.jitter), defaults.margin)
    except timetable.InvalidSchedule as exc:
        raise InvalidPolicy(str(exc)) from None
    full_every = row.full_every or defaults.full_backup_depth + 1
    if full_every < 1:
        raise InvalidPolicy('full_every: must be 1 or more')
    rules = defaults.retention
    if row.retention_s is not None or row.keep is not None:
        rules = _rules(row, defaults)
    return Policy(
        id=row.id, name=row.name, timetable=table, full_every=full_every,
        full_interval=(datetime.timedelta(seconds=row.full_interval_s)
                       if row.full_interval_s else None),
        retention=rules, enabled=bool(row.enabled),
        public=bool(row.public), grants=frozenset(grants),
        description=row.description)


def _rules(row, defaults: Defaults) -> retention.Rules:
    bounds = defaults.bounds
    keep = defaults.retention.keep
    if row.keep is not None:
        try:
            keep = retention.Keep(**{rule: int(count) for rule, count
                                     in row.keep.items()})
        except (TypeError, ValueError) as exc:
            raise InvalidPolicy(f'keep: {exc}') from None
    kept = (datetime.timedelta(seconds=row.retention_s)
            if row.retention_s is not None else defaults.retention.retention)
    if kept < bounds.min_retention:
        raise InvalidPolicy(
            f'retention: {duration.format(kept)} is shorter than the '
            f'operator\'s floor, [retention] min_retention '
            f'{duration.format(bounds.min_retention)}')
    if kept > bounds.max_retention:
        raise InvalidPolicy(
            f'retention: {duration.format(kept)} is longer than the '
            f'operator\'s ceiling, [retention] max_retention '
            f'{duration.format(bounds.max_retention)}')
    return retention.Rules(retention=kept, keep=keep,
                           ceiling=bounds.max_retention,
                           min_good=defaults.retention.min_good)


@dataclasses.dataclass
class Choice:
    """The policies that protect one server's volumes, and why."""

    policies: list
    #: What the project is told: names it could not have, and what it got.
    problems: list = dataclasses.field(default_factory=list)


def choose(names: list[str], project_id: str, by_name: dict,
           fallback: Policy | None) -> Choice:
    """The policies a server names that its project may use.

    An unknown, disabled or not granted name is reported and the
    project's default (``fallback``) takes its place: a server is never
    silently left unprotected.
    """
    chosen, problems = [], []
    for name in names:
        policy = by_name.get(name)
        if policy is None:
            problems.append(f'policy {name!r} does not exist')
        elif not policy.usable_by(project_id):
            problems.append(f'policy {name!r} is not available to this '
                            f'project')
        elif policy not in chosen:
            chosen.append(policy)
    if problems or not chosen:
        if fallback is not None and fallback not in chosen:
            chosen.append(fallback)
        if problems:
            problems[-1] += (f'; using {fallback.name!r}'
                             if fallback is not None else
                             '; no default policy is available')
    return Choice(chosen, problems)


def parse_names(value) -> list[str]:
    """The policy names of a metadata value: ``hourly,daily-30d``."""
    if not isinstance(value, str):
        return []
    return [name.strip().lower() for name in value.split(',')
            if name.strip()][:8]
