"""Which volumes are due, under which policy, and for which kind of backup.

A volume is decided once per protection policy that protects it: its
history under that policy (chains are per policy), the policy's timetable
(:mod:`.timetable`) and its full-backup rule. Only good (available) backups
count toward the interval and the depth of an incremental chain; failed or
cancelled ones never do.

Cinder chooses an incremental's parent itself: the volume's newest
available backup, whoever made it. So a policy makes an incremental only
when that backup is the last of its own chain; when another policy's
backup of the volume is newer, it makes a full one.
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
    #: The policy decided for (its id), and when the volume is next due.
    policy_id: int | None = None
    next_due: datetime.datetime | None = None


def chain_depth(task, by_id: dict) -> int | None:
    """Incrementals between ``task`` and its full, or None if unknown."""
    depth = 0
    while task.backup_type == INCREMENTAL:
        task = by_id.get(task.parent_id)
        if task is None:
            return None
        depth += 1
    return depth


def _chain_full(task, by_id: dict):
    while task is not None and task.backup_type == INCREMENTAL:
        task = by_id.get(task.parent_id)
    return task


def timetable_of(policy, interval_override: datetime.timedelta | None):
    """The policy's timetable, with the server's interval on intervals."""
    table = policy.timetable
    if interval_override and table.interval is not None:
        return dataclasses.replace(table, interval=interval_override)
    return table


def newest_good(tasks: list):
    """The newest available backup among ``tasks`` (any policy)."""
    good = [t for t in tasks if t.status == states.AVAILABLE]
    return max(good, key=lambda t: (t.started_at, t.id)) if good else None


def decide(volume_id: str, history: list, policy,
           interval_override: datetime.timedelta | None,
           first_seen: datetime.datetime,
           now: datetime.datetime, newest=None) -> Decision:
    """Decide for one volume and one policy from the policy's tasks.

    ``newest`` is the volume's newest good backup of any policy (None:
    the policy's own last one).
    """
    busy = [t for t in history if t.status != states.AVAILABLE]
    if busy:
        return Decision(volume_id, False, policy_id=policy.id,
                        reason=f'task {busy[0].uuid} is {busy[0].status}')
    good = sorted((t for t in history if t.status == states.AVAILABLE),
                  key=lambda t: (t.started_at, t.id))
    table = timetable_of(policy, interval_override)
    last = good[-1] if good else None
    due_at = table.next_due(volume_id, policy.name,
                            last.started_at if last else None, first_seen)
    decision = Decision(volume_id, now >= due_at, policy_id=policy.id,
                        next_due=due_at)
    if not decision.due:
        decision.reason = _waiting(table, last, due_at, now)
        return decision
    if last is None:
        decision.backup_type, decision.reason = FULL, 'no good backup yet'
        return decision
    return next_kind(decision, policy, last, {t.id: t for t in good}, now,
                     newest)


def _waiting(table, last, due_at: datetime.datetime,
             now: datetime.datetime) -> str:
    if table.interval is not None and not table.jitter and \
            table.window is None and last is not None:
        age = now - last.started_at
        return (f'last good backup is {duration.format(age)} old, due after '
                f'{duration.format(table.interval)}')
    local = due_at.astimezone(table.tz)
    text = f'due at {local:%Y-%m-%d %H:%M} {table.timezone}'
    if table.timezone != 'UTC':
        text += f' ({due_at:%Y-%m-%d %H:%M} UTC)'
    return text


def next_kind(decision: Decision, policy, last, by_id: dict,
              now: datetime.datetime, newest=None) -> Decision:
    """Full or incremental, by the policy's full-backup rules.

    ``newest``: the volume's newest good backup of any policy, the one
    Cinder would make an incremental on.
    """
    depth_limit = policy.full_backup_depth
    if depth_limit == 0:
        decision.backup_type, decision.reason = FULL, 'always full'
        return decision
    if newest is not None and newest.id != last.id:
        decision.backup_type = FULL
        decision.reason = ('a newer backup of the volume is not of this '
                           'policy (Cinder would chain onto it)')
        return decision
    depth = chain_depth(last, by_id)
    if depth is None or depth >= depth_limit:
        decision.backup_type = FULL
        decision.reason = 'incremental chain is complete'
        return decision
    full = _chain_full(last, by_id)
    if policy.full_interval and full is not None and \
            now - full.started_at >= policy.full_interval:
        decision.backup_type = FULL
        decision.reason = (f'the last full backup is older than '
                           f'{duration.format(policy.full_interval)}')
        return decision
    decision.backup_type, decision.parent_id = INCREMENTAL, last.id
    decision.reason = f'incremental {depth + 1} of {depth_limit}'
    return decision


def belongs(task, policy) -> bool:
    """Whether ``task`` is one of ``policy``'s.

    A task without a policy is the default policy's, as the migration that
    added policies made every task then.
    """
    if task.policy_id is None:
        return policy.name == 'default'
    return task.policy_id == policy.id


def plan(candidates: list, histories: dict[str, list],
         first_seen: dict[str, datetime.datetime],
         now: datetime.datetime) -> list[tuple]:
    """``(candidate, policy, decision)`` for every candidate and policy.

    A candidate that is not eligible has one row with no policy and no
    decision (its ``skip_reason`` says why).
    """
    rows = []
    for candidate in candidates:
        if not candidate.eligible:
            rows.append((candidate, None, None))
            continue
        tasks = histories.get(candidate.volume.id, [])
        seen = first_seen.get(candidate.volume.id, now)
        newest = newest_good(tasks)
        for policy in candidate.policies:
            mine = [t for t in tasks if belongs(t, policy)]
            rows.append((candidate, policy, decide(
                candidate.volume.id, mine, policy,
                candidate.interval_override, seen, now, newest)))
    return rows
