#!/usr/bin/env python3
"""Benchmark: plan retention over a million backup rows on SQLite.

Builds an SQLite database with Staffeln's schema (the migrations) and
``--rows`` backup tasks: ``--per-volume`` daily backups of each volume, in
chains of a full and two incrementals, all good; a tenth of the volumes
ask for 30 days, a tenth for their own keep rules, a tenth give an invalid
override and a twentieth are gone. Then, in a fresh process, it plans
retention the way a run does before it calls Cinder (``Retention.due``:
stream every volume's tasks, resolve its policy, apply the policy engine,
hold the due backups) and reports the wall time and the peak memory: the
process's peak RSS (``getrusage``), and in a second process the peak of
Python allocations during planning (``tracemalloc``, which slows it down).

    python tools/bench_retention.py [--rows 1000000] [--per-volume 100] \\
        [--keep daily=7,weekly=4,monthly=6] [--max-deletes-per-run N] \\
        [--db PATH] [--json]
"""

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid

from oslo_config import cfg
import sqlalchemy as sa

from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln.conductor.retention import planning
from staffeln.conductor import retention_policy
from staffeln import conf as staffeln_conf
from staffeln.db import api as db_api
from staffeln.db import migration
from staffeln.db import models

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=UTC)
BATCH = 20000
PROJECTS = 100


def _volume_id(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def build(path: str, rows: int, per_volume: int) -> dict:
    """The database to plan over; returns what it holds."""
    engine = sa.create_engine(f'sqlite:///{path}')
    migration.upgrade(engine=engine)
    volumes = max(1, rows // per_volume)
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(sa.insert(models.Volume.__table__), [
            _volume_row(n) for n in range(volumes)])
    tasks = models.BackupTask.__table__
    # Day by day, every volume once a day: the order a real database
    # fills in, so one volume's rows are spread over the whole table.
    days = min(per_volume, -(-rows // volumes))
    batch, task_id, last = [], 0, {}
    with engine.begin() as conn:
        for day in range(days):
            for n in range(volumes):
                task_id += 1
                if task_id > rows:
                    break
                parent = last.get(n) if day % 3 else None
                batch.append(_task_row(task_id, n, days - day, parent))
                last[n] = task_id
                if len(batch) >= BATCH:
                    conn.execute(sa.insert(tasks), batch)
                    batch = []
        if batch:
            conn.execute(sa.insert(tasks), batch)
    engine.dispose()
    return {'rows': task_id if task_id <= rows else rows,
            'volumes': volumes,
            'build_s': round(time.monotonic() - started, 1),
            'db_mb': round(os.path.getsize(path) / 2 ** 20)}


def _volume_row(n: int) -> dict:
    overrides = {retention_policy.RETENTION_KEY: None,
                 retention_policy.KEEP_KEY: None}
    kind = n % 10
    if kind == 0:
        overrides[retention_policy.RETENTION_KEY] = '30d'
    elif kind == 1:
        overrides[retention_policy.KEEP_KEY] = 'daily=7,weekly=4,monthly=12'
    elif kind == 2:
        overrides[retention_policy.KEEP_KEY] = 'forever'
    return {
        'id': _volume_id(n), 'project_id': f'project-{n % PROJECTS}',
        'name': f'volume-{n}', 'size_gb': 10, 'server_id': f'server-{n}',
        'server_name': f'server-{n}', 'interval_s': 86400,
        'retention': overrides, 'created_at': NOW, 'last_seen_at': NOW,
        'gone_at': NOW if n % 20 == 3 else None,
    }


def _task_row(task_id: int, n: int, age: int, parent: int | None) -> dict:
    made = NOW - datetime.timedelta(days=age, hours=-(n % 24))
    return {
        'id': task_id, 'uuid': str(uuid.UUID(int=task_id)),
        'project_id': f'project-{n % PROJECTS}', 'volume_id': _volume_id(n),
        'volume_name': f'volume-{n}', 'server_id': f'server-{n}',
        'server_name': f'server-{n}',
        'backup_type': 'full' if parent is None else 'incremental',
        'status': 'available',
        'backup_id': str(uuid.UUID(int=10 ** 12 + task_id)),
        'backup_name': f'volume-{n}-{made:%Y%m%dT%H%M%SZ}',
        'parent_id': parent, 'size_gb': 10, 'attempts': 1,
        'started_at': made, 'finished_at': made, 'created_at': made,
    }


def describe(path: str) -> dict:
    """What an existing database holds (reused instead of built)."""
    engine = sa.create_engine(f'sqlite:///{path}')
    with engine.connect() as conn:
        rows = conn.execute(sa.text('SELECT COUNT(*) FROM backup_tasks')
                            ).scalar()
        volumes = conn.execute(sa.text('SELECT COUNT(*) FROM volumes')
                               ).scalar()
    engine.dispose()
    return {'rows': rows, 'volumes': volumes, 'build_s': 'reused',
            'db_mb': round(os.path.getsize(path) / 2 ** 20)}


def plan(path: str, keep: str, trace: bool, limit: int) -> dict:
    """Plan once in this process, as a retention run does."""
    conf = cfg.ConfigOpts()
    staffeln_conf.register_opts(conf)
    conf([], project='staffeln', default_config_files=[],
         default_config_dirs=[])
    conf.set_override('connection', f'sqlite:///{path}', group='database')
    counts = retention_policy.parse_keep(keep).counts() if keep else {}
    for rule, count in counts.items():
        conf.set_override(f'keep_{rule}', count, group='retention')
    conf.set_override('max_deletes_per_run', limit, group='retention')
    db_api.configure(conf)
    context = staffeln_context.get_admin_context()
    runner = planning.Planner(conf, None, clock.ManualClock(NOW))
    db_api.get_engine().connect().close()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        import tracemalloc
        tracemalloc.start()
    started = time.perf_counter()
    result = planning.RetentionResult()
    jobs = runner.due(context, result)
    problems = runner.override_problems(context)
    wall = time.perf_counter() - started
    out = {'wall_s': round(wall, 2), 'kept': result.kept,
           'due': len(jobs) + result.later, 'held': len(jobs),
           'problems': len(problems),
           'rss_before_mb': round(rss_before / 1024),
           'peak_rss_mb': round(resource.getrusage(
               resource.RUSAGE_SELF).ru_maxrss / 1024)}
    if trace:
        out['tracemalloc_peak_mb'] = round(
            tracemalloc.get_traced_memory()[1] / 2 ** 20, 1)
    return out


def _child(args, trace: bool) -> dict:
    command = [sys.executable, os.path.abspath(__file__), '--plan-only',
               '--db', args.db, '--keep', args.keep,
               '--max-deletes-per-run', str(args.max_deletes_per_run)]
    if trace:
        command.append('--tracemalloc')
    output = subprocess.run(command, check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=int, default=1000000)
    parser.add_argument('--per-volume', type=int, default=100)
    parser.add_argument('--keep', default='daily=7,weekly=4,monthly=6',
                        help='The default keep rules ([retention] keep_*); '
                             'empty for the time rule only.')
    parser.add_argument('--max-deletes-per-run', type=int, default=0,
                        help='[retention] max_deletes_per_run: how many due '
                             'backups a run holds (0: all).')
    parser.add_argument('--db', help='SQLite file to build, or to reuse '
                                     'when it exists. Default: a '
                                     'temporary file, removed afterwards.')
    parser.add_argument('--plan-only', action='store_true',
                        help=argparse.SUPPRESS)
    parser.add_argument('--tracemalloc', action='store_true',
                        help=argparse.SUPPRESS)
    parser.add_argument('--no-tracemalloc', action='store_true',
                        help='Skip the second, traced planning (slow).')
    parser.add_argument('--json', action='store_true',
                        help='Print the figures as JSON.')
    args = parser.parse_args()
    if args.plan_only:
        print(json.dumps(plan(args.db, args.keep, args.tracemalloc,
                              args.max_deletes_per_run)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        if not args.db:
            args.db = os.path.join(tmp, 'bench.sqlite')
        if os.path.exists(args.db) and os.path.getsize(args.db):
            built = describe(args.db)
        else:
            built = build(args.db, args.rows, args.per_volume)
        timed = _child(args, trace=False)
        traced = (_child(args, trace=True) if not args.no_tracemalloc
                  else {'tracemalloc_peak_mb': None, 'wall_s': None})
    figures = dict(built, keep=args.keep or 'none',
                   max_deletes_per_run=args.max_deletes_per_run, **timed,
                   tracemalloc_peak_mb=traced['tracemalloc_peak_mb'],
                   wall_s_under_tracemalloc=traced['wall_s'])
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    origin = ('reused' if figures['build_s'] == 'reused'
              else f"built in {figures['build_s']} s")
    print(f"Planned retention over {figures['rows']:,} backups of "
          f"{figures['volumes']:,} volumes on SQLite "
          f"({figures['db_mb']} MB, {origin}; "
          f"default keep rules: {figures['keep']}):")
    print(f"  wall time          {figures['wall_s']} s")
    print(f"  kept / due         {figures['kept']:,} / {figures['due']:,} "
          f"({figures['problems']:,} override problems)")
    print(f"  due held in memory {figures['held']:,} "
          f"(max_deletes_per_run {figures['max_deletes_per_run']})")
    print(f"  peak RSS           {figures['peak_rss_mb']} MB "
          f"({figures['rss_before_mb']} MB before planning)")
    if figures['tracemalloc_peak_mb'] is not None:
        print(f"  tracemalloc peak   {figures['tracemalloc_peak_mb']} MB "
              f"(planning took {figures['wall_s_under_tracemalloc']} s "
              f"traced)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
