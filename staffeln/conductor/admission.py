"""Admission: caps on backups in flight, fair order, and the quota check."""

import collections


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


class QuotaBook:
    """Each project's backup quota, read once per pass and kept current."""

    def __init__(self, cloud):
        self.cloud = cloud
        self._quotas: dict[str, dict] = {}

    def refusal(self, project_id: str, size_gb: int) -> str | None:
        """Why a backup of ``size_gb`` would exceed the quota, or None."""
        quota = self._quotas.get(project_id)
        if quota is None:
            quota = self._quotas[project_id] = self.cloud.get_backup_quota(
                project_id, retry=False)
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
        quota = self._quotas.get(project_id)
        if quota:
            quota['backups']['in_use'] += 1
            quota['backup_gigabytes']['in_use'] += size_gb

    def forget(self, project_id: str) -> None:
        self._quotas.pop(project_id, None)
