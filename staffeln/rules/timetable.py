"""When a protection policy backs a volume up: schedule, window, jitter.

A schedule is written one of three ways:

* an interval: ``6h``, ``1d`` (a duration);
* a cron expression: ``0 2 * * 1,3,5`` (see :mod:`.cron`);
* a shorthand: ``daily at 02:00``, ``weekly on mon,wed,fri at 02:00``,
  ``hourly at :30``, which are cron expressions too.

Times are local to the policy's time zone. A **window** (``22:00-06:00``,
it may span midnight) is when backups of the policy may start; none starts
outside it. **Jitter** gives each volume a stable offset, derived from its
id and the policy's name, inside the window (or, without one, inside the
schedule's period), so that a thousand volumes do not all start at once,
and a volume keeps its slot across restarts.

When is a volume due:

* an interval schedule: when its last good backup is older than the
  interval; with jitter, at the volume's slot instead (slots are
  ``interval`` apart, shifted by its offset, the first no earlier than half
  an interval after the last backup); a volume with no backup yet is due at
  once;
* a cron schedule: at each run of the expression (plus the volume's
  offset) that came after its last good backup; a volume with no backup
  yet waits for the next run.

Either way, a due time outside the window moves to the window's next
opening plus the volume's offset within it.
"""

import dataclasses
import datetime
import hashlib
import re
import zoneinfo

from staffeln.common import duration
from staffeln.rules import cron

UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(2000, 1, 3, tzinfo=UTC)  # a Monday
_DAYS = {'sun': 0, 'mon': 1, 'tue': 2, 'wed': 3, 'thu': 4, 'fri': 5,
         'sat': 6}
_DAILY = re.compile(r'^daily at (\d{1,2}):(\d{2})$')
_WEEKLY = re.compile(r'^weekly on ([a-z,]+) at (\d{1,2}):(\d{2})$')
_HOURLY = re.compile(r'^hourly at :(\d{2})$')
_WINDOW = re.compile(r'^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$')


class InvalidSchedule(ValueError):
    """A schedule, window or time zone that cannot be read."""


def _clock_time(hour: str, minute: str, what: str) -> datetime.time:
    if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise InvalidSchedule(f'{what} {hour}:{minute} is not a time of day')
    return datetime.time(int(hour), int(minute))


def shorthand_to_cron(text: str) -> str | None:
    """The cron expression of a shorthand, or None if it is none."""
    value = ' '.join(text.lower().split())
    match = _DAILY.match(value)
    if match:
        at = _clock_time(*match.groups(), 'daily at')
        return f'{at.minute} {at.hour} * * *'
    match = _WEEKLY.match(value)
    if match:
        days, hour, minute = match.groups()
        at = _clock_time(hour, minute, 'weekly at')
        numbers = []
        for day in days.split(','):
            if day not in _DAYS:
                raise InvalidSchedule(
                    f'{day!r} is not a weekday (mon, tue, wed, thu, fri, '
                    f'sat, sun)')
            numbers.append(str(_DAYS[day]))
        return f'{at.minute} {at.hour} * * {",".join(numbers)}'
    match = _HOURLY.match(value)
    if match:
        minute = int(match.group(1))
        if minute > 59:
            raise InvalidSchedule(f'hourly at :{minute:02d} is not a minute')
        return f'{minute} * * * *'
    return None


@dataclasses.dataclass(frozen=True)
class Window:
    """Local times of day between which backups may start."""

    start: datetime.time
    end: datetime.time

    @classmethod
    def parse(cls, text: str) -> 'Window':
        match = _WINDOW.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise InvalidSchedule(f'{text!r} is not a window; expected '
                                  f'HH:MM-HH:MM, like 22:00-06:00')
        start = _clock_time(match.group(1), match.group(2), 'window start')
        end = _clock_time(match.group(3), match.group(4), 'window end')
        if start == end:
            raise InvalidSchedule(f'the window {text} is empty: it starts '
                                  f'and ends at the same time')
        return cls(start, end)

    def __str__(self) -> str:
        return f'{self.start:%H:%M}-{self.end:%H:%M}'

    @property
    def length(self) -> datetime.timedelta:
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        return datetime.timedelta(minutes=(end - start) % (24 * 60))

    def opening(self, when: datetime.datetime,
                tz: zoneinfo.ZoneInfo) -> datetime.datetime:
        """The start of the window open at ``when``, or of the next one."""
        local = when.astimezone(tz)
        for days in (-1, 0, 1):
            day = local.date() + datetime.timedelta(days=days)
            opens = _local(day, self.start, tz)
            if opens <= when < opens + self.length or opens > when:
                return opens
        raise AssertionError('a window opens every day')


def _local(day: datetime.date, at: datetime.time,
           tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The UTC instant of a local wall time (DST handled as in cron)."""
    return cron._instant(datetime.datetime.combine(day, at, tzinfo=tz), tz)


def offset(volume_id: str, policy_name: str,
           span: datetime.timedelta) -> datetime.timedelta:
    """The volume's stable place within ``span``, whole seconds."""
    seconds = int(span.total_seconds())
    if seconds <= 0:
        return datetime.timedelta(0)
    digest = hashlib.sha256(f'{policy_name}/{volume_id}'.encode()).digest()
    return datetime.timedelta(
        seconds=int.from_bytes(digest[:8], 'big') % seconds)


@dataclasses.dataclass(frozen=True)
class Timetable:
    """The timing of one protection policy."""

    schedule: str
    timezone: str = 'UTC'
    window: Window | None = None
    jitter: bool = True
    #: Exactly one of these two is set.
    interval: datetime.timedelta | None = None
    expression: cron.Cron | None = None
    #: The slots in a window end this much before it closes (at most half
    #: of it), so that a conductor that looks only this often still
    #: starts each backup inside the window.
    margin: datetime.timedelta = datetime.timedelta(0)

    @classmethod
    def parse(cls, schedule: str, timezone: str = 'UTC',
              window: str | None = None, jitter: bool = True,
              margin: datetime.timedelta = datetime.timedelta(0)
              ) -> 'Timetable':
        """:raises InvalidSchedule: naming the field that is wrong."""
        try:
            cron.zone(timezone)
        except cron.InvalidCron as exc:
            raise InvalidSchedule(f'timezone: {exc}') from None
        try:
            parsed = Window.parse(window) if window else None
        except InvalidSchedule as exc:
            raise InvalidSchedule(f'window: {exc}') from None
        text = ' '.join(str(schedule or '').split())
        try:
            interval = duration.parse(text)
        except duration.InvalidDuration:
            interval = None
        if interval is not None:
            # 0s: due at every discovery.
            return cls(text, timezone, parsed, jitter, interval=interval,
                       margin=margin)
        expression = shorthand_to_cron(text) or text
        try:
            expression = cron.Cron.parse(expression)
        except cron.InvalidCron as exc:
            raise InvalidSchedule(
                f'schedule: {exc}; a schedule is an interval (6h), a cron '
                f'expression (0 2 * * 1,3,5), "daily at 02:00" or "weekly '
                f'on mon,fri at 02:00"') from None
        return cls(text, timezone, parsed, jitter, expression=expression,
                   margin=margin)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return cron.zone(self.timezone)

    def period(self, after: datetime.datetime) -> datetime.timedelta:
        """The time from the run after ``after`` to the one after that."""
        if self.interval is not None:
            return self.interval
        first = self.expression.next_after(after, self.tz)
        return self.expression.next_after(first, self.tz) - first

    def runs(self, after: datetime.datetime, count: int) -> list:
        """The next ``count`` runs of the schedule itself (no jitter).

        None for a 0s interval, due at every discovery.
        """
        if self.interval is not None and not self.interval:
            return []
        found, when = [], after
        for _ in range(count):
            if self.interval is not None:
                when = _EPOCH + ((when - _EPOCH) // self.interval + 1) \
                    * self.interval
            else:
                when = self.expression.next_after(when, self.tz)
            found.append(self._in_window(when, datetime.timedelta(0)))
        return found

    def next_due(self, volume_id: str, name: str,
                 last: datetime.datetime | None,
                 first_seen: datetime.datetime) -> datetime.datetime:
        """When the volume is next due, given its last good backup."""
        if self.interval is not None:
            if last is None:
                slot = first_seen
            elif not self.jitter or not self.interval:
                slot = last + self.interval
            else:
                shift = offset(volume_id, name, self.interval)
                earliest = last + self.interval / 2
                steps = -((_EPOCH + shift - earliest) // self.interval)
                slot = _EPOCH + shift + steps * self.interval
            return self._in_window(slot, self._window_shift(volume_id, name))
        fire = self.expression.next_after(last or first_seen, self.tz)
        if not self.jitter:
            return self._in_window(fire, datetime.timedelta(0))
        if self.window is None:
            return fire + offset(volume_id, name, self.period(fire))
        # Every volume has the same runs: spread them within the window.
        return self._in_window(fire, self._window_shift(volume_id, name),
                               spread=True)

    def slot(self, volume_id: str, name: str) -> datetime.timedelta | None:
        """The volume's jitter after the window opens (None: no slot)."""
        if self.window is None or not self.jitter:
            return None
        return self._window_shift(volume_id, name)

    def _window_shift(self, volume_id: str,
                      name: str) -> datetime.timedelta:
        if self.window is None or not self.jitter:
            return datetime.timedelta(0)
        return offset(volume_id, name, self._spread())

    def _spread(self) -> datetime.timedelta:
        """The part of the window the slots are spread over."""
        length = self.window.length
        return length - min(self.margin, length / 2)

    def _in_window(self, when: datetime.datetime,
                   shift: datetime.timedelta,
                   spread: bool = False) -> datetime.datetime:
        """``when`` moved into the window.

        A time outside the window moves to the window's next opening plus
        ``shift``; a time inside stays, or with ``spread`` moves by
        ``shift`` within what is left of the window.
        """
        if self.window is None:
            return when
        opens = self.window.opening(when, self.tz)
        closes = opens + self.window.length
        if opens > when:
            return opens + shift
        if not spread:
            return when
        left = int((closes - (self.window.length - self._spread())
                    - when).total_seconds())
        return when + datetime.timedelta(
            seconds=int(shift.total_seconds()) % max(left, 1))

    def window_open(self, when: datetime.datetime) -> bool:
        """Whether a backup of the policy may start at ``when``."""
        if self.window is None:
            return True
        return self.window.opening(when, self.tz) <= when

    def next_opening(self, when: datetime.datetime, volume_id: str,
                     name: str) -> datetime.datetime:
        """When a volume held by a closed window may start."""
        return self._in_window(when, self._window_shift(volume_id, name))
