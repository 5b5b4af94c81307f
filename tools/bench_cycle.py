#!/usr/bin/env python3
"""Benchmark one discovery + scheduling cycle against the simulated cloud.

Starts the simulated cloud (``python -m staffeln.tests.simcloud``) as a
separate process seeded with P projects
and S servers (T of them opted in, V volumes each), points Staffeln at it
with an SQLite database, and measures one discovery + scheduling pass (and,
with ``--start``, starting every queued backup; with ``--finish``, also
the poll that finds them all finished and marks their servers): the API
calls the simulator received, per path, and the wall time. Staffeln's
clock follows the simulator's, which only moves when told to.

    python tools/bench_cycle.py --projects 1000 --servers 10000 \\
        --tagged 2000 --volumes-per-server 2 [--start] [--finish]
"""

import argparse
import cProfile
import datetime
import json
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from staffeln.cloud import client as cloud_client
from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln.conductor import manager
from staffeln import conf as staffeln_conf
from staffeln.db import api as db_api
from staffeln.db import migration


def start_simulator(args):
    proc = subprocess.Popen(
        [sys.executable, '-m', 'staffeln.tests.simcloud', '--port', '0',
         '--seed', 'bench',
         '--projects', str(args.projects), '--servers', str(args.servers),
         '--tagged', str(args.tagged),
         '--volumes-per-server', str(args.volumes_per_server)],
        stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit('the simulator did not start')
    return proc, json.loads(line)


def control(url, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f'{url}/_sim/{path}', data=data, method='POST' if data else 'GET',
        headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b'null')


def configure(state_path, auth_url, page_size):
    conf = cfg.ConfigOpts()
    staffeln_conf.register_opts(conf)
    conf([], project='staffeln', default_config_files=[],
         default_config_dirs=[])
    conf.register_opts(ks_loading.get_auth_plugin_conf_options('password'),
                       group='openstack')
    conf.set_override('state_path', state_path)
    for key, value in {
            'auth_type': 'password', 'auth_url': auth_url,
            'username': 'staffeln', 'password': 'secret',
            'project_name': 'service', 'user_domain_name': 'Default',
            'project_domain_name': 'Default', 'region_name': 'RegionOne',
            'page_size': page_size}.items():
        conf.set_override(key, value, group='openstack')
    conf.set_override('max_in_flight', 100000, group='conductor')
    conf.set_override('max_in_flight_per_project', 1000, group='conductor')
    return conf


def report(title, calls, seconds):
    total = sum(calls.values())
    print(f'{title}: {total} API calls in {seconds:.2f} s')
    for key, count in sorted(calls.items(), key=lambda kv: -kv[1]):
        print(f'  {count:7d}  {key}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--projects', type=int, default=1000)
    parser.add_argument('--servers', type=int, default=10000)
    parser.add_argument('--tagged', type=int, default=2000)
    parser.add_argument('--volumes-per-server', type=int, default=2)
    parser.add_argument('--page-size', type=int, default=1000)
    parser.add_argument('--start', action='store_true',
                        help='also start every queued backup')
    parser.add_argument('--profile', action='store_true',
                        help='profile the starts: Staffeln\'s own CPU '
                             'time, the time in database commits and in '
                             'HTTP calls, per start')
    parser.add_argument('--finish', action='store_true',
                        help='also let the backups finish and poll them '
                             '(implies --start)')
    args = parser.parse_args()
    args.start = args.start or args.finish

    t0 = time.monotonic()
    proc, info = start_simulator(args)
    print(f'simulator seeded in {time.monotonic() - t0:.1f} s: '
          f'{info["seed"]}')
    try:
        with tempfile.TemporaryDirectory() as state_path:
            conf = configure(state_path, info['auth_url'], args.page_size)
            db_api.configure(conf)
            migration.upgrade()
            context = staffeln_context.get_admin_context()
            cloud = cloud_client.Cloud(conf)
            now = control(info['url'], 'clock')['now']
            staffeln_clock = clock.ManualClock(
                datetime.datetime.fromisoformat(now))
            mgr = manager.Manager(conf, cloud, staffeln_clock)
            cloud.connections.service().authorize()
            control(info['url'], 'calls/reset', {})

            t0 = time.monotonic()
            queued, candidates = mgr.discover_and_schedule(context)
            elapsed = time.monotonic() - t0
            calls = _calls(info['url'])
            report(f'discovery + scheduling ({len(candidates)} volumes, '
                   f'{len(queued)} queued)', calls, elapsed)

            if args.start:
                control(info['url'], 'calls/reset', {})
                profiler = cProfile.Profile() if args.profile else None
                t0, cpu0 = time.monotonic(), time.process_time()
                if profiler:
                    profiler.enable()
                started = mgr.engine.start_queued(context)
                if profiler:
                    profiler.disable()
                elapsed = time.monotonic() - t0
                cpu = time.process_time() - cpu0
                report(f'starting {started} backups', _calls(info['url']),
                       elapsed)
                if profiler:
                    report_profile(profiler, started, elapsed, cpu)
            if args.finish:
                control(info['url'], 'clock/advance', {'seconds': 120})
                staffeln_clock.advance(120)
                control(info['url'], 'calls/reset', {})
                t0 = time.monotonic()
                counts = mgr.engine.poll(context)
                elapsed = time.monotonic() - t0
                report(f'polling: {counts["available"]} available',
                       _calls(info['url']), elapsed)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f'peak memory of the Staffeln process: {peak / 1024:.0f} '
                  f'MiB')
    finally:
        proc.terminate()
        proc.wait(timeout=30)


#: (label, function-name pattern) of the waits a start is made of.
_WAITS = (
    ('database commits', re.compile(r"method 'commit' of 'sqlite3")),
    ('HTTP calls', re.compile(r'requests/sessions\.py:\d+\(send\)')),
)


def report_profile(profiler, started: int, elapsed: float,
                   cpu: float) -> None:
    """Per start: wall time, this process's CPU time, commits, HTTP."""
    stats = pstats.Stats(profiler)
    per = 1000.0 / max(started, 1)
    print(f'per start: {elapsed * per:.1f} ms wall, {cpu * per:.1f} ms '
          f'CPU of the Staffeln process (profiler overhead included)')
    for label, pattern in _WAITS:
        total = sum(row[3] for func, row in stats.stats.items()
                    if pattern.search(pstats.func_std_string(func)))
        print(f'  {label}: {total * per:.1f} ms')


def _calls(url):
    return {f'{c["method"]} {c["path"]}': c['count']
            for c in control(url, 'calls')['calls']}


if __name__ == '__main__':
    main()
