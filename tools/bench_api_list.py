#!/usr/bin/env python3
"""Load-test the REST API's listings: pages of 10,000 volumes.

Seeds a database with ``--volumes`` volumes (10,000 by default) in
``--projects`` projects, ``--history`` good backups of each (daily, 10 by
default: 100,000 backup tasks) and their policy, gives the database
statistics of them (ANALYZE), starts ``staffeln-api`` (the console script,
``--processes`` processes of ``--workers`` threads) on a free loopback port
with the
header-trusting ``noauth`` strategy (token validation is keystonemiddleware's
cost, not Staffeln's) and a pool of ``--pool`` database connections, and
drives ``GET /v1/volumes`` pages (``limit=100``, markers spread over the
whole listing, a project's own and ``all_projects``) and ``GET /v1/backups``
from ``--connections`` keep-alive connections of ``wrk`` (``apt-get install
wrk``) or, without it or with ``--client python``, a threaded Python client.
Every answer must be a full page with status 200, or the run fails. The run
also reports the CPU staffeln-api itself spent per request.

    python tools/bench_api_list.py --backend postgresql --processes 2 \
        --workers 8 --pool 8

Databases are created (and dropped) as by ``tools/bench_api_server.py``.
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
import uuid

import sqlalchemy as sa

from staffeln.db import models
from staffeln.db import states

# tools/ is the script's own directory, first on sys.path.
import bench_api_server as server  # noqa: I100

ADMIN = {'X-User-Id': uuid.uuid4().hex, 'X-Project-Id': 'admin',
         'X-Roles': 'admin,member,reader'}


def seed(db, volumes: int, projects: int, history: int,
         rng) -> dict[str, list[str]]:
    """Volumes and their good backups; returns project -> volume ids."""
    now = datetime.datetime.now(datetime.timezone.utc)
    owners = [uuid.UUID(int=rng.getrandbits(128)).hex
              for _ in range(projects)]
    by_project: dict[str, list[str]] = collections.defaultdict(list)
    with db.engine.begin() as conn:
        policy_id = conn.scalar(sa.text(
            "SELECT id FROM protection_policies WHERE name = 'default'"))
        for start in range(0, volumes, 5000):
            vols, tasks, links = [], [], []
            for i in range(start, min(volumes, start + 5000)):
                volume_id = str(uuid.UUID(int=rng.getrandbits(128),
                                          version=4))
                project = owners[i % projects]
                by_project[project].append(volume_id)
                vols.append({'id': volume_id, 'project_id': project,
                             'name': f'vol-{i}', 'size_gb': 10,
                             'status': 'in-use', 'interval_s': 86400,
                             'server_id': str(uuid.uuid4()),
                             'server_name': f'server-{i}',
                             'created_at': now, 'last_seen_at': now})
                for day in range(history):
                    taken = now - datetime.timedelta(days=day)
                    tasks.append({
                        'uuid': str(uuid.uuid4()), 'project_id': project,
                        'volume_id': volume_id, 'backup_type': 'full',
                        'status': states.AVAILABLE,
                        'backup_id': str(uuid.uuid4()), 'size_gb': 10,
                        'attempts': 1, 'policy_id': policy_id,
                        'on_demand': False, 'created_at': taken,
                        'started_at': taken, 'finished_at': taken})
                links.append({'volume_id': volume_id,
                              'policy_id': policy_id, 'next_due_at': now})
            conn.execute(models.Volume.__table__.insert(), vols)
            conn.execute(models.BackupTask.__table__.insert(), tasks)
            conn.execute(models.VolumePolicy.__table__.insert(), links)
    return by_project


def build_requests(by_project, count: int, rng) -> list:
    """(path, headers, expected page length) to cycle through."""
    everything = sorted(v for vols in by_project.values() for v in vols)
    found = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.5:
            marker = rng.choice(everything[:-100])
            found.append((f'/v1/volumes?all_projects=true&limit=100'
                          f'&marker={marker}', ADMIN, 100))
        elif kind < 0.8:
            project = rng.choice(sorted(by_project))
            vols = sorted(by_project[project])
            headers = {'X-User-Id': uuid.uuid4().hex,
                       'X-Project-Id': project, 'X-Roles': 'reader'}
            found.append((f'/v1/volumes?limit=50&marker={vols[0]}',
                          headers, min(50, len(vols) - 1)))
        else:
            found.append(('/v1/backups?all_projects=true&limit=100',
                          ADMIN, 100))
    return found


# Every answer must be 200 with a full page: its items are counted by a
# key each item has once ("rpo" for volumes, "depth" for backups).
WRK_SCRIPT = """
local pages = {%(pages)s}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  for i, page in ipairs(pages) do
    requests[i] = wrk.format("GET", page[1], page[2])
  end
  counter = math.random(#requests) - 1
  wrong = 0
end

function request()
  counter = counter %% #requests + 1
  return requests[counter]
end

function response(status, headers, body)
  local _, volumes = string.gsub(body, '"rpo":', '')
  local _, backups = string.gsub(body, '"depth":', '')
  local items = volumes + backups
  if status ~= 200 or (items ~= 100 and items ~= 50) then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("wrong")
  end
  io.write(string.format("WRONG %%d\\n", total))
  io.write(string.format("PCT50 %%d\\nPCT99 %%d\\n",
                         latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(url, requests_, seconds, connections, threads, workdir):
    lua = server.lua_string
    for _, _, expected in requests_:
        if expected not in (50, 100):
            sys.exit('with wrk, every page must have 50 or 100 items')
    script = os.path.join(workdir, 'list.lua')
    with open(script, 'w') as f:
        f.write(WRK_SCRIPT % {'pages': ',\n'.join(
            f'{{{lua(path)}, {{'
            + ', '.join(f'[{lua(k)}] = {lua(v)}' for k, v in headers.items())
            + '}}' for path, headers, _ in requests_)})
    command = ['wrk', f'-t{threads}', f'-c{connections}', f'-d{seconds}s',
               '--latency', '-s', script, url]
    output = subprocess.run(command, capture_output=True, text=True,
                            check=True).stdout
    result = {'command': ' '.join(command[:-3] + ['list.lua', url]),
              'statuses': {}}
    for line in output.splitlines():
        words = line.split()
        if line.startswith('Requests/sec:'):
            result['rps'] = float(words[1])
        elif 'requests in' in line:
            result['requests'] = int(words[0])
        elif words[:1] == ['WRONG']:
            result['wrong'] = int(words[1])
        elif words[:1] == ['PCT50']:
            result['p50_ms'] = int(words[1]) / 1000
        elif words[:1] == ['PCT99']:
            result['p99_ms'] = int(words[1]) / 1000
    result['statuses'] = {'checked': result.get('requests', 0)}
    return result


def run(url, requests_, seconds, connections):
    host, port = url.split('//')[1].split(':')
    latencies, statuses, wrong = [], collections.Counter(), [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(offset):
        conn, i = http.client.HTTPConnection(host, int(port), timeout=60), \
            offset
        mine, codes, bad = [], collections.Counter(), 0
        while time.monotonic() < stop_at:
            path, headers, expected = requests_[i % len(requests_)]
            i += connections
            start = time.perf_counter()
            conn.request('GET', path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - start)
            codes[response.status] += 1
            if response.status != 200:
                bad += 1
            else:
                document = json.loads(body)
                items = next(iter(document.values()))
                bad += len(items) != expected
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)
            wrong[0] += bad

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,))
            for n in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {'command': f'python threaded client, {connections} '
                       f'connections',
            'rps': len(latencies) / elapsed,
            'p50_ms': latencies[len(latencies) // 2] * 1000,
            'p99_ms': latencies[int(len(latencies) * 0.99)] * 1000,
            'statuses': dict(statuses), 'wrong': wrong[0],
            'requests': len(latencies)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--backend', default='postgresql',
                        choices=('sqlite', 'mysql', 'postgresql'))
    parser.add_argument('--volumes', type=int, default=10_000)
    parser.add_argument('--projects', type=int, default=100)
    parser.add_argument('--history', type=int, default=10,
                        help='good backups of each volume')
    parser.add_argument('--duration', type=int, default=20)
    parser.add_argument('--connections', type=int, default=16)
    parser.add_argument('--workers', type=int, default=16,
                        help='[api] workers (threads) of staffeln-api')
    parser.add_argument('--pool', type=int, default=16,
                        help='[database] max_pool_size of staffeln-api')
    parser.add_argument('--processes', type=int, default=1,
                        help='[api] processes of staffeln-api')
    parser.add_argument('--client', choices=('wrk', 'python'),
                        default='wrk' if shutil.which('wrk') else 'python')
    parser.add_argument('--threads', type=int, default=2,
                        help='wrk threads')
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix='staffeln-bench-')
    db = server.Database(args.backend, workdir)
    api = None
    try:
        started = time.monotonic()
        by_project = seed(db, args.volumes, args.projects, args.history,
                          rng)
        db.analyze()
        print(f'seeded {args.volumes} volumes in {args.projects} projects, '
              f'{args.history} backups each, on {args.backend} in '
              f'{time.monotonic() - started:.1f} s')
        api, url = server.start_api(db.url, workdir, args.workers,
                                    args.processes, args.pool,
                                    auth_strategy='noauth')
        requests_ = build_requests(by_project, 2000, rng)
        load = ', '.join(f'{v:.1f}' for v in os.getloadavg())
        print(f'machine: {os.cpu_count()} CPUs '
              f'({platform.processor() or platform.machine()}), load '
              f'average {load}, Python {platform.python_version()}; '
              f'staffeln-api: {args.processes} process(es) of '
              f'{args.workers} threads, {args.pool} database connections '
              f'each; client: {args.client}, {args.connections} keep-alive '
              f'connections')
        cpu = server.cpu_seconds(api.pid)
        if args.client == 'wrk':
            result = run_wrk(url, requests_, args.duration,
                             args.connections, args.threads, workdir)
        else:
            result = run(url, requests_, args.duration, args.connections)
        print(f'  {result["command"]}')
        print(f'  {result["rps"]:.0f} req/s, p50 {result["p50_ms"]:.1f} ms, '
              f'p99 {result["p99_ms"]:.1f} ms, {result["requests"]} answers '
              f'{result["statuses"]}, {result["wrong"]} wrong')
        used = server.cpu_seconds(api.pid) - cpu
        print(f'  staffeln-api CPU: {1000 * used / result["requests"]:.2f} '
              f'ms per request')
        if result['wrong']:
            sys.exit('some answers were wrong or errors')
    finally:
        if api is not None:
            api.send_signal(signal.SIGTERM)
            api.wait(30)
        db.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
