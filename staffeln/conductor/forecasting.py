"""Each project's backup needs at steady state, for the quota forecast.

:mod:`staffeln.rules.forecast` says what one volume needs; this module adds
up the volumes of each project, each with its own interval and retention
rules (the operator's, with the server's overrides), from what discovery
found or from what the database recorded.
"""

import datetime

from staffeln.rules import forecast
from staffeln.rules import retention


class Forecaster:
    """Forecasts with the operator's retention defaults and bounds."""

    def __init__(self, conf):
        self.default, self.bounds = retention.from_conf(conf.retention)
        self.depth = conf.conductor.full_backup_depth

    def rules(self, raw: dict | None) -> retention.Rules:
        return retention.resolve(raw or {}, self.default, self.bounds).rules

    def volume(self, size_gb: int, interval_s: int,
               raw: dict | None) -> forecast.Need:
        interval = datetime.timedelta(seconds=max(interval_s or 0, 1))
        return forecast.need(size_gb or 0, interval, self.rules(raw),
                             self.depth)

    def from_candidates(self, candidates) -> dict[str, forecast.Need]:
        """Needs of the volumes discovery would back up, per project."""
        needs: dict[str, forecast.Need] = {}
        for candidate in candidates:
            if not candidate.eligible:
                continue
            record = candidate.record()
            project = candidate.volume.project_id
            needs[project] = needs.get(project, forecast.NOTHING) + \
                self.volume(record['size_gb'], candidate.interval_s,
                            record['retention'])
        return needs

    def from_volumes(self, volumes) -> dict[str, forecast.Need]:
        """Needs of recorded volumes (rows of the volumes table)."""
        needs: dict[str, forecast.Need] = {}
        for volume in volumes:
            if volume.gone_at is not None or volume.skip_reason:
                continue
            needs[volume.project_id] = needs.get(
                volume.project_id, forecast.NOTHING) + self.volume(
                    volume.size_gb, volume.interval_s, volume.retention)
        return needs
