#!/usr/bin/env python3
"""Load-test the delete hook the way Cinder calls it, on loopback.

Seeds a database with ``--rows`` backup tasks (100,000 by default) and
gives the database statistics of them (ANALYZE, as autovacuum would soon
after such a load), starts ``staffeln-api`` (the console script: the
production asyncio and h11 server, ``--processes`` processes of
``--workers`` threads) on a free loopback port, and drives ``POST
/v1/backup`` with oslo.policy's
form-encoded body for a Cinder-shaped target: a mix of Staffeln's held
backups (answered 401 False), released ones and manual ones (200 True). The
load generator is ``wrk`` (``apt-get install wrk``) or, without it or with
``--client python``, a threaded Python client. Two runs are made: keep-alive
connections, and a new connection per check (``Connection: close``), which is
what oslo.policy does (one ``requests.post`` per check). ``--rate`` paces
wrk's connections to offer about that many checks a second. Each run also
reports the CPU staffeln-api itself spent per check.

    python tools/bench_api_hook.py                       # SQLite
    python tools/bench_api_hook.py --backend mysql       # a MariaDB database
    python tools/bench_api_hook.py --backend postgresql --processes 2 \
        --workers 8 [--rate 1500]

MySQL and PostgreSQL databases are created (and dropped) on the servers of
``STAFFELN_TEST_MYSQL_URL`` / ``STAFFELN_TEST_POSTGRESQL_URL``, as in the
functional tests. Every answer is checked: a wrong answer or an error fails
the run.
"""

import argparse
import collections
import datetime
import http.client
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid

from staffeln.db import models
from staffeln.db import states

# tools/ is the script's own directory, first on sys.path.
import bench_api_server as server  # noqa: I100

MARKER = '__automated_backup'
# Status mix of the seeded tasks: most are good backups Staffeln holds.
STATUS_WEIGHTS = {
    states.AVAILABLE: 60, states.DELETED: 25, states.DELETING: 3,
    states.FAILED: 5, states.CLEANUP: 1, states.CREATING: 4,
    states.QUEUED: 1, states.STARTING: 1,
}
HELD = {states.AVAILABLE, states.CREATING, states.QUEUED, states.STARTING}


def seed(db, rows: int, rng: random.Random) -> dict[str, str]:
    """Insert ``rows`` tasks; return backup id -> status."""
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    projects = [uuid.UUID(int=rng.getrandbits(128)).hex
                for _ in range(max(1, rows // 100))]
    now = time.time()
    backups = {}
    table = models.BackupTask.__table__
    with db.engine.begin() as conn:
        for start in range(0, rows, 5000):
            batch = []
            for _ in range(start, min(rows, start + 5000)):
                backup_id = str(uuid.UUID(int=rng.getrandbits(128),
                                          version=4))
                status = rng.choices(statuses, weights)[0]
                backups[backup_id] = status
                batch.append({
                    'uuid': str(uuid.UUID(int=rng.getrandbits(128),
                                          version=4)),
                    'project_id': rng.choice(projects),
                    'volume_id': str(uuid.UUID(
                        int=rng.getrandbits(128), version=4)),
                    'backup_type': rng.choice(('full', 'incremental')),
                    'status': status,
                    'backup_id': backup_id,
                    'attempts': 1,
                    'created_at': _utc(now),
                })
            conn.execute(table.insert(), batch)
    return backups


def _utc(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)


def cinder_body(backup_id: str, project_id: str, automated: bool) -> str:
    """oslo.policy's form body for ``backup:delete`` of a Cinder backup."""
    stamp = '2026-01-02T03:04:05.000000'
    target = {
        'id': backup_id, 'user_id': uuid.uuid4().hex,
        'project_id': project_id, 'volume_id': str(uuid.uuid4()),
        'host': 'backup-host@posix', 'availability_zone': 'nova',
        'container': 'backups', 'parent_id': None, 'status': 'available',
        'fail_reason': None, 'size': 10,
        'display_name': 'vol-20260102T030405Z',
        'display_description': 'Full backup by Staffeln',
        'service_metadata': 'backup_' + backup_id,
        'service': 'cinder.backup.drivers.posix.PosixBackupDriver',
        'object_count': 10, 'temp_volume_id': None,
        'temp_snapshot_id': None, 'num_dependent_backups': 0,
        'snapshot_id': None, 'data_timestamp': stamp,
        'restore_volume_id': None, 'encryption_key_id': None,
        'metadata': {MARKER: 'True'} if automated else {},
        'created_at': stamp, 'updated_at': stamp, 'deleted_at': None,
        'deleted': False,
    }
    credentials = {
        'user_id': uuid.uuid4().hex, 'user_domain_id': 'default',
        'system_scope': None, 'domain_id': None, 'project_id': project_id,
        'project_domain_id': 'default', 'roles': ['member', 'reader'],
        'is_admin_project': True, 'service_user_id': None,
        'service_user_domain_id': None, 'service_project_id': None,
        'service_project_domain_id': None, 'service_roles': [],
    }
    return urllib.parse.urlencode({
        'rule': json.dumps('backup:delete'),
        'target': json.dumps(target),
        'credentials': json.dumps(credentials),
    })


def build_checks(backups: dict[str, str], count: int,
                 rng: random.Random) -> list[tuple[str, str, int]]:
    """Checks as (path, body, expected status).

    Half are of backups Staffeln holds, a quarter of released ones and a
    quarter of manual backups unknown to Staffeln.
    """
    held = [b for b, s in backups.items() if s in HELD]
    released = [b for b, s in backups.items() if s not in HELD]
    checks = []
    for i in range(count):
        kind = ('held', 'held', 'released', 'manual')[i % 4]
        if kind == 'manual':
            backup_id, expected = str(uuid.UUID(int=rng.getrandbits(128),
                                                version=4)), 200
        else:
            backup_id = rng.choice(held if kind == 'held' else released)
            expected = 401 if kind == 'held' else 200
        body = cinder_body(backup_id, uuid.uuid4().hex, kind != 'manual')
        checks.append((f'/v1/backup?backup_id={backup_id}', body, expected))
    return checks


# Answers are checked by count: wrk does not tell which request a response
# belongs to, but each status must have been expected as often as it came
# (give or take the requests still in flight when the run ends).
WRK_SCRIPT = """
local checks = {%(checks)s}
local expected = {%(expected)s}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  for i, check in ipairs(checks) do
    requests[i] = wrk.format("POST", check[1], {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      %(close)s
    }, check[2])
  end
  counter = math.random(#requests) - 1
  issued = {}
  statuses = {}
end

function request()
  counter = counter %% #requests + 1
  local status = expected[counter]
  issued[status] = (issued[status] or 0) + 1
  return requests[counter]
end

%(delay)s

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local got, want = {}, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      got[status] = (got[status] or 0) + n
    end
    for status, n in pairs(thread:get("issued")) do
      want[status] = (want[status] or 0) + n
    end
  end
  local wrong = 0
  for status, n in pairs(got) do
    io.write(string.format("STATUS %%d %%d\\n", status, n))
    local missing = (want[status] or 0) - n
    if missing < 0 or missing > %(connections)d then
      wrong = wrong + math.abs(missing)
    end
  end
  io.write(string.format("WRONG %%d\\n", wrong))
  io.write(string.format("PCT50 %%d\\nPCT99 %%d\\n",
                         latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(url, checks, seconds, connections, threads, close, workdir,
            rate=None):
    script = os.path.join(workdir, f'hook-{int(close)}.lua')
    with open(script, 'w') as f:
        f.write(WRK_SCRIPT % {
            'delay': (f'function delay()\n  return '
                      f'{1000 * connections / rate:.3f}\nend'
                      if rate else ''),
            'checks': ',\n'.join(
                f'{{{server.lua_string(p)}, {server.lua_string(b)}}}'
                for p, b, _ in checks),
            'expected': ', '.join(str(e) for _, _, e in checks),
            'close': '["Connection"] = "close",' if close else '',
            'connections': connections,
        })
    command = ['wrk', f'-t{threads}', f'-c{connections}', f'-d{seconds}s',
               '--latency', '-s', script, url]
    output = subprocess.run(command, capture_output=True, text=True,
                            check=True).stdout
    result = {'command': ' '.join(command[:-3] + ['hook.lua', url]),
              'statuses': {}}
    for line in output.splitlines():
        words = line.split()
        if line.startswith('Requests/sec:'):
            result['rps'] = float(words[1])
        elif words[:1] == ['STATUS']:
            result['statuses'][int(words[1])] = int(words[2])
        elif words[:1] == ['WRONG']:
            result['wrong'] = int(words[1])
        elif words[:1] == ['PCT50']:
            result['p50_ms'] = int(words[1]) / 1000
        elif words[:1] == ['PCT99']:
            result['p99_ms'] = int(words[1]) / 1000
        elif 'Socket errors' in line:
            result['socket_errors'] = line.strip()
    result['requests'] = sum(result['statuses'].values())
    return result


def run_python(url, checks, seconds, connections, close):
    host, port = urllib.parse.urlsplit(url).netloc.split(':')
    latencies, statuses, wrong = [], collections.Counter(), [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(offset):
        conn, i = None, offset
        local_lat, local_st, local_wrong = [], collections.Counter(), 0
        while time.monotonic() < stop_at:
            path, body, expected = checks[i % len(checks)]
            i += connections
            if conn is None:
                conn = http.client.HTTPConnection(host, int(port),
                                                  timeout=30)
            headers = {'Content-Type': 'application/x-www-form-urlencoded'}
            if close:
                headers['Connection'] = 'close'
            start = time.perf_counter()
            conn.request('POST', path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            local_lat.append(time.perf_counter() - start)
            local_st[response.status] += 1
            local_wrong += response.status != expected
            if close or response.will_close:
                conn.close()
                conn = None
        with lock:
            latencies.extend(local_lat)
            statuses.update(local_st)
            wrong[0] += local_wrong

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,))
            for n in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        'command': f'python threaded client, {connections} connections',
        'rps': len(latencies) / elapsed,
        'p50_ms': latencies[len(latencies) // 2] * 1000,
        'p99_ms': latencies[int(len(latencies) * 0.99)] * 1000,
        'statuses': dict(statuses), 'wrong': wrong[0],
        'requests': len(latencies),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--backend', default='sqlite',
                        choices=('sqlite', 'mysql', 'postgresql'))
    parser.add_argument('--rows', type=int, default=100_000)
    parser.add_argument('--duration', type=int, default=20,
                        help='seconds of each run')
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--threads', type=int, default=2,
                        help='wrk threads')
    parser.add_argument('--workers', type=int, default=16,
                        help='[api] workers (threads) of each staffeln-api '
                             'process')
    parser.add_argument('--processes', type=int, default=1,
                        help='[api] processes of staffeln-api')
    parser.add_argument('--pool', type=int,
                        help='[database] max_pool_size of each process '
                             '(with max_overflow 0); oslo.db\'s default '
                             'without it')
    parser.add_argument('--rate', type=int,
                        help='with wrk: pace each connection so that all '
                             'of them offer about this many checks a second '
                             '(the rate reached is reported), instead of '
                             'sending the next check as soon as an answer '
                             'comes')
    parser.add_argument('--checks', type=int, default=2000,
                        help='distinct checks cycled through')
    parser.add_argument('--client', choices=('wrk', 'python'),
                        default='wrk' if shutil.which('wrk') else 'python')
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix='staffeln-bench-')
    db = server.Database(args.backend, workdir)
    api = None
    try:
        started = time.monotonic()
        backups = seed(db, args.rows, rng)
        db.analyze()
        print(f'seeded {len(backups)} backup tasks on {args.backend} in '
              f'{time.monotonic() - started:.1f} s')
        api, url = server.start_api(db.url, workdir, args.workers,
                                    args.processes, args.pool)
        checks = build_checks(backups, args.checks, rng)
        load = ', '.join(f'{v:.1f}' for v in os.getloadavg())
        print(f'machine: {os.cpu_count()} CPUs '
              f'({platform.processor() or platform.machine()}), load '
              f'average {load}, Python {platform.python_version()}; '
              f'client: {args.client}; staffeln-api: {args.processes} '
              f'process(es) of {args.workers} threads, database pool '
              f'{args.pool or "default"}')
        failed = False
        for close in (False, True):
            cpu = server.cpu_seconds(api.pid)
            if args.client == 'wrk':
                result = run_wrk(url, checks, args.duration,
                                 args.connections, args.threads, close,
                                 workdir, args.rate)
            else:
                result = run_python(url, checks, args.duration,
                                    args.connections, close)
            mode = ('new connection per check' if close
                    else 'keep-alive connections')
            print(f'\n{mode}: {result["command"]}')
            print(f'  {result["rps"]:.0f} req/s, p50 {result["p50_ms"]:.2f} '
                  f'ms, p99 {result["p99_ms"]:.2f} ms, '
                  f'{result["requests"]} answers {result["statuses"]}, '
                  f'{result.get("wrong", "?")} wrong')
            used = server.cpu_seconds(api.pid) - cpu
            print(f'  staffeln-api CPU: {1000 * used / result["requests"]:.2f}'
                  f' ms per check')
            if result.get('socket_errors'):
                print(f'  {result["socket_errors"]}')
            failed |= bool(result.get('wrong')) or any(
                status not in (200, 401) for status in result['statuses'])
        if failed:
            sys.exit('some answers were wrong or errors')
    finally:
        if api is not None:
            api.send_signal(signal.SIGTERM)
            api.wait(30)
        db.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
