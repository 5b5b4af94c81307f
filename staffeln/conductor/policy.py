"""Per-server settings read from metadata, bounded by the operator."""

import dataclasses
import datetime

from staffeln.common import duration

TRUE_VALUES = frozenset(('yes', 'true', '1', 'on'))

INTERVAL_KEY = 'backup_interval'
RETENTION_KEY = 'backup_retention'
KEEP_KEY = 'backup_keep'


def is_true(value) -> bool:
    """Whether a metadata value opts in: yes, true, 1 or on, any case."""
    return str(value).strip().lower() in TRUE_VALUES if value else False


@dataclasses.dataclass
class Interval:
    value: datetime.timedelta
    #: Why the server's override was not taken as it stood, if it wasn't.
    problem: str | None = None


def backup_interval(metadata: dict, default: datetime.timedelta,
                    minimum: datetime.timedelta,
                    maximum: datetime.timedelta) -> Interval:
    """The interval a server asks for, clamped to the operator's bounds."""
    raw = metadata.get(INTERVAL_KEY)
    if raw is None:
        return Interval(default)
    try:
        wanted = duration.parse(raw)
    except duration.InvalidDuration as exc:
        return Interval(default, f'{INTERVAL_KEY} ignored: {exc}')
    if wanted < minimum:
        return Interval(minimum, (
            f'{INTERVAL_KEY} {raw} is shorter than the minimum '
            f'{duration.format(minimum)}; using the minimum'))
    if wanted > maximum:
        return Interval(maximum, (
            f'{INTERVAL_KEY} {raw} is longer than the maximum '
            f'{duration.format(maximum)}; using the maximum'))
    return Interval(wanted)
