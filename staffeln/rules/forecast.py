"""How many backups, and how many gigabytes, a volume needs at steady state.

Cinder charges a project's ``backups`` quota one per backup and its
``backup_gigabytes`` quota the size of the volume for every backup, full or
incremental. How many backups a volume holds once its schedule and its
retention have run long enough depends on the interval, the retention time,
the keep rules and the incremental chains (a kept incremental keeps the
backups it depends on). Rather than a formula that would drift from the
retention rules, the forecast runs those rules (:mod:`.retention`) over a
simulated history: one good backup every interval, a full one every
``full_backup_depth + 1``, and counts what they keep, taking the most over
one chain cycle.
"""

import dataclasses
import datetime
import functools

from staffeln.db import states
from staffeln.rules import retention

#: The start of the simulated history; any instant would do.
_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
#: Backups simulated at most (a year of hourly backups, and some).
_MAX_HISTORY = 20000


@dataclasses.dataclass(frozen=True)
class Need:
    """What one volume holds at steady state."""

    backups: int
    gigabytes: int

    def __add__(self, other: 'Need') -> 'Need':
        return Need(self.backups + other.backups,
                    self.gigabytes + other.gigabytes)


NOTHING = Need(0, 0)


@functools.lru_cache(maxsize=256)
def backups_kept(interval: datetime.timedelta, rules: retention.Rules,
                 full_backup_depth: int) -> int:
    """Most backups of one volume kept at once, at steady state."""
    if interval <= datetime.timedelta(0):
        raise ValueError('the interval must be positive')
    horizon = max(rules.retention, rules.ceiling or rules.retention)
    count = min(int(horizon / interval) + 2 * (full_backup_depth + 2),
                _MAX_HISTORY)
    cycle = full_backup_depth + 1
    items = []
    for number in range(count):
        parent = None if number % cycle == 0 else number  # 1-based ids
        items.append(retention.Item(number + 1, _EPOCH + number * interval,
                                    states.AVAILABLE, parent))
    most = 0
    # The newest backup at each position of a chain: the count it keeps
    # goes up and down with the chain.
    for last in range(count - cycle, count):
        now = items[last].time
        verdicts = retention.plan(items[:last + 1], rules, now)
        most = max(most, sum(1 for v in verdicts if v.keep))
    return most


def need(size_gb: int, interval: datetime.timedelta,
         rules: retention.Rules, full_backup_depth: int) -> Need:
    """What one volume of ``size_gb`` needs at steady state."""
    kept = backups_kept(interval, rules, full_backup_depth)
    return Need(kept, kept * max(size_gb, 0))


@dataclasses.dataclass
class Shortfall:
    """A quota that will not hold what the rules keep."""

    resource: str
    needed: int
    limit: int

    def __str__(self) -> str:
        unit = ' GB' if self.resource == 'backup_gigabytes' else ''
        return (f'{self.resource}: {self.needed}{unit} needed at steady '
                f'state, the quota is {self.limit}{unit}')


def shortfalls(total: Need, quota: dict) -> list[Shortfall]:
    """Where ``quota`` (Cinder's backup quota) will not hold ``total``.

    Unlimited quotas (-1) never fall short.
    """
    found = []
    for resource, needed in (('backups', total.backups),
                             ('backup_gigabytes', total.gigabytes)):
        limit = quota.get(resource, {}).get('limit', -1)
        if 0 <= limit < needed:
            found.append(Shortfall(resource, needed, limit))
    return found
