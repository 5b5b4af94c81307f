"""Time for Staffeln: always timezone-aware UTC, always injectable."""

import datetime
import threading
import time


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def as_utc(value: datetime.datetime | None) -> datetime.datetime | None:
    """Return ``value`` as an aware UTC datetime (naive values are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


class Clock:
    """The wall clock. Code takes a clock instead of calling now() itself."""

    def now(self) -> datetime.datetime:
        return utcnow()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class ManualClock(Clock):
    """A clock that only moves when told to: for tests and the simulator."""

    def __init__(self, start: datetime.datetime | None = None):
        self._lock = threading.Lock()
        self._now = as_utc(start) if start else datetime.datetime(
            2026, 1, 1, tzinfo=datetime.timezone.utc)

    def now(self) -> datetime.datetime:
        with self._lock:
            return self._now

    def advance(self, delta: datetime.timedelta | float) -> datetime.datetime:
        if not isinstance(delta, datetime.timedelta):
            delta = datetime.timedelta(seconds=delta)
        if delta < datetime.timedelta(0):
            raise ValueError('time does not run backwards')
        with self._lock:
            self._now += delta
            return self._now

    def sleep(self, seconds: float) -> None:
        """Waiting on a manual clock moves it forward at once."""
        self.advance(seconds)

    def set(self, when: datetime.datetime) -> None:
        with self._lock:
            self._now = as_utc(when)
