"""Planning retention: which backups are due, volume by volume.

A run plans every volume with :mod:`staffeln.rules.retention`: the rules
of the volume are the operator's (``[retention]``) with the server's
overrides, bounded. Planning streams the volumes' tasks from the database
one volume at a time and holds only the due backups, so that planning a
million backups never holds a million objects.
"""

import dataclasses
import datetime
import sys
from typing import Any

from oslo_log import log as logging

from staffeln.actions import catalog as policy_catalog
from staffeln.common import clock as clock_mod
from staffeln.common import duration
from staffeln.common import exception
from staffeln.db import api_policies
from staffeln.db import api_retention
from staffeln.db import states
from staffeln.rules import overrides
from staffeln.rules import retention as rules

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Problem:
    """A server's retention override that was not taken as it stood."""

    project_id: str
    volume_id: str
    server_id: str | None
    server_name: str | None
    message: str


@dataclasses.dataclass
class RetentionResult:
    """What one retention run did."""

    #: Tasks whose backup retention deleted (gone from Cinder).
    deleted: list = dataclasses.field(default_factory=list)
    #: Tasks whose backup had vanished from Cinder: recorded as deleted.
    vanished: list = dataclasses.field(default_factory=list)
    #: Tasks whose delete Cinder was still doing when the run ended.
    pending: list = dataclasses.field(default_factory=list)
    #: (task, reason): deletes Cinder refused; tried again next run.
    refused: list = dataclasses.field(default_factory=list)
    #: (task, reason): due backups this run did not delete, and why.
    deferred: list = dataclasses.field(default_factory=list)
    #: (task, reason): backups Cinder left in error_deleting.
    stuck: list = dataclasses.field(default_factory=list)
    #: Problems with servers' retention overrides.
    problems: list = dataclasses.field(default_factory=list)
    #: Failures of the run itself.
    errors: list = dataclasses.field(default_factory=list)
    #: How many good backups the rules keep.
    kept: int = 0
    #: Due backups left to later runs by ``max_deletes_per_run``.
    later: int = 0

    @property
    def ok(self) -> bool:
        return not (self.errors or self.refused or self.stuck)


@dataclasses.dataclass
class VolumePlan:
    volume_id: str
    #: The volume's row (None if Staffeln never recorded the volume).
    volume: Any
    #: The volume's live tasks (rows of api_retention.TASK_COLUMNS).
    tasks: list
    verdicts: list
    rules: rules.Rules
    exists: bool


@dataclasses.dataclass(slots=True, eq=False)
class DueBackup:
    """A backup this run means to delete (or finish deleting).

    It carries the few fields of its task that deleting needs, and stands
    for the task in :class:`RetentionResult` lists; a run may hold many.
    """

    id: int
    uuid: str
    project_id: str
    volume_id: str
    backup_id: str | None
    #: The task's status as this run knows it.
    status: str
    retry_after: datetime.datetime | None
    #: The reason recorded on the task (why a delete was refused).
    reason: str | None
    #: Why retention deletes it.
    why: str
    #: Tasks that depend on it and must be gone first.
    after: tuple = ()
    rank: int = 0
    claimed: bool = False


class Planner:
    """Plans retention for every volume Staffeln backed up."""

    def __init__(self, conf, cloud, clock: clock_mod.Clock):
        self.conf = conf
        self.group = conf.retention
        self.cloud = cloud
        self.clock = clock
        self.default, self.bounds = rules.from_conf(self.group)
        self._check_config()
        #: Loaded at each plan: every policy, deleted ones included, since
        #: their backups age out under them.
        self.catalog = None

    def _check_config(self) -> None:
        low, high = self.bounds.min_retention, self.bounds.max_retention
        if low > high:
            raise exception.ConfigurationError(
                f'[retention] min_retention ({duration.format(low)}) is '
                f'longer than max_retention ({duration.format(high)})')
        if not low <= self.default.retention <= high:
            raise exception.ConfigurationError(
                f'[retention] retention_time '
                f'({duration.format(self.default.retention)}) is not '
                f'within min_retention ({duration.format(low)}) and '
                f'max_retention ({duration.format(high)})')
        for rule in rules.beyond_ceiling(self.default.keep, high):
            LOG.warning('[retention] keep_%s=%d reaches past max_retention '
                        '%s: backups older than that are not kept by it',
                        rule, getattr(self.default.keep, rule),
                        duration.format(high))

    def _resolver(self):
        """``resolve(volume, policy_id)``: the rules of a volume's backups.

        Those of the policy that made them, with the server's overrides.
        """
        cache: dict[tuple, rules.Resolved] = {}
        by_id = self.catalog.by_id if self.catalog else {}
        fallback = self.catalog.by_name.get('default') if self.catalog \
            else None

        def resolve(volume, policy_id=None) -> rules.Resolved:
            raw = (volume.retention if volume is not None else None) or {}
            policy = by_id.get(policy_id) or fallback
            base = policy.retention if policy is not None else self.default
            key = (policy_id, raw.get(rules.RETENTION_KEY),
                   raw.get(rules.KEEP_KEY))
            if key not in cache:
                cache[key] = rules.resolve(
                    {rules.RETENTION_KEY: key[1], rules.KEEP_KEY: key[2]},
                    base, self.bounds)
            return cache[key]
        return resolve

    def _still_existing(self, context, errors: list) -> set[str]:
        """Volumes marked gone that Cinder still has.

        Discovery marks a volume gone when it is no longer attached to an
        opted-in server; the floor protects the last good backup of any
        volume that still exists. Without a cloud, or when Cinder cannot
        be asked, every such volume is taken to exist.
        """
        gone = api_retention.gone_volumes_with_backups(context)
        if not gone or self.cloud is None:
            return set(gone)
        try:
            listed = {v.id for v in self.cloud.list_volumes()}
        except exception.CloudError as exc:
            errors.append(f'cannot tell which volumes still exist, so the '
                          f'last good backups of volumes no longer backed '
                          f'up are kept: {exc}')
            return set(gone)
        return {volume_id for volume_id in gone if volume_id in listed}

    def iter_plan(self, context, project_id: str | None = None,
                  volumes: dict | None = None,
                  errors: list | None = None,
                  columns: tuple = api_retention.PLAN_COLUMNS):
        """The plan of every volume with backups, one volume at a time.

        The tasks are database rows with ``columns``; the rules take them
        as they are.
        """
        now = self.clock.now()
        if volumes is None:
            volumes = api_retention.volume_settings(context, project_id)
        existing = self._still_existing(
            context, errors if errors is not None else [])
        self.catalog = policy_catalog.load(context, self.conf,
                                           include_deleted=True)
        resolve = self._resolver()
        current = api_policies.volume_policy_ids(context)
        default = self.catalog.by_name.get('default')
        for volume_id, tasks in api_retention.task_groups(
                context, project_id, columns):
            volume = volumes.get(volume_id)
            exists = (volume is None or volume.gone_at is None
                      or volume_id in existing)
            by_policy: dict = {}
            for task in tasks:
                policy_id = task.policy_id
                if policy_id is None and default is not None:
                    policy_id = default.id
                by_policy.setdefault(policy_id, []).append(task)
            protecting = set(current.get(volume_id, ()))
            covered = any(t.status == states.AVAILABLE
                          for policy_id in protecting
                          for t in by_policy.get(policy_id, ()))
            for policy_id, mine in by_policy.items():
                volume_rules = resolve(volume, policy_id).rules
                if covered and policy_id not in protecting:
                    # A policy that no longer protects the volume keeps
                    # no last backup: those of its current ones do.
                    volume_rules = dataclasses.replace(volume_rules,
                                                       min_good=0)
                yield VolumePlan(volume_id, volume, mine,
                                 rules.plan(mine, volume_rules, now, exists),
                                 volume_rules, exists)

    def override_problems(self, context, project_id: str | None = None,
                          volumes: dict | None = None) -> list[Problem]:
        """Problems with the overrides of volumes Staffeln backs up."""
        if volumes is None:
            volumes = api_retention.volume_settings(context, project_id)
        resolve = self._resolver()
        problems = []
        for volume in sorted(volumes.values(),
                             key=lambda v: (v.project_id, v.id)):
            if volume.gone_at is not None:
                continue
            for message in resolve(volume).problems:
                problems.append(Problem(volume.project_id, volume.id,
                                        volume.server_id,
                                        volume.server_name, message))
        return problems

    def preview(self, context, project_id: str | None = None,
                errors: list | None = None) -> list:
        """What the next run would decide; changes nothing.

        ``(task, keep, reason)`` for every good backup and every backup
        being deleted, volume by volume, newest first. Problems that keep
        the plan from being exact are appended to ``errors``.
        """
        now = self.clock.now()
        out = []
        for plan in self.iter_plan(context, project_id, errors=errors,
                                   columns=api_retention.TASK_COLUMNS):
            tasks = {t.id: t for t in plan.tasks}
            for verdict in plan.verdicts:
                task = tasks[verdict.id]
                reason = verdict.reason
                if (not verdict.keep and task.status == states.AVAILABLE
                        and task.retry_after
                        and clock_mod.as_utc(task.retry_after) > now):
                    reason += (f'; waits until {when(task.retry_after)} '
                               f'({task.reason})')
                out.append((task, verdict.keep, reason))
        return out

    def due(self, context, result: RetentionResult,
            volumes: dict | None = None) -> dict:
        """The backups to delete (and to finish deleting), by task id.

        Only these are held in memory; kept backups are counted in
        ``result.kept``. With ``max_deletes_per_run``, volumes are taken
        whole until that many backups are held; the due backups of the
        other volumes are counted in ``result.later`` and planned again
        by the next run.
        """
        limit = self.group.max_deletes_per_run
        jobs: dict[int, DueBackup] = {}
        for plan in self.iter_plan(context, volumes=volumes,
                                   errors=result.errors):
            due = [v for v in plan.verdicts if not v.keep]
            result.kept += len(plan.verdicts) - len(due)
            if not due:
                continue
            if limit and len(jobs) >= limit:
                result.later += len(due)
                continue
            tasks = {t.id: t for t in plan.tasks}
            project_id = sys.intern(plan.tasks[0].project_id)
            for verdict in due:
                task = tasks[verdict.id]
                jobs[task.id] = DueBackup(
                    task.id, task.uuid, project_id, plan.volume_id,
                    task.backup_id,
                    (states.DELETING if task.status == states.DELETING
                     else states.AVAILABLE),
                    task.retry_after, task.reason, verdict.reason,
                    tuple(verdict.after), verdict.rank)
        return jobs

    def record_problems(self, context, volumes: dict,
                        result: RetentionResult) -> None:
        """Report override problems where an operator and a tenant look.

        In the log, in the result, and in the volume's ``problems`` that
        the project's digest shows.
        """
        result.problems = self.override_problems(context, volumes=volumes)
        by_volume: dict[str, list[str]] = {}
        for problem in result.problems:
            LOG.warning('Retention override of server %s (volume %s, '
                        'project %s): %s', problem.server_id,
                        problem.volume_id, problem.project_id,
                        problem.message)
            by_volume.setdefault(problem.volume_id, []).append(
                problem.message)
        changes = {}
        for volume in volumes.values():
            if volume.gone_at is not None:
                continue
            text = merge_problems(volume.problems,
                                  by_volume.get(volume.id, []))
            if text != volume.problems:
                changes[volume.id] = text
        if changes:
            api_retention.set_problems(context, changes)


def merge_problems(current: str | None, problems: list[str]) -> str | None:
    """A volume's ``problems`` with its retention problems replaced.

    Other lines (discovery's backup_interval problems) are kept.
    """
    lines = [line for line in (current or '').splitlines()
             if line.strip() and not line.startswith(
                 (overrides.RETENTION_KEY, overrides.KEEP_KEY))]
    lines.extend(problems)
    return '\n'.join(lines) or None


def when(value: datetime.datetime) -> str:
    return clock_mod.as_utc(value).strftime('%Y-%m-%d %H:%M:%SZ')
