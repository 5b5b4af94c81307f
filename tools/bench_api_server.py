"""What the API benchmarks share: a database, staffeln-api, its CPU.

:class:`Database` creates a fresh database with Staffeln's schema (SQLite
in the work directory, or a new database on the servers of
``STAFFELN_TEST_MYSQL_URL`` / ``STAFFELN_TEST_POSTGRESQL_URL``, as in the
functional tests) and drops it again; :func:`start_api` runs the
``staffeln-api`` console script on a free loopback port; :func:`cpu_seconds`
is what it spent.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import sqlalchemy as sa

from staffeln.db import migration

ADMIN_URLS = {
    'mysql': os.environ.get('STAFFELN_TEST_MYSQL_URL',
                            'mysql+pymysql://root@127.0.0.1:3306/'),
    'postgresql': os.environ.get(
        'STAFFELN_TEST_POSTGRESQL_URL',
        'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres'),
}


class Database:
    """A fresh database with Staffeln's schema; dropped by ``close()``."""

    def __init__(self, backend: str, workdir: str):
        self.backend = backend
        self.name = None
        if backend == 'sqlite':
            self.url = f'sqlite:///{workdir}/staffeln.sqlite'
        else:
            self.name = 'staffeln_bench_' + uuid.uuid4().hex[:10]
            admin_url = sa.engine.make_url(ADMIN_URLS[backend])
            self.admin = sa.create_engine(admin_url,
                                          isolation_level='AUTOCOMMIT')
            with self.admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE {self.name}'))
            url = admin_url.set(database=self.name)
            if backend == 'mysql':
                url = url.set(query={'charset': 'utf8mb4'})
            self.url = url.render_as_string(hide_password=False)
        self.engine = sa.create_engine(self.url)
        migration.upgrade(engine=self.engine)

    def analyze(self):
        """Give the query planner statistics of the seeded tables.

        A table bulk-loaded a moment ago has none: PostgreSQL's autovacuum
        or MariaDB's persistent statistics would compute them within a
        minute or so; until then plans can scan whole tables.
        """
        tables = ('backup_tasks', 'volumes', 'volume_policies',
                  'stray_backups')
        with self.engine.begin() as conn:
            if self.backend == 'mysql':
                conn.execute(sa.text(f'ANALYZE TABLE {", ".join(tables)}'))
            else:
                conn.execute(sa.text('ANALYZE'))

    def close(self):
        self.engine.dispose()
        if self.name:
            with self.admin.connect() as conn:
                if self.backend == 'postgresql':
                    conn.execute(sa.text(
                        'SELECT pg_terminate_backend(pid) FROM '
                        'pg_stat_activity WHERE datname = :name AND '
                        'pid <> pg_backend_pid()'), {'name': self.name})
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS {self.name}'))
            self.admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def start_api(db_url: str, workdir: str, workers: int,
              processes: int = 1, pool: int | None = None,
              auth_strategy: str | None = None):
    """``staffeln-api`` on a free loopback port, once it is healthy."""
    port = free_port()
    config = os.path.join(workdir, 'staffeln.conf')
    with open(config, 'w') as f:
        f.write(f'[DEFAULT]\nstate_path = {workdir}\n'
                f'log_file = {workdir}/staffeln-api.log\n'
                f'[database]\nconnection = {db_url}\n'
                + (f'max_pool_size = {pool}\nmax_overflow = 0\n'
                   if pool else '') +
                f'[api]\nhost = 127.0.0.1\nport = {port}\n'
                f'workers = {workers}\nprocesses = {processes}\n'
                + (f'auth_strategy = {auth_strategy}\n'
                   if auth_strategy else ''))
    api = shutil.which('staffeln-api') or os.path.join(
        os.path.dirname(sys.executable), 'staffeln-api')
    process = subprocess.Popen([api, '--config-file', config])
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f'staffeln-api exited with {process.returncode}')
        try:
            with urllib.request.urlopen(url + '/healthcheck', timeout=5):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit('staffeln-api did not become healthy')


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by ``pid`` and its children (Linux /proc).

    What staffeln-api itself costs per request, whatever else the machine
    is doing.
    """
    pids = [pid]
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            pids += [int(child) for child in f.read().split()]
    except OSError:
        return float('nan')
    ticks = 0
    for one in pids:
        try:
            with open(f'/proc/{one}/stat') as f:
                fields = f.read().rpartition(')')[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf('SC_CLK_TCK')


def lua_string(text: str) -> str:
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'
