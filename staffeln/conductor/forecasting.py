"""Each project's backup needs at steady state, for the quota forecast.

:mod:`staffeln.rules.forecast` says what one volume needs under one policy;
this module adds up each project's volumes under each of their protection
policies (its period, its full-backup rule, its retention with the
server's overrides), from what discovery found or from what the database
recorded.
"""

import datetime

from staffeln.actions import catalog as policy_catalog
from staffeln.db import api_policies
from staffeln.rules import forecast
from staffeln.rules import retention
from staffeln.rules import schedule


class Forecaster:
    """Forecasts with the policies and the operator's bounds."""

    def __init__(self, conf, catalog=None):
        self.conf = conf
        self.default, self.bounds = retention.from_conf(conf.retention)
        self.catalog = catalog

    def _catalog(self, context):
        if self.catalog is None:
            self.catalog = policy_catalog.load(context, self.conf)
        return self.catalog

    def need(self, policy, size_gb: int, raw: dict | None,
             interval: datetime.timedelta | None,
             now: datetime.datetime) -> forecast.Need:
        """What one volume needs under one policy."""
        table = schedule.timetable_of(policy, interval)
        rules = retention.resolve(raw or {}, policy.retention,
                                  self.bounds).rules
        return forecast.need(size_gb or 0, self.period(table, now), rules,
                             policy.full_backup_depth)

    def period(self, table, now: datetime.datetime) -> datetime.timedelta:
        """The time between two backups; a 0s interval: every discovery."""
        return table.period(now) or self.conf.conductor.discovery_interval

    def from_candidates(self, candidates, now: datetime.datetime,
                        by_policy: bool = False) -> dict[str, forecast.Need]:
        """Needs of the volumes discovery would back up.

        Per project, or with ``by_policy`` per policy name.
        """
        needs: dict[str, forecast.Need] = {}
        for candidate in candidates:
            if not candidate.eligible:
                continue
            record = candidate.record()
            for policy in candidate.policies:
                key = policy.name if by_policy else candidate.volume.project_id
                needs[key] = needs.get(key, forecast.NOTHING) + self.need(
                    policy, record['size_gb'], record['retention'],
                    candidate.interval_override, now)
        return needs

    def from_volumes(self, context, volumes,
                     now: datetime.datetime) -> dict[str, forecast.Need]:
        """Needs of recorded volumes (rows of the volumes table)."""
        catalog = self._catalog(context)
        live = [v for v in volumes
                if v.gone_at is None and not v.skip_reason]
        chosen = api_policies.volume_policy_ids(context,
                                                [v.id for v in live])
        needs: dict[str, forecast.Need] = {}
        for volume in live:
            ids = chosen.get(volume.id) or []
            found = [catalog.by_id[i] for i in ids if i in catalog.by_id]
            for policy in found or [catalog.default_for(volume.project_id)]:
                if policy is None:
                    continue
                needs[volume.project_id] = needs.get(
                    volume.project_id, forecast.NOTHING) + self.need(
                        policy, volume.size_gb, volume.retention, None, now)
        return needs
