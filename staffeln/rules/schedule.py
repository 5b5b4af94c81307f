"""Which volumes are due, and whether for a full or an incremental backup.

Only good (available) backups count toward the interval and the depth of an
incremental chain; failed or cancelled ones never do.
"""

import dataclasses
import datetime

from staffeln.common import duration
from staffeln.db import states

FULL = 'full'
INCREMENTAL = 'incremental'


@dataclasses.dataclass
class Decision:
    volume_id: str
    due: bool
    backup_type: str | None = None
    parent_id: int | None = None
    reason: str = ''


def chain_depth(task, by_id: dict) -> int | None:
    """Incrementals between ``task`` and its full, or None if unknown."""
    depth = 0
    while task.backup_type == INCREMENTAL:
        task = by_id.get(task.parent_id)
        if task is None:
            return None
        depth += 1
    return depth


def decide(volume_id: str, history: list, interval: datetime.timedelta,
           full_backup_depth: int, now: datetime.datetime) -> Decision:
    """Decide for one volume from its good and in-progress tasks."""
    busy = [t for t in history if t.status != states.AVAILABLE]
    if busy:
        return Decision(volume_id, False,
                        reason=f'task {busy[0].uuid} is {busy[0].status}')
    good = sorted((t for t in history if t.status == states.AVAILABLE),
                  key=lambda t: (t.started_at, t.id))
    if not good:
        return Decision(volume_id, True, FULL, reason='no good backup yet')
    last = good[-1]
    age = now - last.started_at
    if age < interval:
        return Decision(volume_id, False, reason=(
            f'last good backup is {duration.format(age)} old, due after '
            f'{duration.format(interval)}'))
    if full_backup_depth == 0:
        return Decision(volume_id, True, FULL, reason='always full')
    depth = chain_depth(last, {t.id: t for t in good})
    if depth is None or depth >= full_backup_depth:
        return Decision(volume_id, True, FULL,
                        reason='incremental chain is complete')
    return Decision(volume_id, True, INCREMENTAL, parent_id=last.id,
                    reason=f'incremental {depth + 1} of {full_backup_depth}')


def plan(candidates: list, histories: dict[str, list],
         full_backup_depth: int, now: datetime.datetime) -> list[tuple]:
    """``(candidate, decision)`` for every candidate, in order.

    The decision is None for a candidate that is not eligible (it says
    why in its ``skip_reason``).
    """
    rows = []
    for candidate in candidates:
        if not candidate.eligible:
            rows.append((candidate, None))
            continue
        rows.append((candidate, decide(
            candidate.volume.id, histories.get(candidate.volume.id, []),
            datetime.timedelta(seconds=candidate.interval_s),
            full_backup_depth, now)))
    return rows
