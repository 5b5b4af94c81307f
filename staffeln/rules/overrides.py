"""Per-server settings read from metadata, bounded by the operator.

A tenant writes these keys on a server; each value is parsed and clamped
here, and a value that cannot be taken as it stands is reported for that
server only (the default or the nearest bound applies instead).
"""

import dataclasses
import datetime

from staffeln.common import duration

TRUE_VALUES = frozenset(('yes', 'true', '1', 'on'))

#: Metadata keys a server may set to override the operator's defaults.
INTERVAL_KEY = 'backup_interval'
RETENTION_KEY = 'backup_retention'
KEEP_KEY = 'backup_keep'
#: Every override key, in the order they are reported.
KEYS = (INTERVAL_KEY, RETENTION_KEY, KEEP_KEY)


def is_true(value) -> bool:
    """Whether a metadata value opts in: yes, true, 1 or on, any case."""
    return str(value).strip().lower() in TRUE_VALUES if value else False


@dataclasses.dataclass
class Clamped:
    """The value that applies, and why the override was not taken.

    ``problem`` is None when the override was taken as it stood.
    """

    value: datetime.timedelta
    problem: str | None = None


def clamp_duration(key: str, raw: str | None, default: datetime.timedelta,
                   minimum: datetime.timedelta,
                   maximum: datetime.timedelta) -> Clamped:
    """The duration a server asks for under ``key``, within the bounds.

    Unset: the default. Unreadable: the default, with the reason. Outside
    the bounds: the nearest bound, with the reason.
    """
    if raw is None:
        return Clamped(default)
    try:
        wanted = duration.parse(raw)
    except duration.InvalidDuration as exc:
        return Clamped(default, f'{key} ignored: {exc}; using the default '
                                f'{duration.format(default)}')
    if wanted < minimum:
        return Clamped(minimum, (
            f'{key} {raw} is shorter than the minimum '
            f'{duration.format(minimum)}; using the minimum'))
    if wanted > maximum:
        return Clamped(maximum, (
            f'{key} {raw} is longer than the maximum '
            f'{duration.format(maximum)}; using the maximum'))
    return Clamped(wanted)


def backup_interval(metadata: dict, default: datetime.timedelta,
                    minimum: datetime.timedelta,
                    maximum: datetime.timedelta) -> Clamped:
    """The interval a server asks for, clamped to the operator's bounds."""
    return clamp_duration(INTERVAL_KEY, metadata.get(INTERVAL_KEY), default,
                          minimum, maximum)
