"""Injected faults: HTTP errors and delays, and backup outcomes."""

from __future__ import annotations

import dataclasses
import random
import re
import threading
from typing import Any

_DEFAULT_MESSAGES = {
    500: 'The server has either erred or is incapable of performing the '
         'requested operation.',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
}


@dataclasses.dataclass
class FaultRule:
    """The next ``count`` calls matching method and path get this answer.

    ``status`` None with a ``delay`` only slows the call down; ``count`` None
    means every matching call, until the rule is removed. With ``after``,
    the call is carried out first and then its answer is delayed or
    replaced: a lost answer to a request that took effect. ``ratio`` below
    1 makes the rule apply to that share of matching calls only, drawn
    from a seeded generator.
    """

    method: str | None = None
    path_regex: str = '.*'
    status: int | None = 503
    count: int | None = 1
    delay: float = 0.0
    message: str | None = None
    after: bool = False
    ratio: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self.method = self.method.upper() if self.method else None
        self._pattern = re.compile(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method == method.upper())
                and self._pattern.search(path) is not None)

    @property
    def error_message(self) -> str:
        if self.message:
            return self.message
        return _DEFAULT_MESSAGES.get(self.status or 0,
                                     f'Injected fault {self.status}')

    def to_dict(self) -> dict[str, Any]:
        return {'method': self.method, 'path_regex': self.path_regex,
                'status': self.status, 'count': self.count,
                'delay': self.delay, 'message': self.message,
                'after': self.after, 'ratio': self.ratio,
                'seed': self.seed}


class FaultSet:
    """The injected HTTP faults, consumed first-added first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(self, method: str | None = None, path_regex: str = '.*',
            status: int | None = 503, count: int | None = 1,
            delay: float = 0.0, message: str | None = None,
            after: bool = False, ratio: float = 1.0,
            seed: int = 0) -> FaultRule:
        rule = FaultRule(method=method, path_regex=path_regex, status=status,
                         count=count, delay=delay, message=message,
                         after=after, ratio=ratio, seed=seed)
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first rule matching this call, its count used up by one."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    if rule.ratio < 1 and rule._random.random() >= rule.ratio:
                        continue
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count <= 0:
                            self._rules.remove(rule)
                    return rule
        return None


@dataclasses.dataclass
class Outcome:
    """What happens to the next matching backup (or backup deletion)."""

    kind: str  # 'error' or 'stuck'
    volume_id: str | None
    count: int
    reason: str | None = None


class OutcomeQueue:
    """Planned outcomes, consumed by matching operations in order."""

    def __init__(self) -> None:
        self._items: list[Outcome] = []

    def push(self, outcome: Outcome) -> None:
        if outcome.count > 0:
            self._items.append(outcome)

    def take(self, key: str) -> Outcome | None:
        for outcome in self._items:
            if outcome.volume_id in (None, key):
                outcome.count -= 1
                if outcome.count <= 0:
                    self._items.remove(outcome)
                return outcome
        return None

    def clear(self) -> None:
        self._items.clear()
