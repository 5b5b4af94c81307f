"""The API served for real on loopback, Cinder's side of the policy check,
and ways to make the database fail for real."""

import datetime
import os
import shutil
import threading
import uuid

import fixtures
from oslo_config import cfg
from oslo_policy import policy
import sqlalchemy as sa

from staffeln.api import app as api_app
from staffeln.api import server as api_server
from staffeln.common import context as staffeln_context
from staffeln.db import api as db_api
from staffeln.tests.functional import db_fixture

MARKER = '__automated_backup'


class ApiServer(fixtures.Fixture):
    """``create_app(conf)`` served by staffeln-api's own server.

    It listens on a free loopback port; ``url`` is where.
    """

    def __init__(self, conf: cfg.ConfigOpts, clock=None):
        super().__init__()
        self.conf = conf
        self.clock = clock

    def _setUp(self):
        self.conf.set_override('host', '127.0.0.1', group='api')
        self.conf.set_override('port', 0, group='api')
        self.addCleanup(self.conf.clear_override, 'host', group='api')
        self.addCleanup(self.conf.clear_override, 'port', group='api')
        self.app = api_app.create_app(self.conf, self.clock)
        self.server = api_server.build_server(self.conf, self.app)
        self.server.prepare()
        self.thread = threading.Thread(target=self.server.serve,
                                       name='staffeln-api', daemon=True)
        self.thread.start()
        self.addCleanup(self.stop)
        self.url = self.server.url
        self.port = self.server.bind_addr[1]

    def stop(self):
        self.server.stop()
        self.thread.join(10)


def cinder_enforcer(policy_dir: str, rule: str,
                    content_type: str = 'application/x-www-form-urlencoded',
                    **oslo_policy) -> policy.Enforcer:
    """An oslo.policy Enforcer set up the way Cinder's is.

    ``backup:delete`` has Cinder's default and ``rule`` comes from a
    policy.yaml, as an operator would write it.
    """
    conf = cfg.ConfigOpts()
    conf([], project='cinder', default_config_files=[],
         default_config_dirs=[])
    path = os.path.join(policy_dir, f'policy-{uuid.uuid4().hex}.yaml')
    with open(path, 'w') as f:
        f.write(f'"backup:delete": "{rule}"\n')
    enforcer = policy.Enforcer(conf, policy_file=path)
    conf.set_override('remote_content_type', content_type,
                      group='oslo_policy')
    for name, value in oslo_policy.items():
        conf.set_override(name, value, group='oslo_policy')
    enforcer.register_default(policy.RuleDefault(
        'backup:delete',
        'role:admin or (role:member and project_id:%(project_id)s)'))
    return enforcer


def cinder_credentials(project_id: str, roles=('member', 'reader')) -> dict:
    """What Cinder's RequestContext.to_policy_values() gives oslo.policy."""
    return {
        'user_id': uuid.uuid4().hex,
        'user_domain_id': 'default',
        'system_scope': None,
        'domain_id': None,
        'project_id': project_id,
        'project_domain_id': 'default',
        'roles': list(roles),
        'is_admin_project': True,
        'service_user_id': None,
        'service_user_domain_id': None,
        'service_project_id': None,
        'service_project_domain_id': None,
        'service_roles': [],
    }


def cinder_backup_target(backup_id: str, project_id: str,
                         metadata: dict | None = None) -> dict:
    """The target Cinder builds for ``backup:delete``: the backup's fields."""
    now = datetime.datetime(2026, 1, 2, 3, 4, 5).isoformat()
    return {
        'id': backup_id,
        'user_id': uuid.uuid4().hex,
        'project_id': project_id,
        'volume_id': str(uuid.uuid4()),
        'host': 'backup-host@posix',
        'availability_zone': 'nova',
        'container': 'backups',
        'parent_id': None,
        'status': 'available',
        'fail_reason': None,
        'size': 1,
        'display_name': 'vol-20260102T030405Z',
        'display_description': 'Full backup by Staffeln',
        'service_metadata': 'backup_' + backup_id,
        'service': 'cinder.backup.drivers.posix.PosixBackupDriver',
        'object_count': 1,
        'temp_volume_id': None,
        'temp_snapshot_id': None,
        'num_dependent_backups': 0,
        'snapshot_id': None,
        'data_timestamp': now,
        'restore_volume_id': None,
        'metadata': dict(metadata or {}),
        'encryption_key_id': None,
        'created_at': now,
        'updated_at': now,
        'deleted_at': None,
        'deleted': False,
    }


def add_task(project_id: str, status: str,
             backup_id: str | None = None) -> str:
    """A backup task as the conductor leaves it; returns its backup id."""
    backup_id = backup_id or str(uuid.uuid4())
    db_api.create_task(staffeln_context.get_admin_context(), {
        'project_id': project_id,
        'volume_id': str(uuid.uuid4()),
        'backup_type': 'full',
        'status': status,
        'backup_id': backup_id,
    })
    return backup_id


def stop_database(db: db_fixture.Database) -> None:
    """Make the database fail for real, under a running API.

    MySQL and PostgreSQL: the database is dropped from the server (the API's
    pooled connections are cut on PostgreSQL, which refuses to drop a
    database in use). SQLite: the pool is closed and the file is replaced by
    a directory, which SQLite cannot open.
    """
    if db.backend == 'sqlite':
        db.engine.dispose()
        db_api.get_engine().dispose()
        path = db.url[len('sqlite:///'):]
        os.remove(path)
        os.mkdir(path)
        db.addCleanup(shutil.rmtree, path, True)
        return
    url = sa.engine.make_url(db.url)
    admin = sa.create_engine(db_fixture.ADMIN_URLS[db.backend],
                             isolation_level='AUTOCOMMIT')
    try:
        with admin.connect() as conn:
            if db.backend == 'postgresql':
                conn.execute(sa.text(
                    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                    'WHERE datname = :name AND pid <> pg_backend_pid()'),
                    {'name': url.database})
            conn.execute(sa.text(f'DROP DATABASE {url.database}'))
    finally:
        admin.dispose()
