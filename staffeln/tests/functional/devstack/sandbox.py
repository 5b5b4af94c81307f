"""A sandbox in which devstack's own code runs Staffeln's plugin.

``phases.sh`` sources devstack's real ``functions``, ``stackrc``, ``inc/*``
and ``lib/*`` from a devstack checkout (``../shared/devstack`` next to this
repository, or ``STAFFELN_TEST_DEVSTACK``), through a directory of symbolic
links that adds the test's ``local.conf`` as ``.localrc.auto``. Everything
devstack writes goes to the sandbox: ``DEST``, ``DATA_DIR``, the
configuration directories, the systemd units (``USER_UNITS=True``).

The commands that would need root, a running Keystone or a database server
are fakes (``fakes/``) that record their arguments: ``sudo`` (which still
runs file commands on sandbox paths), ``openstack``, ``mysql``, ``psql``,
``createdb`` and ``systemctl`` (which starts a unit's ``ExecStart`` for
real). The database is a SQLite file: ``BASE_SQL_CONN`` points devstack's
connection URLs at it.

The Python of the services is a virtualenv of the distribution's python3
(``.venv-distro``, or ``STAFFELN_TEST_DISTRO_VENV``), which devstack's uwsgi
loads with ``--venv``, the way devstack runs it. When the tests run as
root, devstack's code runs as ``nobody``, as it refuses to run as root:
then nothing outside the sandbox can be written by mistake.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess

import fixtures
from testtools import content

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
DEVSTACK = os.environ.get('STAFFELN_TEST_DEVSTACK',
                          os.path.join(os.path.dirname(TOP), 'shared',
                                       'devstack'))
DISTRO_VENV = os.environ.get('STAFFELN_TEST_DISTRO_VENV',
                             os.path.join(TOP, '.venv-distro'))
FAKES = os.path.join(HERE, 'fakes')
PHASES = os.path.join(HERE, 'phases.sh')
SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

#: What every test's local.conf says: the documented one, with the
#: sandbox's paths.
LOCALRC = """\
DEST={sandbox}/opt/stack
DATA_DIR=$DEST/data
USER_UNITS=True
ADMIN_PASSWORD=secret
DATABASE_PASSWORD=$ADMIN_PASSWORD
RABBIT_PASSWORD=$ADMIN_PASSWORD
SERVICE_PASSWORD=$ADMIN_PASSWORD
DEVSTACK_VENV={venv}
MYSQL_GATHER_PERFORMANCE=False
BASE_SQL_CONN=sqlite:///{sandbox}/db
STAFFELN_CONF_DIR={sandbox}/etc/staffeln
STAFFELN_API_PORT={port}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Devstack(fixtures.Fixture):
    """Devstack with Staffeln's plugin enabled, in a temporary directory.

    ``localrc`` lines go into local.conf's ``[[local|localrc]]`` before
    ``enable_plugin``; ``keystone`` is the ``host:port`` of a Keystone
    (``KEYSTONE_SERVICE_HOST``).
    """

    def __init__(self, localrc: str = 'HOST_IP=127.0.0.1',
                 keystone: str | None = None) -> None:
        super().__init__()
        self._localrc = localrc
        self._keystone = keystone

    def _setUp(self) -> None:
        for path, what in ((DEVSTACK, 'a devstack checkout'),
                           (os.path.join(DISTRO_VENV, 'bin', 'python3'),
                            'a virtualenv of the distribution\'s python3 '
                            'with Staffeln installed (tools/run-tests.sh '
                            'makes it)')):
            if not os.path.exists(path):
                raise AssertionError(f'{path} is missing: it should be '
                                     f'{what}')
        self.path = self.useFixture(fixtures.TempDir()).path
        self.port = free_port()
        self.top_dir = os.path.join(self.path, 'devstack')
        self.dest = os.path.join(self.path, 'opt', 'stack')
        self.calls_file = os.path.join(self.path, 'calls')
        self.log_file = os.path.join(self.path, 'devstack.log')
        self.addCleanup(self._stop_units)
        # Read before the directory goes: devstack's output and the units'.
        self._logs = {}
        self.addCleanup(self._keep_logs)
        for name in ('devstack', 'staffeln-api', 'staffeln-conductor'):
            self.addDetail(name, content.Content(
                content.UTF8_TEXT,
                lambda name=name: [self._logs.get(name, b'')]))
        self._make_tree()
        if os.geteuid() == 0:
            user = pwd.getpwnam('nobody')
            self._user = user.pw_uid, user.pw_gid
            for root, dirs, files in os.walk(self.path):
                for name in [root] + [os.path.join(root, n)
                                      for n in dirs + files]:
                    os.lchown(name, *self._user)
        else:
            self._user = None

    def _make_tree(self) -> None:
        os.makedirs(self.top_dir)
        for name in os.listdir(DEVSTACK):
            if not name.startswith('.'):
                os.symlink(os.path.join(DEVSTACK, name),
                           os.path.join(self.top_dir, name))
        localrc = LOCALRC.format(sandbox=self.path, venv=DISTRO_VENV,
                                 port=self.port)
        localrc += self._localrc + '\n'
        if self._keystone:
            localrc += f'KEYSTONE_SERVICE_HOST={self._keystone}\n'
        localrc += f'enable_plugin staffeln file://{TOP}\n'
        with open(os.path.join(self.top_dir, '.localrc.auto'), 'w') as f:
            f.write(localrc)
        # What "stack install" would have cloned.
        os.makedirs(self.dest)
        os.symlink(TOP, os.path.join(self.dest, 'staffeln'))
        cinder_etc = os.path.join(self.dest, 'cinder', 'etc', 'cinder')
        os.makedirs(cinder_etc)
        open(os.path.join(cinder_etc, 'api-paste.ini'), 'w').close()
        for name in ('home', 'db', 'etc/cinder'):
            os.makedirs(os.path.join(self.path, name))
        open(self.calls_file, 'w').close()
        open(self.log_file, 'w').close()

    # ------------------------------------------------------------ running

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """``phases.sh *args``, its output appended to the detail."""
        env = {
            'PATH': f'{FAKES}:{SYSTEM_PATH}',
            'HOME': os.path.join(self.path, 'home'),
            'LANG': 'C.UTF-8',
            'TOP_DIR': self.top_dir,
            'FAKE_SANDBOX': self.path,
            'FAKE_CALLS': self.calls_file,
        }
        kwargs = {}
        if self._user:
            kwargs = {'user': self._user[0], 'group': self._user[1],
                      'extra_groups': []}
        with open(self.log_file, 'a') as log:
            log.write(f'\n===== phases.sh {" ".join(args)}\n')
            log.flush()
            return subprocess.run(
                ['bash', PHASES, *args], cwd=self.path, env=env,
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, timeout=600, **kwargs)

    def must_run(self, *args: str) -> None:
        proc = self.run(*args)
        if proc.returncode:
            raise AssertionError(
                f'phases.sh {" ".join(args)} exited {proc.returncode}; '
                f'see the devstack detail')

    def output(self) -> str:
        with open(self.log_file) as f:
            return f.read()

    # ------------------------------------------------------------ results

    def calls(self, command: str | None = None) -> list[list[str]]:
        """The fakes' calls, in order: each the command and its words."""
        with open(self.calls_file) as f:
            calls = [shlex.split(line) for line in f if line.strip()]
        return [c for c in calls if command is None or c[0] == command]

    def file(self, *parts: str) -> str:
        return os.path.join(self.path, *parts)

    def read(self, *parts: str) -> str:
        with open(self.file(*parts)) as f:
            return f.read()

    def give(self, path: str) -> None:
        """Make a file the test wrote devstack's user's."""
        if self._user:
            os.chown(path, *self._user)

    def unit_log(self, unit: str) -> str:
        path = self.file('systemd', f'devstack@{unit}.service.log')
        if not os.path.exists(path):
            return ''
        with open(path, errors='replace') as f:
            return f.read()

    def _keep_logs(self) -> None:
        self._logs['devstack'] = self.output().encode()
        for unit in ('staffeln-api', 'staffeln-conductor'):
            self._logs[unit] = self.unit_log(unit).encode()

    def _stop_units(self) -> None:
        """End what the fake systemctl started and a test left running."""
        state = self.file('systemd')
        if not os.path.isdir(state):
            return
        for name in os.listdir(state):
            if name.endswith('.pid'):
                with open(os.path.join(state, name)) as f:
                    pid = int(f.read())
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def which_uwsgi() -> str:
    """The distribution's uwsgi, which devstack installs; fails if none."""
    path = shutil.which('uwsgi', path=SYSTEM_PATH)
    if not path:
        raise AssertionError('uwsgi is not installed: apt-get install uwsgi '
                             'uwsgi-plugin-python3, as devstack does')
    return path
