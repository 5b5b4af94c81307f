"""Durations in Staffeln's one format: ``1y2mon3w4d5h6min7s``.

Every part is optional, but at least one must be present and parts must come in
that order. ``0s`` is a valid (zero) duration. A month is 30 days and a year is
365 days, so a duration is always a fixed number of seconds. No duration is
longer than :data:`MAXIMUM` (100 years): tenants write durations in server
metadata, and a value of any size must be refused with a message, never
break the code that reads it.
"""

import datetime
import re

from oslo_config import types

from staffeln.common.text import quote as _quote

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

#: The longest duration accepted anywhere.
MAXIMUM = datetime.timedelta(days=100 * 365)
#: Digits a part may have; more cannot be a duration up to MAXIMUM.
_MAX_DIGITS = 12

FORMAT_HELP = ('Durations are written as 1y2mon3w4d5h6min7s with every part '
               'optional (for example 1d, 6h, 30min, 45s, 2w3d); a month is '
               '30 days and a year 365 days. A bare integer is a number of '
               'seconds.')


class InvalidDuration(ValueError):
    """A text that is not a duration in Staffeln's format."""


def parse(text: str) -> datetime.timedelta:
    """Parse a duration such as ``2w3d`` into a timedelta.

    :raises InvalidDuration: with a message that names the bad value, for
        anything that is not a duration up to :data:`MAXIMUM`.
    """
    if not isinstance(text, str):
        raise InvalidDuration(f'{_quote(text)} is not a duration')
    value = text.strip().lower()
    match = _PATTERN.match(value) if len(value) <= 100 else None
    if not match or not any(match.groupdict().values()):
        raise InvalidDuration(
            f'{_quote(text)} is not a duration; expected a value like 1d, '
            f'6h, 30min, 45s or 2w3d (units: y, mon, w, d, h, min, s)')
    parts = {unit: match.group(unit) or '0' for unit, _ in UNITS}
    if any(len(digits.lstrip('0')) > _MAX_DIGITS
           for digits in parts.values()):
        raise _too_long(text)
    seconds = sum(int(parts[unit]) * size for unit, size in UNITS)
    if seconds > MAXIMUM.total_seconds():
        raise _too_long(text)
    return datetime.timedelta(seconds=seconds)


def _too_long(text) -> InvalidDuration:
    return InvalidDuration(
        f'{_quote(text)} is longer than the longest duration accepted, '
        f'{format(MAXIMUM)}')


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


def parse_option(value) -> datetime.timedelta:
    """A duration in a configuration file: a bare integer is seconds.

    Options that took seconds before they took durations keep reading
    their old values.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = value.strip() + 's'
    return parse(value)


class Duration(types.ConfigType):
    """An oslo.config type for durations, with optional bounds.

    A bare integer is a number of seconds.
    """

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
                delta = parse_option(value)
            except InvalidDuration as exc:
                raise ValueError(str(exc)) from None
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
