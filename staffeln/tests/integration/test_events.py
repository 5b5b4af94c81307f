"""Event-driven discovery on the real cloud: opted in now, backed up now.

staffeln-conductor runs as a process with discovery once an hour and
polling every ten minutes, listening to the real Nova's and Cinder's
notifications on the cloud's own RabbitMQ. A tenant opts a server in with
``openstack server set --property``: its volume's backup is created within
seconds, and recorded as available when Cinder says it is, neither
waiting for the hourly discovery nor for the next poll.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import fixtures

from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.functional import db_fixture
from staffeln.tests.integration import service_user
from staffeln.tests import realcloud

BIN = os.path.dirname(sys.executable)
#: The real cloud's message bus (see its README).
RABBIT_URL = os.environ.get('STAFFELN_REALCLOUD_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5673/')
#: The issue's promise: the backup is created this soon after the tag.
CREATED_WITHIN = 30


class TestEventDrivenDiscovery(service_user.StaffelnTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.db = self.useFixture(db_fixture.Database('sqlite'))
        self.tenant = self.cloud.add_tenant()
        self.server = self.cloud.boot_from_volume(self.tenant, 'app')
        self.log = os.path.join(self.state, 'conductor.log')

    def config(self) -> str:
        creds = realcloud.admin_credentials()
        sections = {
            'DEFAULT': {'host': 'events-conductor', 'state_path': self.state,
                        'log_file': self.log, 'debug': 'true'},
            'database': {'connection': self.db.url},
            'openstack': {
                'auth_type': 'password', 'auth_url': creds.auth_url,
                'username': self.service.name,
                'password': self.service.password,
                'project_name': 'admin', 'user_domain_name': 'Default',
                'project_domain_name': 'Default',
                'region_name': creds.region},
            'conductor': {'backup_metadata_key': self.key,
                          'discovery_interval': '1h',
                          'poll_interval': '10min',
                          'backup_timeout': '10min'},
            'events': {'listen': 'true', 'transport_url': RABBIT_URL,
                       # A pool of its own: nothing sent before it starts.
                       'pool': f'staffeln-{uuid.uuid4().hex[:8]}'},
        }
        path = os.path.join(self.state, 'staffeln.conf')
        with open(path, 'w') as f:
            for section, options in sections.items():
                f.write(f'[{section}]\n')
                f.writelines(f'{k} = {v}\n' for k, v in options.items())
        return path

    def start_conductor(self) -> subprocess.Popen:
        proc = subprocess.Popen(
            [os.path.join(BIN, 'staffeln-conductor'), '--config-file',
             self.config()], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.addCleanup(self.stop, proc)
        return proc

    def stop(self, proc) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def wait_until(self, proc, condition, what: str, timeout: float):
        """Wait (bounded) for the conductor process to get somewhere."""
        deadline = time.monotonic() + timeout
        while not condition():
            if proc.poll() is not None:
                self.fail(f'the conductor exited ({proc.returncode}) '
                          f'before {what}: {self.logged()[-2000:]}')
            if time.monotonic() > deadline:
                self.fail(f'no {what} within {timeout} s: '
                          f'{self.logged()[-2000:]}')
            time.sleep(0.5)

    def logged(self) -> str:
        try:
            with open(self.log) as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def opt_in(self) -> None:
        """As the tenant would, with the openstack client when installed."""
        osc = shutil.which('openstack', path=BIN) or shutil.which('openstack')
        if osc is None:
            self.tenant.connection.compute.set_server_metadata(
                self.server.server_id, **{self.key: 'yes'})
            return
        creds = realcloud.admin_credentials()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env.update(OS_AUTH_URL=creds.auth_url,
                   OS_USERNAME=self.tenant.user_name,
                   OS_PASSWORD=self.tenant.password,
                   OS_PROJECT_ID=self.tenant.project_id,
                   OS_USER_DOMAIN_NAME='Default',
                   OS_REGION_NAME=creds.region, OS_IDENTITY_API_VERSION='3')
        subprocess.run([osc, 'server', 'set', '--property',
                        f'{self.key}=yes', self.server.server_id], env=env,
                       check=True, capture_output=True, timeout=120)

    def tasks(self) -> list:
        return [t for t in db_api.list_tasks(self.context)
                if t.volume_id == self.server.boot_volume_id]

    def test_opted_in_now_is_backed_up_within_seconds(self):
        proc = self.start_conductor()
        # The conductor's first discovery, at start, finds nothing to do.
        self.wait_until(proc, lambda: 'Discovery queued 0 backups'
                        in self.logged(), 'first discovery', 120)
        self.wait_until(proc, lambda: 'Listening to notifications'
                        in self.logged(), 'listener', 60)

        self.opt_in()
        self.wait_until(proc, lambda: any(t.backup_id for t in self.tasks()),
                        'backup created', CREATED_WITHIN)
        # Cinder's backup.create.end records it, ten minutes before the
        # next poll would.
        self.wait_until(proc, lambda: [t.status for t in self.tasks()]
                        == [states.AVAILABLE], 'available backup', 300)
        [task] = self.tasks()
        self.assertEqual('available', self.tenant.connection.block_storage
                         .get_backup(task.backup_id).status)
