"""The retention rules: which backups of one volume to keep, and why.

Pure: no database, no network and no clock of its own (``now`` is passed
in), so every rule is tested with plain data.

A volume's good (``available``) backups are kept when any of these keeps
them, and deleted otherwise:

* the **time rule**: the backup is not older than the rules' retention;
* the **keep rules** (GFS, in the style of restic's ``forget``): going from
  the newest backup to the oldest, ``last`` keeps the newest N backups and
  ``hourly``/``daily``/``weekly``/``monthly``/``yearly`` keep the newest
  backup of each of the newest N hours/days/ISO weeks/months/years (UTC)
  that have one; a rule that has not kept N backups when it reaches the
  oldest backup keeps the oldest one too. Keep rules keep nothing older
  than the rules' ceiling (``max_retention``);
* the **floor**: the newest ``min_good`` good backups of a volume that still
  exists;
* the **chains**: a backup on which a kept backup, or an incremental backup
  still being made, depends.

A backup that is due is deleted only after every backup that depends on it
is gone (see :attr:`Verdict.after`).
"""

from collections.abc import Iterable, Mapping
import dataclasses
import datetime
import re
import typing

from staffeln.common import duration
from staffeln.common.text import quote
from staffeln.db import states
from staffeln.rules import overrides

RETENTION_KEY = overrides.RETENTION_KEY
KEEP_KEY = overrides.KEEP_KEY

#: The keep rules, in restic's order.
RULES = ('last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly')

#: How far back one bucket of a rule reaches, to tell when N buckets reach
#: past the ceiling. A month is 30 days and a year 365, as in durations.
_SPANS = {
    'hourly': datetime.timedelta(hours=1),
    'daily': datetime.timedelta(days=1),
    'weekly': datetime.timedelta(weeks=1),
    'monthly': datetime.timedelta(days=30),
    'yearly': datetime.timedelta(days=365),
}

#: Tasks whose backup is being made: their parent is needed.
IN_PROGRESS = frozenset((states.QUEUED, states.STARTING, states.CREATING))
#: Tasks with nothing left in Cinder.
ENDED = frozenset((states.FAILED, states.DELETED))

_KEEP_ITEM = re.compile(r'^\s*([a-z_]+)\s*[=:]\s*(\S+)\s*$')
_KEEP_SPLIT = re.compile(r'[,;\s]+(?=[A-Za-z_]+\s*[=:])')


class InvalidKeep(ValueError):
    """A ``backup_keep`` value that cannot be read."""


@dataclasses.dataclass(frozen=True)
class Keep:
    """The keep rules: how many backups each rule keeps (0: unused)."""

    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0

    def __bool__(self) -> bool:
        return any(self.counts().values())

    def counts(self) -> dict[str, int]:
        return {rule: getattr(self, rule) for rule in RULES}

    def __str__(self) -> str:
        used = [f'{rule}={count}' for rule, count in self.counts().items()
                if count]
        return ','.join(used) or 'none'


def parse_keep(text: str) -> Keep:
    """Read ``daily=7,weekly=4,monthly=12`` (any order, any subset).

    Items are separated by commas, semicolons or spaces; ``rule:N`` is
    accepted too. Rules may be named with or without ``keep_``.

    :raises InvalidKeep: with a message that names the bad item.
    """
    if not isinstance(text, str) or not text.strip() or len(text) > 200:
        raise InvalidKeep(f'{quote(text)} is not a list of keep rules')
    counts: dict[str, int] = {}
    for item in _KEEP_SPLIT.split(text.strip().strip(',;')):
        match = _KEEP_ITEM.match(item.lower())
        if not match:
            raise InvalidKeep(
                f'{quote(item.strip())} is not a keep rule; expected items '
                f'like daily=7 (rules: {", ".join(RULES)})')
        rule, value = match.groups()
        rule = rule.removeprefix('keep_')
        if rule not in RULES:
            raise InvalidKeep(f'{quote(rule)} is not a keep rule (rules: '
                              f'{", ".join(RULES)})')
        if rule in counts:
            raise InvalidKeep(f'{rule} is given twice')
        if not value.isdigit() or len(value) > 6:
            raise InvalidKeep(f'{rule}={quote(value)}: the count must be a '
                              f'whole number from 0 to 999999')
        counts[rule] = int(value)
    return Keep(**counts)


@dataclasses.dataclass(frozen=True)
class Bounds:
    """The operator's bounds on what a server may ask for."""

    min_retention: datetime.timedelta
    max_retention: datetime.timedelta


@dataclasses.dataclass(frozen=True)
class Rules:
    """The retention rules of one volume."""

    #: The time rule: backups not older than this are kept.
    retention: datetime.timedelta
    keep: Keep = Keep()
    #: Keep rules keep nothing older than this (None: no ceiling).
    ceiling: datetime.timedelta | None = None
    #: The newest N good backups of an existing volume are kept.
    min_good: int = 1

    def describe(self) -> str:
        text = f'retention {duration.format(self.retention)}'
        if self.keep:
            text += f', keep {self.keep}'
        return text


@dataclasses.dataclass
class Resolved:
    rules: Rules
    #: Why a server's override was not taken as it stood.
    problems: list[str] = dataclasses.field(default_factory=list)


def from_conf(group) -> tuple[Rules, Bounds]:
    """The default rules and the bounds of the ``[retention]`` group."""
    bounds = Bounds(group.min_retention, group.max_retention)
    default = Rules(
        retention=group.retention_time,
        keep=Keep(last=group.keep_last, hourly=group.keep_hourly,
                  daily=group.keep_daily, weekly=group.keep_weekly,
                  monthly=group.keep_monthly, yearly=group.keep_yearly),
        ceiling=group.max_retention,
        min_good=group.min_good_backups)
    return default, bounds


def resolve(raw: Mapping | None, default: Rules,
            bounds: Bounds) -> Resolved:
    """The rules a server's metadata asks for, within the bounds.

    ``raw`` holds the raw ``backup_retention`` and ``backup_keep`` values
    (None when unset). An invalid value is reported and the default
    applies; a retention outside the bounds is clamped to them, and keep
    rules that reach past ``max_retention`` are reported (the ceiling cuts
    them).
    """
    raw = raw or {}
    retention = overrides.clamp_duration(
        RETENTION_KEY, raw.get(RETENTION_KEY), default.retention,
        bounds.min_retention, bounds.max_retention)
    problems = [retention.problem] if retention.problem else []
    keep = default.keep
    text = raw.get(KEEP_KEY)
    if text is not None:
        try:
            keep = parse_keep(text)
        except InvalidKeep as exc:
            problems.append(f'{KEEP_KEY} ignored: {exc}; using the '
                            f'default keep rules ({default.keep})')
        else:
            for rule in beyond_ceiling(keep, bounds.max_retention):
                problems.append(
                    f'{KEEP_KEY} {rule}={getattr(keep, rule)} reaches past '
                    f'the maximum retention '
                    f'{duration.format(bounds.max_retention)}; backups '
                    f'older than that are not kept')
    rules = Rules(retention=retention.value, keep=keep,
                  ceiling=bounds.max_retention, min_good=default.min_good)
    return Resolved(rules, problems)


def beyond_ceiling(keep: Keep, ceiling: datetime.timedelta) -> list[str]:
    """The keep rules whose N periods reach past ``ceiling``."""
    return [rule for rule, span in _SPANS.items()
            if getattr(keep, rule) * span > ceiling]


# ------------------------------------------------------------- planning

class Item(typing.NamedTuple):
    """What the engine needs to know of one backup task of the volume.

    Any object with these attributes will do (the database rows that
    retention streams have them).
    """

    id: int
    #: When the backup was made.
    time: datetime.datetime
    status: str
    parent_id: int | None = None


_NOTHING: frozenset = frozenset()


@dataclasses.dataclass(slots=True)
class Verdict:
    """What to do with one good backup (or one being deleted)."""

    id: int
    keep: bool
    #: Which rules keep it, or why it is due.
    reason: str
    #: Tasks that depend on it and must be gone from Cinder before it is
    #: deleted (empty: it can be deleted at once).
    after: frozenset = frozenset()
    #: 0 when nothing due depends on it; every backup comes after the ones
    #: that depend on it, so deleting by rank deletes children first.
    rank: int = 0


def _bucket(rule: str, when: datetime.datetime, position: int):
    if rule == 'last':
        return position
    if rule == 'hourly':
        return (when.year, when.month, when.day, when.hour)
    if rule == 'daily':
        return (when.year, when.month, when.day)
    if rule == 'weekly':
        return tuple(when.isocalendar())[:2]
    if rule == 'monthly':
        return (when.year, when.month)
    return when.year


def _label(rule: str, when: datetime.datetime, position: int) -> str:
    if rule == 'last':
        return f'keep_last {position + 1}'
    if rule == 'hourly':
        return f'keep_hourly {when:%Y-%m-%d %H}h'
    if rule == 'daily':
        return f'keep_daily {when:%Y-%m-%d}'
    if rule == 'weekly':
        year, week, _ = when.isocalendar()
        return f'keep_weekly {year}-W{week:02d}'
    if rule == 'monthly':
        return f'keep_monthly {when:%Y-%m}'
    return f'keep_yearly {when:%Y}'


def keep_rules(newest_first: list[Item], keep: Keep) -> dict[int, list[str]]:
    """restic's keep rules over good backups sorted newest first.

    For each rule with a count left, a backup is kept when it opens a new
    bucket (an hour, day, ISO week, month or year in UTC; every backup is
    its own bucket for ``last``): the newest backup of each bucket is kept,
    and ties within a bucket go to the first one met, the newest. The
    oldest backup is kept by every rule that still has a count left, so a
    rule with too few buckets keeps as much history as there is.
    """
    counts = {rule: n for rule, n in keep.counts().items() if n > 0}
    reasons: dict[int, list[str]] = {}
    if not counts:
        return reasons
    last_bucket: dict[str, object] = {}
    oldest = len(newest_first) - 1
    for position, item in enumerate(newest_first):
        for rule in RULES:
            left = counts.get(rule, 0)
            if left <= 0:
                continue
            bucket = _bucket(rule, item.time, position)
            if bucket != last_bucket.get(rule) or position == oldest:
                opened = bucket != last_bucket.get(rule)
                last_bucket[rule] = bucket
                counts[rule] = left - 1
                label = _label(rule, item.time, position)
                if not opened:
                    label += (' (oldest backup: too few periods to fill '
                              'the rule)')
                reasons.setdefault(item.id, []).append(label)
    return reasons


def plan(items: Iterable[Item], rules: Rules, now: datetime.datetime,
         volume_exists: bool = True) -> list[Verdict]:
    """Verdicts for a volume's good backups and the ones being deleted.

    ``items`` are the volume's tasks in any status; tasks that ended
    (failed, deleted) are ignored, tasks still being made keep their
    parent, and tasks being deleted or cleaned up must be gone before
    their parent is deleted. Verdicts come newest first.
    """
    items = [i for i in items if i.status not in ENDED]
    by_id = {i.id: i for i in items}
    children: dict[int, list] = {}
    for item in items:
        parent_id = item.parent_id
        if parent_id is not None and parent_id in by_id \
                and parent_id != item.id:
            children.setdefault(parent_id, []).append(item)
    items.sort(key=lambda i: (i.time, i.id), reverse=True)
    good = [i for i in items if i.status == states.AVAILABLE]
    reasons, beyond = _kept_by_rules(good, rules, now, by_id)
    if volume_exists:
        # The floor, named only where no rule keeps the backup anyway.
        floor = ('last good backup' if rules.min_good == 1
                 else f'one of the last {rules.min_good} good backups')
        for item in good[:rules.min_good]:
            reasons.setdefault(item.id, [floor])
    _keep_chains(items, good, by_id, reasons)
    return _verdicts(items, good, children, by_id, reasons, beyond, rules,
                     volume_exists)


def _kept_by_rules(good: list, rules: Rules, now: datetime.datetime,
                   by_id: dict) -> tuple[dict[int, list[str]], set]:
    """What the time rule and the keep rules keep (newest first).

    Also returns the backups a keep rule matched beyond the ceiling.
    """
    reasons: dict[int, list[str]] = {}
    within = f'within {duration.format(rules.retention)}'
    oldest_kept = now - rules.retention
    for item in good:
        if item.time < oldest_kept:
            break  # newest first: the rest are older
        reasons[item.id] = [within]
    beyond = set()
    for item_id, labels in keep_rules(good, rules.keep).items():
        if rules.ceiling is not None and \
                now - by_id[item_id].time > rules.ceiling:
            beyond.add(item_id)
            continue
        reasons.setdefault(item_id, []).extend(labels)
    return reasons, beyond


def _keep_chains(items: list, good: list, by_id: dict,
                 reasons: dict[int, list[str]]) -> None:
    """A kept backup, or one being made, needs the backups it depends on."""
    needed_by: dict[int, int] = {}
    sources = [i for i in good if i.id in reasons]
    sources += [i for i in items if i.status in IN_PROGRESS]
    for source in sources:
        child, parent_id = source, source.parent_id
        while parent_id in by_id and parent_id not in needed_by \
                and parent_id != child.id:
            needed_by[parent_id] = child.id
            child = by_id[parent_id]
            parent_id = child.parent_id
    for parent_id, child_id in needed_by.items():
        if parent_id in reasons:
            continue  # kept anyway: the chain need not be named
        child = by_id[child_id]
        if child.status in IN_PROGRESS:
            text = f'needed by incremental task {child_id} ({child.status})'
        else:
            text = f'needed by kept incremental task {child_id}'
        reasons[parent_id] = [text]


def _verdicts(items: list, good: list, children: dict[int, list],
              by_id: dict, reasons: dict[int, list[str]], beyond: set,
              rules: Rules, volume_exists: bool) -> list[Verdict]:
    due = f'older than {duration.format(rules.retention)}'
    if rules.keep:
        due += f', kept by no keep rule ({rules.keep})'
    ranks = _ranks(items, children, by_id)
    verdicts = []
    for item in items:
        if item.status == states.AVAILABLE:
            kept = reasons.get(item.id)
            if kept:
                verdicts.append(Verdict(item.id, True, '; '.join(kept)))
                continue
            why = due
            if item.id in beyond:
                why += (f'; a keep rule matched but it is older than the '
                        f'maximum retention '
                        f'{duration.format(rules.ceiling)}')
            if not volume_exists and good[0] is item:
                why += '; the volume is gone'
        elif item.status == states.DELETING:
            why = 'being deleted'
        else:
            continue
        kids = children.get(item.id)
        verdicts.append(Verdict(
            item.id, False, why,
            after=frozenset(c.id for c in kids) if kids else _NOTHING,
            rank=ranks.get(item.id, 0)))
    return verdicts


def _ranks(items: list, children: dict[int, list],
           by_id: dict) -> dict[int, int]:
    """0 for a backup without children, else one more than its children.

    Leaves first (Kahn's order), so chains of any depth cost one pass; a
    cycle in the parent links (which Cinder cannot make) is left at what
    its members' other children give.
    """
    pending = {parent_id: len(kids) for parent_id, kids in children.items()}
    ranks: dict[int, int] = {}
    ready = [i for i in items if i.id not in pending]
    while ready:
        item = ready.pop()
        rank = ranks.setdefault(item.id, 0)
        parent_id = item.parent_id
        if parent_id not in pending or parent_id == item.id:
            continue
        if ranks.get(parent_id, 0) < rank + 1:
            ranks[parent_id] = rank + 1
        pending[parent_id] -= 1
        if pending[parent_id] == 0:
            ready.append(by_id[parent_id])
    return ranks
