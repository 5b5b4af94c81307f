"""Real databases for functional tests: SQLite, MariaDB/MySQL, PostgreSQL.

Each fixture creates a database with a random name on the server, points
Staffeln's transaction context at it, and drops it afterwards. A server that
cannot be reached fails the test: these tests never skip themselves.

Admin URLs come from the environment, with the loopback defaults of a
developer machine and CI::

    STAFFELN_TEST_MYSQL_URL
        mysql+pymysql://root@127.0.0.1:3306/
    STAFFELN_TEST_POSTGRESQL_URL
        postgresql+psycopg2://postgres@127.0.0.1:5432/postgres
"""

import os
import uuid

import fixtures
from oslo_db.sqlalchemy import enginefacade
import sqlalchemy as sa

from staffeln.db import api as db_api
from staffeln.db import migration

ADMIN_URLS = {
    'mysql': os.environ.get('STAFFELN_TEST_MYSQL_URL',
                            'mysql+pymysql://root@127.0.0.1:3306/'),
    'postgresql': os.environ.get(
        'STAFFELN_TEST_POSTGRESQL_URL',
        'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres'),
}

BACKENDS = ('sqlite', 'mysql', 'postgresql')


def scenarios(backends=BACKENDS):
    """testscenarios scenarios, one per database backend."""
    return [(name, {'backend': name}) for name in backends]


class Database(fixtures.Fixture):
    """An empty database on ``backend``; ``url`` connects to it.

    With ``schema=True`` the schema is created by the migrations, the way
    ``staffeln-manage db upgrade`` creates it.
    """

    def __init__(self, backend: str, schema: bool = True,
                 patch_facade: bool = True):
        super().__init__()
        self.backend = backend
        self.schema = schema
        self.patch_facade = patch_facade

    def _setUp(self):
        if self.backend == 'sqlite':
            path = self.useFixture(fixtures.TempDir()).path
            self.url = f'sqlite:///{path}/staffeln.sqlite'
        else:
            self.url = self._create_server_database()
        self.engine = sa.create_engine(self.url)
        self.addCleanup(self.engine.dispose)
        if self.patch_facade:
            factory = enginefacade._TransactionFactory()
            factory.configure(connection=self.url)
            restore = db_api.context_manager.patch_factory(factory)
            self.addCleanup(restore)
            self.addCleanup(factory.dispose_pool)
        if self.schema:
            migration.upgrade(engine=self.engine)

    def _create_server_database(self) -> str:
        name = 'staffeln_test_' + uuid.uuid4().hex[:12]
        admin_url = sa.engine.make_url(ADMIN_URLS[self.backend])
        admin = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT')
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE {name}'))
        self.addCleanup(self._drop, admin, name)
        url = admin_url.set(database=name)
        if self.backend == 'mysql':
            url = url.set(query={'charset': 'utf8mb4'})
        return url.render_as_string(hide_password=False)

    def _drop(self, admin, name):
        # Connections of the database must be closed first.
        self.engine.dispose()
        with admin.connect() as conn:
            if self.backend == 'postgresql':
                conn.execute(sa.text(
                    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                    'WHERE datname = :name AND pid <> pg_backend_pid()'),
                    {'name': name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS {name}'))
        admin.dispose()
