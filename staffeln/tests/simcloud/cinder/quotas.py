"""Cinder's quotas: limits per project, usage counted as records change."""

from __future__ import annotations

from collections import Counter
from typing import Any

from staffeln.tests.simcloud import errors

# cinder/quota.py defaults (quota_volumes, quota_snapshots, ...).
CINDER_DEFAULTS: dict[str, int] = {
    'volumes': 10,
    'snapshots': 10,
    'gigabytes': 1000,
    'backups': 10,
    'backup_gigabytes': 1000,
    'groups': 10,
    'per_volume_gigabytes': -1,
}
VOLUME_TYPE = '__DEFAULT__'
_PER_TYPE = ('volumes', 'snapshots', 'gigabytes')


class QuotaBook:
    """Limits (-1 unlimited, 0 none) and usage of every project."""

    def __init__(self, defaults: dict[str, int] | None = None) -> None:
        self.defaults = dict(CINDER_DEFAULTS)
        self.defaults.update(defaults or {})
        self._limits: dict[str, dict[str, int]] = {}
        self._usage: dict[str, Counter[str]] = {}

    def set(self, project_id: str, **limits: int) -> None:
        unknown = set(limits) - set(self.defaults) - {
            f'{r}_{VOLUME_TYPE}' for r in _PER_TYPE}
        if unknown:
            raise KeyError(f'unknown quota resources: {sorted(unknown)}')
        self._limits.setdefault(project_id, {}).update(limits)

    def limit(self, project_id: str, resource: str) -> int:
        own = self._limits.get(project_id, {})
        if resource in own:
            return own[resource]
        # Per volume type limits (volumes___DEFAULT__, ...) default to -1.
        return self.defaults.get(resource, -1)

    def in_use(self, project_id: str, resource: str) -> int:
        return self._usage.get(project_id, Counter())[resource]

    def use(self, project_id: str, **deltas: int) -> None:
        usage = self._usage.setdefault(project_id, Counter())
        for resource, delta in deltas.items():
            usage[resource] += delta

    def check(self, project_id: str, **deltas: int) -> list[str]:
        """The resources a reservation would take over quota (sorted)."""
        overs = []
        for resource, delta in deltas.items():
            limit = self.limit(project_id, resource)
            if delta > 0 and limit >= 0 and (
                    self.in_use(project_id, resource) + delta > limit):
                overs.append(resource)
        return sorted(overs)

    def reserve_backup(self, project_id: str, size: int) -> None:
        """Charge a new backup, or raise Cinder's 413 (nothing charged).

        Cinder's FaultWrapper prefixes a QuotaError's text with its class
        name; overs are sorted, so backup_gigabytes is reported first.
        """
        for over in self.check(project_id, backups=1,
                               backup_gigabytes=size):
            limit = self.limit(project_id, over)
            used = self.in_use(project_id, over)
            if over == 'backup_gigabytes':
                raise errors.OverLimit(
                    'VolumeBackupSizeExceedsAvailableQuota: '
                    'Requested backup exceeds allowed Backup gigabytes '
                    f'quota. Requested {size}G, quota is {limit}G and '
                    f'{used}G has been consumed.')
            raise errors.OverLimit(
                'BackupLimitExceeded: '
                f'Maximum number of backups allowed ({limit}) exceeded')
        self.use(project_id, backups=1, backup_gigabytes=size)

    def reserve_snapshot(self, project_id: str, size: int) -> None:
        self._refuse_over(project_id, size, 'snapshots',
                          'SnapshotLimitExceeded: Maximum number of '
                          'snapshots allowed ({limit}) exceeded')
        self.use(project_id, snapshots=1, gigabytes=size)

    def check_volume(self, project_id: str, size: int) -> None:
        """Refuse a new volume over the project's quota, as Cinder does."""
        self._refuse_over(project_id, size, 'volumes',
                          'VolumeLimitExceeded: Maximum number of volumes '
                          "allowed ({limit}) exceeded for quota 'volumes'.")

    def _refuse_over(self, project_id: str, size: int, resource: str,
                     count_message: str) -> None:
        """413 when one more ``resource`` of ``size`` GB is over quota."""
        for over in self.check(project_id, gigabytes=size, **{resource: 1}):
            limit = self.limit(project_id, over)
            used = self.in_use(project_id, over)
            if over == 'gigabytes':
                raise errors.OverLimit(
                    'VolumeSizeExceedsAvailableQuota: '
                    'Requested volume or snapshot exceeds allowed gigabytes '
                    f'quota. Requested {size}G, quota is {limit}G and '
                    f'{used}G has been consumed.')
            raise errors.OverLimit(count_message.format(limit=limit))

    def resources(self) -> list[str]:
        names = list(self.defaults)
        names += [f'{r}_{VOLUME_TYPE}' for r in _PER_TYPE]
        return sorted(names)

    def quota_set(self, project_id: str, usage: bool) -> dict[str, Any]:
        """The body of GET /os-quota-sets/{project_id}[?usage=True]."""
        out: dict[str, Any] = {'id': project_id}
        for resource in self.resources():
            limit = self.limit(project_id, resource)
            if not usage:
                out[resource] = limit
                continue
            base = resource.removesuffix(f'_{VOLUME_TYPE}')
            in_use = (0 if resource == 'per_volume_gigabytes'
                      else self.in_use(project_id, base))
            out[resource] = {'limit': limit, 'in_use': in_use,
                             'reserved': 0}
        return out
