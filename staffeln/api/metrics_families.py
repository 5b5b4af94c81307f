"""The Prometheus metric families of a database snapshot.

:func:`families` turns a :class:`staffeln.db.api_metrics.Snapshot` into
prometheus_client metric families; :mod:`staffeln.api.metrics` serves
them. Counters count rows of the database (tasks are never purged), so they
only go up and every replica gives the same value.
"""

import datetime
import re

from prometheus_client import core
from prometheus_client import utils as prom_utils

from staffeln.db import api_metrics
from staffeln.db import states

GIB = 1024 ** 3
#: Buckets of the backup duration histogram, in seconds (1 min to 1 day).
DURATION_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400)
#: Buckets of the backup size histogram, in GiB (1 GiB to 4 TiB).
SIZE_BUCKETS_GB = (1, 10, 50, 100, 500, 1024, 4096)

VOLUME_LABELS = ('project', 'volume', 'server', 'policy')

#: Why a backup failed, from the reason the conductor recorded: the first
#: pattern that matches names the ``reason`` label.
FAILURE_REASONS = (
    ('timeout', re.compile(r'timed out', re.I)),
    ('vanished', re.compile(r'vanished', re.I)),
    ('quota', re.compile(r'quota', re.I)),
    ('cinder_error', re.compile(r'^Cinder:')),
    ('backup_status', re.compile(r'^backup went to status')),
    ('no_backup_after_retries', re.compile(r'^no backup after')),
    ('not_found', re.compile(r'not found|no longer exists', re.I)),
)


def failure_reason(text: str | None) -> str:
    """The ``reason`` label of a failure reason recorded by the conductor."""
    for name, pattern in FAILURE_REASONS:
        if text and pattern.search(text):
            return name
    return 'other'


def rpo_breached(row: api_metrics.VolumeRow, now: datetime.datetime,
                 grace: datetime.timedelta) -> bool:
    """Whether the volume's newest good backup is older than promised.

    The same rule as the digest's "out of policy": older than the volume's
    interval plus ``grace``; a volume with no good backup yet is counted
    from when Staffeln first saw it.
    """
    since = row.last_good or row.first_seen
    if since is None:
        return False
    allowed = datetime.timedelta(seconds=row.interval_s) + grace
    return now - since > allowed


def families(snap: api_metrics.Snapshot, now: datetime.datetime, conf):
    """Every metric family of the snapshot, at time ``now``."""
    grace = conf.notification.out_of_policy_grace
    yield from _volumes(snap, now, grace, conf.metrics.per_volume_series)
    yield from _tasks(snap, conf)
    yield from _outcomes(snap)
    yield from _histograms(snap)
    yield from _retention_and_digests(snap)
    yield from _quotas(snap)
    if snap.drills is not None:
        yield from _drills(snap, conf.metrics.per_volume_series)


def _volume_labels(row: api_metrics.VolumeRow) -> list[str]:
    return [row.project_id, row.volume_id,
            row.server_name or row.server_id or '',
            ','.join(row.policies)]


def _volumes(snap, now, grace, per_volume: bool):
    last = core.GaugeMetricFamily(
        'staffeln_volume_last_good_backup_timestamp_seconds',
        'When the newest good backup of the volume became available '
        '(Unix time); absent while it has none.', labels=VOLUME_LABELS)
    interval = core.GaugeMetricFamily(
        'staffeln_volume_backup_interval_seconds',
        'The interval between backups that the volume\'s policy promises.',
        labels=VOLUME_LABELS)
    breached = core.GaugeMetricFamily(
        'staffeln_volume_rpo_breached',
        '1 when the newest good backup of the volume is older than its '
        'interval plus the grace, else 0.', labels=VOLUME_LABELS)
    protected = core.GaugeMetricFamily(
        'staffeln_project_protected_volumes',
        'Volumes Staffeln backs up in the project.', labels=['project'])
    breaches = core.GaugeMetricFamily(
        'staffeln_project_rpo_breached_volumes',
        'Volumes of the project whose newest good backup is older than '
        'promised.', labels=['project'])
    per_project: dict[str, list[int]] = {}
    for row in snap.volumes:
        labels = _volume_labels(row)
        broken = rpo_breached(row, now, grace)
        counts = per_project.setdefault(row.project_id, [0, 0])
        counts[0] += 1
        counts[1] += int(broken)
        if not per_volume:
            continue
        if row.last_good is not None:
            last.add_metric(labels, row.last_good.timestamp())
        interval.add_metric(labels, row.interval_s)
        breached.add_metric(labels, int(broken))
    for project, (volumes, broken) in sorted(per_project.items()):
        protected.add_metric([project], volumes)
        breaches.add_metric([project], broken)
    if per_volume:
        yield from (last, interval, breached)
    yield from (protected, breaches)


def _tasks(snap, conf):
    by_state = core.GaugeMetricFamily(
        'staffeln_tasks', 'Backup tasks in each state.', labels=['state'])
    totals = {state: 0 for state in states.ALL}
    in_flight: dict[str, int] = {}
    for (project, state), count in snap.tasks.items():
        totals[state] = totals.get(state, 0) + count
        if state in states.IN_FLIGHT:
            in_flight[project] = in_flight.get(project, 0) + count
    for state, count in sorted(totals.items()):
        by_state.add_metric([state], count)
    yield by_state
    yield core.GaugeMetricFamily(
        'staffeln_backups_queued',
        'Backups waiting for a slot, their quota or their time (queue '
        'depth).', value=totals[states.QUEUED])
    flight = core.GaugeMetricFamily(
        'staffeln_backups_in_flight',
        'Backups being created (starting or creating), per project.',
        labels=['project'])
    for project, count in sorted(in_flight.items()):
        flight.add_metric([project], count)
    yield flight
    yield core.GaugeMetricFamily(
        'staffeln_backups_in_flight_limit',
        'Most backups in flight at once, across all projects ([conductor] '
        'max_in_flight).', value=conf.conductor.max_in_flight)
    yield core.GaugeMetricFamily(
        'staffeln_backups_in_flight_project_limit',
        'Most backups in flight at once in one project ([conductor] '
        'max_in_flight_per_project).',
        value=conf.conductor.max_in_flight_per_project)


def _outcomes(snap):
    # Every series of every project with tasks is exported, at 0 until it
    # counts something, so that increase() sees the first of each.
    projects = {project for project, _ in snap.tasks}
    started = core.CounterMetricFamily(
        'staffeln_backups_started',
        'Backups whose create call Staffeln sent.', labels=['project'])
    for project in sorted(projects):
        started.add_metric([project], snap.started.get(project, 0))
    succeeded = core.CounterMetricFamily(
        'staffeln_backups_succeeded',
        'Backups that became available.', labels=['project'])
    good = dict.fromkeys(projects, 0)
    for (project, state), count in snap.tasks.items():
        if state in api_metrics.SUCCEEDED:
            good[project] += count
    for project, count in sorted(good.items()):
        succeeded.add_metric([project], count)
    failed = core.CounterMetricFamily(
        'staffeln_backups_failed',
        'Backups that failed, by reason.', labels=['project', 'reason'])
    names = [name for name, _ in FAILURE_REASONS] + ['other']
    reasons = {(project, name): 0 for project in projects
               for name in names}
    for (project, text), count in snap.failures.items():
        key = (project, failure_reason(text))
        reasons[key] = reasons.get(key, 0) + count
    for labels, count in sorted(reasons.items()):
        failed.add_metric(list(labels), count)
    yield from (started, succeeded, failed)


def _histogram(name, documentation, histogram, scale: int = 1):
    buckets = [(prom_utils.floatToGoString(bound * scale), count)
               for bound, count in zip(histogram.bounds, histogram.buckets)]
    buckets.append(('+Inf', histogram.count))
    return core.HistogramMetricFamily(name, documentation, buckets=buckets,
                                      sum_value=histogram.total * scale)


def _histograms(snap):
    yield _histogram(
        'staffeln_backup_duration_seconds',
        'Time from the create call to the backup being available.',
        snap.durations)
    yield _histogram(
        'staffeln_backup_size_bytes',
        'Size of the backed up volume of each good backup.',
        snap.sizes, GIB)


def _retention_and_digests(snap):
    held = core.GaugeMetricFamily(
        'staffeln_project_backups',
        'Good backups Staffeln holds in the project (they count toward its '
        'backups quota).', labels=['project'])
    held_bytes = core.GaugeMetricFamily(
        'staffeln_project_backup_bytes',
        'Size of the volumes of those backups (they count toward its '
        'backup_gigabytes quota).', labels=['project'])
    for project, (count, size) in sorted(snap.stored.items()):
        held.add_metric([project], count)
        held_bytes.add_metric([project], size * GIB)
    yield from (held, held_bytes)
    deleted = core.CounterMetricFamily(
        'staffeln_retention_deletions',
        'Backups that retention deleted.', labels=['project'])
    for project in sorted({project for project, _ in snap.tasks}):
        deleted.add_metric([project],
                           snap.tasks.get((project, states.DELETED), 0))
    refused = core.GaugeMetricFamily(
        'staffeln_retention_refused_backups',
        'Backups retention let go but Cinder refused to delete; tried '
        'again later.', labels=['project'])
    for project, count in sorted(snap.refused.items()):
        refused.add_metric([project], count)
    yield from (deleted, refused)
    yield from _digests(snap)


def _digests(snap):
    sent = core.GaugeMetricFamily(
        'staffeln_digest_last_sent_timestamp_seconds',
        'When the project\'s digest was last delivered (Unix time).',
        labels=['project'])
    failures = core.GaugeMetricFamily(
        'staffeln_digest_failures',
        'Failed deliveries of the project\'s digest since its last good '
        'one.', labels=['project'])
    for row in snap.digests:
        if row.last_sent_at is not None:
            sent.add_metric([row.project_id], row.last_sent_at.timestamp())
        failures.add_metric([row.project_id], row.failures)
    yield from (sent, failures)
    hook_sent = core.GaugeMetricFamily(
        'staffeln_webhook_last_sent_timestamp_seconds',
        'When the webhook was last delivered (Unix time); target is '
        '"global" or "project:<id>".', labels=['target'])
    hook_failures = core.GaugeMetricFamily(
        'staffeln_webhook_failures',
        'Failed deliveries of the webhook since its last good one.',
        labels=['target'])
    for row in snap.webhooks:
        if row.last_sent_at is not None:
            hook_sent.add_metric([row.project_id],
                                 row.last_sent_at.timestamp())
        hook_failures.add_metric([row.project_id], row.failures)
    yield from (hook_sent, hook_failures)


#: (metric, help, value of a quota row, scale) of the quota families.
_QUOTA = (
    ('staffeln_project_backup_quota_limit',
     'Cinder\'s backups quota of the project, as last read (absent when '
     'unlimited).', 'backups_limit', 1),
    ('staffeln_project_backup_quota_used',
     'Backups the project uses (in use plus reserved), as last read.',
     'backups_used', 1),
    ('staffeln_project_backup_quota_forecast',
     'Backups the project\'s protected volumes need at steady state under '
     'their policies and retention.', 'forecast_backups', 1),
    ('staffeln_project_backup_quota_limit_bytes',
     'Cinder\'s backup_gigabytes quota of the project, as last read '
     '(absent when unlimited).', 'gigabytes_limit', GIB),
    ('staffeln_project_backup_quota_used_bytes',
     'Backup storage the project uses, as last read.', 'gigabytes_used',
     GIB),
    ('staffeln_project_backup_quota_forecast_bytes',
     'Backup storage the project\'s protected volumes need at steady '
     'state.', 'forecast_gigabytes', GIB),
)


def _quotas(snap):
    read = core.GaugeMetricFamily(
        'staffeln_project_backup_quota_read_timestamp_seconds',
        'When the project\'s quota was last read from Cinder (Unix time).',
        labels=['project'])
    families = [core.GaugeMetricFamily(name, text, labels=['project'])
                for name, text, _, _ in _QUOTA]
    for row in snap.quotas:
        if row.read_at is not None:
            read.add_metric([row.project_id], row.read_at.timestamp())
        for family, (name, _, field, scale) in zip(families, _QUOTA):
            number = getattr(row, field)
            if number is None or (name.endswith(('_limit', '_limit_bytes'))
                                  and number < 0):
                continue
            family.add_metric([row.project_id], number * scale)
    yield read
    yield from families


def _drills(snap, per_volume: bool):
    drills = snap.drills
    total = core.CounterMetricFamily(
        'staffeln_restore_drills',
        'Restore drills done, by outcome: passed (restored, available, '
        'the right size), failed, or aborted (stopped before Cinder had '
        'the restore).', labels=['project', 'outcome'])
    for (project, outcome), count in sorted(drills.outcomes.items()):
        total.add_metric([project, outcome], count)
    yield total
    yield core.GaugeMetricFamily(
        'staffeln_restore_drills_in_progress',
        'Restore drills whose volume is being restored or deleted.',
        value=drills.open)
    yield _histogram(
        'staffeln_restore_drill_rto_seconds',
        'Time from the restore call to the restored volume being '
        'available, of passed drills.', drills.rto)
    failing = core.GaugeMetricFamily(
        'staffeln_project_drill_failed_volumes',
        'Volumes of the project whose newest drill failed.',
        labels=['project'])
    counts: dict[str, int] = {}
    for project, outcome, _ in drills.last.values():
        counts[project] = counts.get(project, 0) + int(
            outcome == 'failed')
    for project, count in sorted(counts.items()):
        failing.add_metric([project], count)
    yield failing
    if not per_volume:
        return
    when = core.GaugeMetricFamily(
        'staffeln_volume_last_drill_timestamp_seconds',
        'When the newest drill of the volume recorded its verdict (Unix '
        'time); absent while it has none.', labels=VOLUME_LABELS)
    passed = core.GaugeMetricFamily(
        'staffeln_volume_last_drill_passed',
        '1 when the newest drill of the volume passed, 0 when it failed.',
        labels=VOLUME_LABELS)
    for row in snap.volumes:
        last = drills.last.get(row.volume_id)
        if last is None:
            continue
        labels = _volume_labels(row)
        if last[2] is not None:
            when.add_metric(labels, last[2].timestamp())
        passed.add_metric(labels, int(last[1] == 'passed'))
    yield from (when, passed)
