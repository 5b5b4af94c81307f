"""Cron expressions (five fields) evaluated in a named time zone.

``minute hour day-of-month month day-of-week``, with ``*``, lists
(``1,3,5``), ranges (``1-5``), steps (``*/15``, ``0-30/10``) and the names
of months and weekdays (``jan``, ``mon``); Sunday is 0 or 7. As in Vixie
cron, when both day fields are restricted a day matches either of them.

Times are local to the zone, and daylight saving time is handled so that a
schedule neither skips nor repeats a run: a local time that does not exist
(the hour skipped in spring) runs at the first instant after the gap; a
local time that exists twice (the hour repeated in autumn) runs once, at
its first occurrence.
"""

import dataclasses
import datetime
import zoneinfo

_FIELDS = (
    # name, lowest, highest
    ('minute', 0, 59),
    ('hour', 0, 23),
    ('day of month', 1, 31),
    ('month', 1, 12),
    ('day of week', 0, 7),
)
_MONTHS = {name: number for number, name in enumerate(
    ('jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct',
     'nov', 'dec'), start=1)}
_WEEKDAYS = {name: number for number, name in enumerate(
    ('sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'))}
#: Days looked ahead for the next run: a leap day, every four years.
_HORIZON_DAYS = 366 * 8 + 2


class InvalidCron(ValueError):
    """A cron expression that cannot be read; the message says where."""


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The time zone ``name`` (``Europe/Berlin``, ``UTC``).

    :raises InvalidCron: no such zone.
    """
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidCron(f'{name!r} is not a time zone (use names like '
                          f'UTC or Europe/Berlin)') from None


def _value(text: str, index: int) -> int:
    name, low, high = _FIELDS[index]
    names = _MONTHS if index == 3 else _WEEKDAYS if index == 4 else {}
    lowered = text.lower()
    if lowered in names:
        return names[lowered]
    if not text.isdigit():
        raise InvalidCron(f'{text!r} is not a valid {name}')
    number = int(text)
    if not low <= number <= high:
        raise InvalidCron(f'{name} {number} is not within {low}-{high}')
    return number


def _field(text: str, index: int) -> frozenset:
    name, low, high = _FIELDS[index]
    values = set()
    for part in text.split(','):
        base, _, step = part.partition('/')
        if step:
            if not step.isdigit() or int(step) == 0:
                raise InvalidCron(f'{part!r}: the step of the {name} must '
                                  f'be a whole number from 1')
        if base == '*':
            first, last = low, high
        elif '-' in base:
            start, _, end = base.partition('-')
            first, last = _value(start, index), _value(end, index)
            if first > last:
                raise InvalidCron(f'{part!r}: the {name} range is '
                                  f'backwards')
        else:
            first = last = _value(base, index)
            if step:
                last = high
        values.update(range(first, last + 1, int(step) if step else 1))
    if index == 4 and 7 in values:
        values.discard(7)
        values.add(0)
    return frozenset(values)


@dataclasses.dataclass(frozen=True)
class Cron:
    """A parsed cron expression; :meth:`next_after` finds its runs."""

    text: str
    minutes: frozenset
    hours: frozenset
    days: frozenset
    months: frozenset
    weekdays: frozenset
    #: Whether the day-of-month and day-of-week fields are restricted.
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> 'Cron':
        """:raises InvalidCron: with a message that names the bad field."""
        parts = text.split() if isinstance(text, str) else []
        if len(parts) != 5:
            raise InvalidCron(f'{text!r} is not a cron expression: it needs '
                              f'five fields (minute hour day-of-month month '
                              f'day-of-week)')
        fields = [_field(part, index) for index, part in enumerate(parts)]
        return cls(' '.join(parts), *fields, any_day=parts[2] == '*',
                   any_weekday=parts[4] == '*')

    def _day_matches(self, day: datetime.date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def next_after(self, after: datetime.datetime,
                   tz: zoneinfo.ZoneInfo) -> datetime.datetime:
        """The first run strictly after ``after``, as an aware UTC time."""
        after = after.astimezone(datetime.timezone.utc)
        day = after.astimezone(tz).date() - datetime.timedelta(days=1)
        for _ in range(_HORIZON_DAYS):
            if self._day_matches(day):
                for when in self._runs_of(day, tz):
                    if when > after:
                        return when
            day += datetime.timedelta(days=1)
        raise InvalidCron(f'{self.text!r} never runs')

    def _runs_of(self, day: datetime.date, tz: zoneinfo.ZoneInfo):
        """The day's runs, in order, each at most once."""
        seen = set()
        for hour in sorted(self.hours):
            for minute in sorted(self.minutes):
                local = datetime.datetime.combine(
                    day, datetime.time(hour, minute), tzinfo=tz)
                when = _instant(local, tz)
                if when not in seen:
                    seen.add(when)
                    yield when


def _instant(local: datetime.datetime,
             tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The UTC instant of a local wall time, DST gaps and folds handled."""
    first = local.replace(fold=0).astimezone(datetime.timezone.utc)
    if first.astimezone(tz).replace(tzinfo=None) != local.replace(
            tzinfo=None):
        # In a gap: the wall time does not exist. Run at the first instant
        # after the gap, which is where the later offset puts it.
        later = local.replace(fold=1).astimezone(datetime.timezone.utc)
        gap_end = min(first, later)
        return _gap_end(gap_end, tz)
    return first


def _gap_end(near: datetime.datetime,
             tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The first instant after a DST gap, found near ``near``."""
    before = near - datetime.timedelta(hours=3)
    offset = before.astimezone(tz).utcoffset()
    step = datetime.timedelta(minutes=1)
    when = before
    while when.astimezone(tz).utcoffset() == offset:
        when += step
    return when
