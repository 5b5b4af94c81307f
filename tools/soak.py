#!/usr/bin/env python3
"""Soak: three real conductors under faults, killed and frozen, then checked.

Starts the simulated cloud as a process (wall clock, backups that take a
few seconds), a fresh database on PostgreSQL or MariaDB, and three
``staffeln-conductor`` processes coordinated through Redis. For the chaos
period, the cloud answers creates late (past the client timeout, after
making the backup) and fails a share of all calls with 5xx or timeouts,
while this tool keeps SIGKILLing conductors (a whole process group, or the
worker alone, which its master restarts) and freezing the leader with
SIGSTOP for longer than the lock timeouts. Then the faults stop, the
conductors work for a while, and the invariants are checked:

* every backup in Cinder is the backup of exactly one task;
* no volume has two backups for one due period;
* no task is stuck (starting, creating or cleanup) and no stray is left;
* every incremental backup has a parent that is good or being deleted;
* every volume was backed up within two intervals after the faults stop.

It prints one JSON document with the figures and the violations, and exits
1 when there is any violation.

    python tools/soak.py --database postgresql --chaos 600 --kills 30
    python tools/soak.py --database mysql --short   # what CI runs
"""

import argparse
import collections
import datetime
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import requests
import sqlalchemy as sa

ADMIN_URLS = {
    'mysql': os.environ.get('STAFFELN_TEST_MYSQL_URL',
                            'mysql+pymysql://root@127.0.0.1:3306/'),
    'postgresql': os.environ.get(
        'STAFFELN_TEST_POSTGRESQL_URL',
        'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres'),
}
REDIS_URL = os.environ.get('STAFFELN_TEST_REDIS_URL',
                           'redis://127.0.0.1:6379')
HOSTS = ('soak-a', 'soak-b', 'soak-c')
BIN = os.path.dirname(sys.executable)
UTC = datetime.timezone.utc
#: Seconds after which a task still on its way is stuck: the settle time,
#: a backup's duration and a few polls.
STUCK_AFTER = 60


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--database', choices=('postgresql', 'mysql'),
                        default='postgresql')
    parser.add_argument('--servers', type=int, default=60)
    parser.add_argument('--projects', type=int, default=6)
    parser.add_argument('--chaos', type=float, default=600,
                        help='Seconds of faults and kills.')
    parser.add_argument('--kills', type=int, default=30,
                        help='SIGKILLs during the chaos, at least.')
    parser.add_argument('--freezes', type=int, default=4,
                        help='Leader freezes during the chaos.')
    parser.add_argument('--interval', type=int, default=90,
                        help='Backup interval of every volume, in seconds.')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--short', action='store_true',
                        help='A short run for CI: 120 s of chaos, 12 kills, '
                             '2 freezes, a 60 s interval.')
    parser.add_argument('--keep', action='store_true',
                        help='Keep the work directory and the database.')
    args = parser.parse_args(argv)
    if args.short:
        args.chaos, args.kills, args.freezes, args.interval = 120, 12, 2, 60
    return args


# ---------------------------------------------------------------- fixtures

class Sim:
    """The simulated cloud as a process, with the wall clock."""

    def __init__(self, args, work):
        self.log = open(os.path.join(work, 'simcloud.log'), 'w')
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'staffeln.tests.simcloud', '--port', '0',
             '--seed', 'bench', '--servers', str(args.servers),
             '--tagged', str(args.servers), '--projects', str(args.projects),
             '--volumes-per-server', '2', '--realtime',
             '--backup-duration', '3'],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        info = json.loads(self.process.stdout.readline())
        self.url, self.auth_url = info['url'], info['auth_url']
        self.session = requests.Session()

    def faults(self, rules):
        self.session.delete(f'{self.url}/_sim/faults', timeout=30)
        for rule in rules:
            self.session.post(f'{self.url}/_sim/faults', json=rule,
                              timeout=30).raise_for_status()

    def backups(self):
        response = self.session.get(f'{self.url}/_sim/backups', timeout=120)
        response.raise_for_status()
        return response.json()['backups']

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def create_database(kind: str) -> tuple[str, str]:
    name = 'staffeln_soak_' + uuid.uuid4().hex[:10]
    admin = sa.create_engine(ADMIN_URLS[kind], isolation_level='AUTOCOMMIT')
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE {name}'))
    admin.dispose()
    url = sa.engine.make_url(ADMIN_URLS[kind]).set(database=name)
    return name, url.render_as_string(hide_password=False)


def drop_database(kind: str, name: str) -> None:
    admin = sa.create_engine(ADMIN_URLS[kind], isolation_level='AUTOCOMMIT')
    with admin.connect() as conn:
        if kind == 'postgresql':
            conn.execute(sa.text(
                'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                'WHERE datname = :name'), {'name': name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS {name}'))
    admin.dispose()


def config(args, work, host, db_url, sim, namespace) -> str:
    path = os.path.join(work, f'{host}.conf')
    with open(path, 'w') as f:
        f.write(
            f'[DEFAULT]\nhost = {host}\nstate_path = {work}/{host}\n'
            f'log_file = {work}/{host}.log\n'
            f'[database]\nconnection = {db_url}\n'
            f'[coordination]\nbackend_url = {REDIS_URL}\n'
            f'namespace = {namespace}\nleader_timeout = 6s\n'
            f'heartbeat_interval = 1\n'
            f'[conductor]\ndiscovery_interval = 15s\npoll_interval = 2s\n'
            f'backup_interval = {args.interval}s\n'
            f'min_backup_interval = 30s\nclaim_timeout = 20s\n'
            f'create_settle_time = 15s\nretry_interval = 30s\n'
            f'full_backup_depth = 3\n'
            f'max_in_flight = 40\nmax_in_flight_per_project = 10\n'
            f'[retention]\nretention_interval = 60s\n'
            f'[openstack]\nauth_type = password\n'
            f'auth_url = {sim.auth_url}\nusername = staffeln\n'
            f'password = secret\nproject_name = service\n'
            f'user_domain_name = Default\nproject_domain_name = Default\n'
            f'region_name = RegionOne\ntimeout = 3\napi_retries = 1\n')
    return path


class Conductor:
    """One staffeln-conductor: a master and its worker, own process group."""

    def __init__(self, host, path):
        self.host, self.path = host, path
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [os.path.join(BIN, 'staffeln-conductor'), '--config-file',
             self.path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def worker(self) -> int | None:
        try:
            out = subprocess.run(['pgrep', '-P', str(self.process.pid)],
                                 capture_output=True, text=True).stdout
        except OSError:
            return None
        pids = [int(p) for p in out.split()]
        return pids[0] if pids else None

    def kill_group(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def signal_group(self, signum):
        os.killpg(self.process.pid, signum)

    def stop(self):
        if not self.alive():
            return
        self.signal_group(signal.SIGCONT)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill_group()


# ---------------------------------------------------------------- chaos

FAULTS = [
    # Creates answered late: Cinder makes the backup, the answer comes
    # after the client's 3 s timeout.
    {'method': 'POST', 'path_regex': '/backups$', 'status': None,
     'delay': 4, 'after': True, 'count': None, 'ratio': 0.3, 'seed': 11},
    # A fifth of every call fails, before or after taking effect.
    {'path_regex': '/(volume|compute)/', 'status': 503, 'count': None,
     'ratio': 0.1, 'seed': 12},
    {'path_regex': '/(volume|compute)/', 'status': 502, 'after': True,
     'count': None, 'ratio': 0.05, 'seed': 13},
    {'path_regex': '/(volume|compute)/', 'status': None, 'delay': 4,
     'count': None, 'ratio': 0.05, 'seed': 14},
]


def leader(conductors) -> 'Conductor | None':
    """The conductor that leads now, as staffeln-manage conductors says."""
    done = subprocess.run(
        [os.path.join(BIN, 'staffeln-manage'), '--config-file',
         conductors[0].path, 'conductors', '--json'],
        capture_output=True, text=True, timeout=120)
    try:
        name = json.loads(done.stdout).get('leader')
    except ValueError:
        return None
    return next((c for c in conductors if c.host == name), None)


def chaos(args, conductors, rng, log) -> dict:
    counts = collections.Counter()
    end = time.monotonic() + args.chaos
    slots = args.kills + args.freezes
    pause = args.chaos / (slots + 1)
    plan = ['kill'] * args.kills + ['freeze'] * args.freezes
    rng.shuffle(plan)
    for action in plan:
        time.sleep(max(0.0, min(pause, end - time.monotonic())))
        victim = rng.choice(conductors)
        if action == 'freeze':
            victim = leader(conductors) or victim
            victim.signal_group(signal.SIGSTOP)
            time.sleep(8)  # longer than leader_timeout and heartbeats
            victim.signal_group(signal.SIGCONT)
            counts['freezes'] += 1
            log(f'froze {victim.host} for 8 s')
            continue
        worker = victim.worker() if rng.random() < 0.4 else None
        if worker:
            os.kill(worker, signal.SIGKILL)
            counts['worker_kills'] += 1
            log(f'killed the worker of {victim.host}')
        else:
            victim.kill_group()
            victim.start()
            counts['group_kills'] += 1
            log(f'killed {victim.host} and started it again')
    time.sleep(max(0.0, end - time.monotonic()))
    return dict(counts)


# ---------------------------------------------------------------- checks

def read_state(db_url):
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        tasks = [dict(r._mapping) for r in conn.execute(sa.text(
            'SELECT id, uuid, volume_id, status, backup_id, backup_type, '
            'parent_id, started_at, finished_at FROM backup_tasks'))]
        strays = [dict(r._mapping) for r in conn.execute(sa.text(
            'SELECT backup_id, status FROM stray_backups'))]
    engine.dispose()
    return tasks, strays


def check(args, sim, db_url, calm_started,
          stopped) -> tuple[dict, list]:
    tasks, strays = read_state(db_url)
    live = [b for b in sim.backups() if b['status'] != 'deleted']
    violations = []
    by_backup = {t['backup_id']: t for t in tasks if t['backup_id']}
    for backup in live:
        if backup['id'] not in by_backup:
            violations.append(f'backup {backup["id"]} has no task')
    markers = collections.Counter(
        b['metadata'].get('__staffeln_task') for b in live)
    violations += [f'{n} live backups carry task {m}'
                   for m, n in markers.items() if n > 1]
    violations += _duplicate_periods(args, tasks)
    # A task may be on its way when the conductors stop; one that has been
    # for longer than a settle time and a few polls is stuck.
    stuck_before = (stopped.replace(tzinfo=None)
                    - datetime.timedelta(seconds=STUCK_AFTER))
    violations += [f'task {t["uuid"]} is stuck in {t["status"]}'
                   for t in tasks
                   if t['status'] in ('starting', 'creating', 'cleanup')
                   and t['started_at'] < stuck_before]
    violations += [f'stray {s["backup_id"]} is still {s["status"]}'
                   for s in strays if s['status'] != 'deleted']
    violations += _orphan_incrementals(tasks)
    violations += _late_volumes(args, tasks, calm_started)
    figures = {
        'tasks': collections.Counter(t['status'] for t in tasks),
        'live_backups': len(live),
        'strays': collections.Counter(s['status'] for s in strays),
        'volumes': len({t['volume_id'] for t in tasks}),
    }
    return figures, violations


def _good(tasks):
    return [t for t in tasks if t['status'] in ('available', 'deleting',
                                                'deleted')]


def _duplicate_periods(args, tasks) -> list:
    found = []
    by_volume = collections.defaultdict(list)
    for task in _good(tasks):
        by_volume[task['volume_id']].append(task['started_at'])
    for volume, times in by_volume.items():
        times.sort()
        for earlier, later in zip(times, times[1:]):
            if (later - earlier).total_seconds() < args.interval * 0.9:
                found.append(f'volume {volume} has two backups '
                             f'{(later - earlier).total_seconds():.0f} s '
                             f'apart')
    return found


def _orphan_incrementals(tasks) -> list:
    by_id = {t['id']: t for t in tasks}
    found = []
    for task in tasks:
        if task['status'] != 'available' or \
                task['backup_type'] != 'incremental':
            continue
        parent = by_id.get(task['parent_id'])
        if parent is None or parent['status'] not in ('available',
                                                      'deleting'):
            found.append(f'incremental task {task["uuid"]} has no good '
                         f'parent')
    return found


def _late_volumes(args, tasks, calm_started) -> list:
    start = calm_started.replace(tzinfo=None)
    end = start + datetime.timedelta(seconds=2 * args.interval)
    on_time = {t['volume_id'] for t in _good(tasks)
               if t['finished_at'] and start <= t['finished_at'] <= end}
    volumes = {t['volume_id'] for t in tasks}
    return [f'volume {v} has no backup within two intervals of the calm'
            for v in sorted(volumes - on_time)]


# ---------------------------------------------------------------- main

def run(args) -> dict:
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix='staffeln-soak-')
    started = time.monotonic()

    def log(message):
        print(f'[{time.monotonic() - started:7.1f}s] {message}',
              file=sys.stderr, flush=True)
    sim = Sim(args, work)
    db_name, db_url = create_database(args.database)
    namespace = 'soak' + uuid.uuid4().hex[:8]
    conductors = [Conductor(h, config(args, work, h, db_url, sim, namespace))
                  for h in HOSTS]
    try:
        subprocess.run([os.path.join(BIN, 'staffeln-manage'), '--config-file',
                        conductors[0].path, 'db', 'upgrade'], check=True,
                       capture_output=True)
        for conductor in conductors:
            conductor.start()
        log(f'{len(conductors)} conductors on {args.database}; faults on')
        sim.faults(FAULTS)
        actions = chaos(args, conductors, rng, log)
        sim.faults([])
        calm = datetime.datetime.now(UTC)
        log('faults off; every conductor runs')
        for conductor in conductors:
            if not conductor.alive():
                conductor.start()
        time.sleep(2 * args.interval + 30)
        stopped = datetime.datetime.now(UTC)
        for conductor in conductors:
            conductor.stop()
        figures, violations = check(args, sim, db_url, calm, stopped)
    finally:
        for conductor in conductors:
            if conductor.alive():
                conductor.kill_group()
        sim.stop()
        if not args.keep:
            drop_database(args.database, db_name)
    return {'database': args.database, 'chaos_s': args.chaos,
            'actions': actions, **figures,
            'wall_s': round(time.monotonic() - started),
            'violations': violations, 'work': work}


def main(argv=None) -> int:
    result = run(parse(argv))
    print(json.dumps(result, indent=2, default=str))
    return 1 if result['violations'] else 0


if __name__ == '__main__':
    sys.exit(main())
