"""Durations in Staffeln's one format: ``1y2mon3w4d5h6min7s``.

Every part is optional, but at least one must be present and parts must come in
that order. ``0s`` is a valid (zero) duration. A month is 30 days and a year is
365 days, so a duration is always a fixed number of seconds.
"""

import datetime
import re

from oslo_config import types

UNITS = (
    ('y', 365 * 86400),
    ('mon', 30 * 86400),
    ('w', 7 * 86400),
    ('d', 86400),
    ('h', 3600),
    ('min', 60),
    ('s', 1),
)

_PATTERN = re.compile(
    r'^' + ''.join(r'(?:(?P<%s>\d+)%s)?' % (unit, unit) for unit, _ in UNITS)
    + r'$')

FORMAT_HELP = ('Durations are written as 1y2mon3w4d5h6min7s with every part '
               'optional (for example 1d, 6h, 30min, 45s, 2w3d); a month is '
               '30 days and a year 365 days.')


class InvalidDuration(ValueError):
    """A text that is not a duration in Staffeln's format."""


def parse(text: str) -> datetime.timedelta:
    """Parse a duration such as ``2w3d`` into a timedelta.

    :raises InvalidDuration: with a message that names the bad value.
    """
    if not isinstance(text, str):
        raise InvalidDuration(f'{text!r} is not a duration')
    value = text.strip().lower()
    match = _PATTERN.match(value) if value else None
    if not match or not any(match.groupdict().values()):
        raise InvalidDuration(
            f'{text!r} is not a duration; expected a value like 1d, 6h, '
            f'30min, 45s or 2w3d (units: y, mon, w, d, h, min, s)')
    seconds = sum(int(match.group(unit) or 0) * size for unit, size in UNITS)
    return datetime.timedelta(seconds=seconds)


def format(delta: datetime.timedelta) -> str:
    """Render a timedelta in the same format, largest units first."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return '0s'
    parts = []
    for unit, size in UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f'{count}{unit}')
    return ''.join(parts)


class Duration(types.ConfigType):
    """An oslo.config type for durations, with optional bounds."""

    def __init__(self, min: str | None = None, max: str | None = None,
                 type_name: str = 'duration value'):
        super().__init__(type_name=type_name)
        self.min = parse(min) if min is not None else None
        self.max = parse(max) if max is not None else None

    def __call__(self, value):
        if isinstance(value, datetime.timedelta):
            delta = value
        else:
            try:
                delta = parse(value)
            except InvalidDuration as exc:
                raise ValueError(str(exc))
        if self.min is not None and delta < self.min:
            raise ValueError(f'{value!r} is shorter than the minimum '
                             f'{format(self.min)}')
        if self.max is not None and delta > self.max:
            raise ValueError(f'{value!r} is longer than the maximum '
                             f'{format(self.max)}')
        return delta

    def __repr__(self):
        return 'Duration'

    def __eq__(self, other):
        return (self.__class__ == other.__class__ and
                self.min == other.min and self.max == other.max)

    def _formatter(self, value):
        if isinstance(value, datetime.timedelta):
            return format(value)
        return str(value)
