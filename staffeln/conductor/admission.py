"""Admission: caps on backups in flight, fair order, and the quota check."""

import collections
import datetime

from staffeln.db import api_claims


def fair_order(tasks: list) -> list:
    """Round-robin over projects, oldest task first within a project."""
    queues = collections.OrderedDict()
    for task in sorted(tasks, key=lambda t: t.id):
        queues.setdefault(task.project_id, collections.deque()).append(task)
    ordered = []
    while queues:
        for project in list(queues):
            ordered.append(queues[project].popleft())
            if not queues[project]:
                del queues[project]
    return ordered


#: Most tasks a conductor claims at once.
BATCH = 20


class Slots:
    """Free places under the global and per-project in-flight caps."""

    def __init__(self, in_flight: dict, max_total: int, max_project: int):
        self.in_flight = dict(in_flight)
        self.max_total = max_total
        self.max_project = max_project

    def free(self, project_id: str) -> bool:
        return (sum(self.in_flight.values()) < self.max_total and
                self.in_flight.get(project_id, 0) < self.max_project)

    def full(self) -> bool:
        return sum(self.in_flight.values()) >= self.max_total

    def take(self, project_id: str) -> None:
        self.in_flight[project_id] = self.in_flight.get(project_id, 0) + 1

    def refused(self, project_id: str, cap: str) -> None:
        """The database said a cap is reached (another conductor's starts).

        ``cap`` is :data:`api_claims.GLOBAL_CAP` or ``PROJECT_CAP``.
        """
        if cap == api_claims.GLOBAL_CAP:
            self.max_total = 0
        else:
            self.in_flight[project_id] = self.max_project

    def pick(self, tasks: list) -> tuple[list, list]:
        """As many of ``tasks`` as the free slots could take, and the rest.

        At most :data:`BATCH` are picked, so that several conductors share
        a long queue. The slots are not taken: a task picked may still be
        held back.
        """
        room = min(BATCH, self.max_total - sum(self.in_flight.values()))
        taken = collections.Counter()
        picked, rest = [], []
        for task in tasks:
            project = task.project_id
            if len(picked) < room and self.in_flight.get(project, 0) + \
                    taken[project] < self.max_project:
                picked.append(task)
                taken[project] += 1
            else:
                rest.append(task)
        return picked, rest


class QuotaBook:
    """Each project's backup quota, read once per cycle and kept current.

    ``cache`` maps a project to ``(read at, quota)``; the caller keeps it
    from one pass to the next, and a quota older than ``max_age`` (the
    discovery interval) is read again, as is that of a project whose
    backup could not be created.
    """

    def __init__(self, cloud, cache: dict | None = None,
                 now: datetime.datetime | None = None,
                 max_age: datetime.timedelta | None = None):
        self.cloud = cloud
        self._cache: dict[str, tuple] = {} if cache is None else cache
        self.now = now
        self.max_age = max_age

    def _quota(self, project_id: str) -> tuple[dict, bool]:
        """The project's quota, and whether it was read just now."""
        entry = self._cache.get(project_id)
        if entry is not None and (self.max_age is None
                                  or self.now - entry[0] < self.max_age):
            return entry[1], False
        quota = self.cloud.get_backup_quota(project_id, retry=False)
        self._cache[project_id] = (self.now, quota)
        return quota, True

    def refusal(self, project_id: str, size_gb: int) -> str | None:
        """Why a backup of ``size_gb`` would exceed the quota, or None.

        A refusal is never made on a quota read earlier: retention may
        have freed room since.
        """
        quota, fresh = self._quota(project_id)
        refusal = self._refusal(quota, size_gb)
        if refusal and not fresh:
            self.forget(project_id)
            refusal = self._refusal(self._quota(project_id)[0], size_gb)
        return refusal

    @staticmethod
    def _refusal(quota: dict, size_gb: int) -> str | None:
        for key, need, unit in (('backups', 1, ''),
                                ('backup_gigabytes', size_gb, ' GB')):
            limit = quota[key]['limit']
            if limit < 0:
                continue
            used = quota[key]['in_use'] + quota[key]['reserved']
            if used + need > limit:
                return (f'quota exceeded: {key} limit is {limit}{unit}, '
                        f'{used}{unit} used, {need}{unit} more needed')
        return None

    def charge(self, project_id: str, size_gb: int) -> None:
        entry = self._cache.get(project_id)
        if entry:
            entry[1]['backups']['in_use'] += 1
            entry[1]['backup_gigabytes']['in_use'] += size_gb

    def forget(self, project_id: str) -> None:
        self._cache.pop(project_id, None)
