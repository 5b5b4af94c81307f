#!/usr/bin/env python3
"""Scale benchmark: one whole cycle with one or several conductors.

For every number of servers S, of projects P and of conductors C, this
starts the simulated cloud (``python -m staffeln.tests.simcloud``) as a
separate process (S servers over P projects, a fraction of them opted in,
each with its volumes), a fresh PostgreSQL database, and C conductor
processes, and measures one cycle:

1. discovery and scheduling, by one conductor (the leader);
2. every conductor starts queued backups until none is left;
3. the simulator's clock moves past the backups' duration;
4. every conductor polls until every backup is recorded as available.

It reports the API calls the simulator received (per phase and per kind)
and the wall time of each phase, checks that every volume got exactly one
backup, writes the figures as JSON and, with matplotlib installed, plots
calls and time against S.

    python tools/bench_scale.py --servers 1000,10000,100000 \\
        --projects 10,1000,10000 --conductors 1,3 \\
        --out bench.json --plot doc/source/_static/scale.png

    python tools/bench_scale.py --plot-only --out bench.json \\
        --plot doc/source/_static/scale.png

The conductors log at WARNING (a conductor logs a line per backup at
INFO). Wall times depend on the machine: the simulator, the database and
the conductors share its cores.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

PHASES = ('discovery', 'start', 'finish')
BACKUP_DURATION = 60


# ---------------------------------------------------------------- worker

def worker(config_file: str) -> int:
    """One conductor, driven by commands on stdin, answers on stdout."""
    from oslo_config import cfg

    from staffeln.cloud import client as cloud_client
    from staffeln.common import clock
    from staffeln.common import context as staffeln_context
    from staffeln.conductor import manager
    from staffeln import conf as staffeln_conf
    from staffeln.db import api as db_api
    from staffeln.db import states

    conf = cfg.ConfigOpts()
    staffeln_conf.register_opts(conf)
    conf(['--config-file', config_file], project='staffeln',
         default_config_files=[], default_config_dirs=[])
    db_api.configure(conf)
    mgr = manager.Manager(conf, cloud_client.Cloud(conf), clock.Clock())
    context = staffeln_context.get_admin_context()

    def left(statuses) -> int:
        counts = db_api.count_tasks_by_status(context)
        return sum(counts.get(s, 0) for s in statuses)

    def steps_until(statuses) -> int:
        passes = 0
        while left(statuses):
            mgr.backup_step(context)
            passes += 1
            time.sleep(0.05)  # others hold the last claims
        return passes

    print('ready', flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == 'discover':
            queued, _ = mgr.discover_and_schedule(context)
            result = len(queued)
        elif command == 'start':
            result = steps_until((states.QUEUED,))
        elif command == 'finish':
            result = steps_until(states.ACTIVE)
        else:
            break
        print(f'done {result} {time.process_time():.3f}', flush=True)
    return 0


class Conductor:
    """A worker process of this script."""

    def __init__(self, config_file: str, host: str):
        self.host = host
        self.process = subprocess.Popen(
            [sys.executable, __file__, '--worker', config_file],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.expect('ready')

    def expect(self, word: str) -> list[str]:
        line = self.process.stdout.readline()
        if not line.startswith(word):
            raise SystemExit(f'conductor {self.host} said {line!r}')
        return line.split()[1:]

    def send(self, command: str) -> None:
        self.process.stdin.write(command + '\n')
        self.process.stdin.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.send('quit')
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------- driver

def control(url: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f'{url}/_sim/{path}', data=data, method='POST' if data else 'GET',
        headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read() or b'null')


def kind(method: str, path: str) -> str:
    """A call's kind: the request without its ids."""
    parts = path.strip('/').split('/')
    words = [p for p in parts if not (len(p) >= 32 or p.isdigit())]
    return f'{method} /{"/".join(words)}'


def calls(url: str) -> dict:
    per_kind: dict[str, int] = {}
    for entry in control(url, 'calls')['calls']:
        key = kind(entry['method'], entry['path'])
        per_kind[key] = per_kind.get(key, 0) + entry['count']
    return per_kind


def start_simulator(servers, projects, tagged, volumes):
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, '-m', 'staffeln.tests.simcloud', '--port', '0',
         '--seed', 'bench',
         '--projects', str(projects), '--servers', str(servers),
         '--tagged', str(tagged), '--volumes-per-server', str(volumes),
         '--backup-duration', str(BACKUP_DURATION)],
        stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit('the simulator did not start')
    info = json.loads(line)
    info['seed_seconds'] = time.monotonic() - started
    return proc, info


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def create_database(admin_url: str) -> tuple[str, callable]:
    import sqlalchemy as sa

    from staffeln.db import migration

    name = 'staffeln_bench_' + uuid.uuid4().hex[:10]
    admin = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT')
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE {name}'))
    url = sa.engine.make_url(admin_url).set(database=name)
    if url.get_backend_name() == 'mysql':
        url = url.set(query={'charset': 'utf8mb4'})
    url = url.render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    migration.upgrade(engine=engine)
    engine.dispose()

    def drop():
        with admin.connect() as conn:
            if admin.dialect.name == 'postgresql':
                conn.execute(sa.text(
                    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                    'WHERE datname = :name AND pid <> pg_backend_pid()'),
                    {'name': name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS {name}'))
        admin.dispose()
    return url, drop


def write_config(directory, host, db_url, sim, page_size) -> str:
    path = os.path.join(directory, f'{host}.conf')
    with open(path, 'w') as f:
        f.write(
            f'[DEFAULT]\nhost = {host}\nstate_path = {directory}\n'
            f'[database]\nconnection = {db_url}\n'
            f'[conductor]\nmax_in_flight = 1000000\n'
            f'max_in_flight_per_project = 1000000\n'
            f'[openstack]\nauth_type = password\n'
            f'auth_url = {sim["auth_url"]}\nusername = staffeln\n'
            f'password = secret\nproject_name = service\n'
            f'user_domain_name = Default\nproject_domain_name = Default\n'
            f'region_name = RegionOne\npage_size = {page_size}\n')
    return path


def count_backups(db_url: str) -> dict:
    import sqlalchemy as sa
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            'SELECT status, count(*) FROM backup_tasks GROUP BY status'))
        counts = {status: n for status, n in rows}
        volumes = conn.execute(sa.text(
            'SELECT count(DISTINCT volume_id) FROM backup_tasks')).scalar()
    engine.dispose()
    return {'tasks': counts, 'volumes': volumes}


def run_one(args, servers, projects, conductors) -> dict:
    tagged = max(1, math.ceil(servers * args.opted_in))
    backups = tagged * args.volumes_per_server
    print(f'S={servers} P={projects} C={conductors}: {tagged} opted-in '
          f'servers, {backups} backups', flush=True)
    sim_proc, sim = start_simulator(servers, projects, tagged,
                                    args.volumes_per_server)
    db_url, drop = create_database(args.db_admin_url)
    workers = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(conductors):
                host = f'bench-{i}'
                workers.append(Conductor(
                    write_config(tmp, host, db_url, sim, args.page_size),
                    host))
            result = {'servers': servers, 'projects': projects,
                      'conductors': conductors, 'opted_in': tagged,
                      'backups': backups,
                      'seed_seconds': round(sim['seed_seconds'], 1),
                      'seconds': {}, 'calls': {}, 'cpu': {}}
            cpu = {w.host: 0.0 for w in workers}
            for phase in PHASES:
                control(sim['url'], 'calls/reset', {})
                actors = workers[:1] if phase == 'discovery' else workers
                sim_cpu = cpu_seconds(sim_proc.pid)
                started = time.monotonic()
                for w in actors:
                    w.send('discover' if phase == 'discovery' else phase)
                used = 0.0
                for w in actors:
                    total = float(w.expect('done')[1])
                    used += total - cpu[w.host]
                    cpu[w.host] = total
                result['seconds'][phase] = round(
                    time.monotonic() - started, 2)
                result['cpu'][phase] = {
                    'simulator': round(cpu_seconds(sim_proc.pid) - sim_cpu,
                                       2),
                    'conductors': round(used, 2)}
                result['calls'][phase] = calls(sim['url'])
                if phase == 'start':
                    control(sim['url'], 'clock/advance',
                            {'seconds': BACKUP_DURATION + 1})
            outcome = count_backups(db_url)
            in_cloud = control(sim['url'], 'backups')['backups']
            result['check'] = {
                'tasks': outcome['tasks'],
                'volumes_with_tasks': outcome['volumes'],
                'backups_in_cloud': len(in_cloud),
                'volumes_with_backups': len({b['volume_id']
                                             for b in in_cloud}),
            }
            ok = (outcome['tasks'] == {'available': backups}
                  and outcome['volumes'] == backups == len(in_cloud)
                  == result['check']['volumes_with_backups'])
            result['ok'] = ok
    finally:
        for w in workers:
            w.stop()
        sim_proc.terminate()
        sim_proc.wait(timeout=60)
        drop()
    result['seconds']['cycle'] = round(sum(result['seconds'].values()), 2)
    result['calls']['cycle'] = sum(sum(per.values())
                                   for per in result['calls'].values())
    print(json.dumps(summary(result)), flush=True)
    return result


def summary(result: dict) -> dict:
    return {
        'S': result['servers'], 'P': result['projects'],
        'C': result['conductors'], 'backups': result['backups'],
        'calls': result['calls']['cycle'],
        'discovery_calls': sum(result['calls']['discovery'].values()),
        'seconds': result['seconds'], 'ok': result['ok'],
    }


# ---------------------------------------------------------------- output

def table(results: list) -> str:
    lines = ['| S | P | C | backups | calls | discovery calls | '
             'discovery s | start s | finish s | cycle s |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for r in sorted(results, key=lambda r: (r['servers'], r['projects'],
                                            r['conductors'])):
        s = r['seconds']
        lines.append(
            f'| {r["servers"]:,} | {r["projects"]:,} | {r["conductors"]} | '
            f'{r["backups"]:,} | {r["calls"]["cycle"]:,} | '
            f'{sum(r["calls"]["discovery"].values()):,} | '
            f'{s["discovery"]} | {s["start"]} | {s["finish"]} | '
            f'{s["cycle"]} |')
    return '\n'.join(lines)


def plot(results: list, path: str) -> None:
    try:
        import matplotlib
    except ImportError:
        print('matplotlib is not installed: no plot', file=sys.stderr)
        return
    matplotlib.use('Agg')
    from matplotlib import pyplot

    figure, (left, right) = pyplot.subplots(1, 2, figsize=(12, 4.8))
    projects = sorted({r['projects'] for r in results})
    colors = dict(zip(projects, ('tab:blue', 'tab:orange', 'tab:green',
                                 'tab:red', 'tab:purple')))
    for p in projects:
        for c, style in ((1, '-'), (3, '--')):
            rows = sorted((r for r in results
                           if r['projects'] == p and r['conductors'] == c),
                          key=lambda r: r['servers'])
            if not rows:
                continue
            xs = [r['servers'] for r in rows]
            label = f'P={p:,}, {c} conductor{"s" if c > 1 else ""}'
            left.plot(xs, [r['calls']['cycle'] for r in rows], style,
                      marker='o', color=colors[p], label=label)
            right.plot(xs, [r['seconds']['cycle'] for r in rows], style,
                       marker='o', color=colors[p], label=label)
    for axis, title in ((left, 'API calls in one cycle'),
                        (right, 'Wall time of one cycle (s)')):
        axis.set_xscale('log')
        axis.set_yscale('log')
        axis.set_xlabel('servers (S); 10 % opted in, one volume each')
        axis.set_title(title)
        axis.grid(True, which='both', alpha=0.3)
    left.legend(fontsize='small')
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    print(f'plot written to {path}')


def numbers(text: str) -> list[int]:
    return [int(x) for x in text.split(',') if x]


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == '--worker':
        return worker(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--servers', type=numbers, default='1000,10000')
    parser.add_argument('--projects', type=numbers, default='10,1000')
    parser.add_argument('--conductors', type=numbers, default='1,3')
    parser.add_argument('--opted-in', type=float, default=0.1,
                        help='Fraction of the servers opted in.')
    parser.add_argument('--volumes-per-server', type=int, default=1)
    parser.add_argument('--page-size', type=int, default=1000)
    parser.add_argument(
        '--db-admin-url', default=os.environ.get(
            'STAFFELN_TEST_POSTGRESQL_URL',
            'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres'))
    parser.add_argument('--out', help='JSON file; results are merged in.')
    parser.add_argument('--plot', help='PNG file to draw.')
    parser.add_argument('--plot-only', action='store_true',
                        help='Only draw --plot from --out.')
    args = parser.parse_args()

    results = []
    if args.out and os.path.exists(args.out):
        with open(args.out) as f:
            results = json.load(f)
    if not args.plot_only:
        for servers in args.servers:
            for projects in args.projects:
                for conductors in args.conductors:
                    result = run_one(args, servers, projects, conductors)
                    results = [r for r in results if (
                        r['servers'], r['projects'], r['conductors']) != (
                        servers, projects, conductors)] + [result]
                    if args.out:
                        with open(args.out, 'w') as f:
                            json.dump(results, f, indent=1)
    print(table(results))
    if args.plot:
        plot(results, args.plot)
    return 0 if all(r['ok'] for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
