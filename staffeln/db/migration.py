"""Schema migrations with alembic: ``staffeln-manage db upgrade|version``."""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from staffeln.db import api as db_api
from staffeln.db import sqlite

_HERE = os.path.dirname(__file__)


def _config(connection=None) -> alembic_config.Config:
    cfg = alembic_config.Config(
        os.path.join(_HERE, 'migrations', 'alembic.ini'))
    cfg.set_main_option('script_location',
                        os.path.join(_HERE, 'migrations'))
    cfg.attributes['connection'] = connection
    return cfg


def upgrade(revision: str = 'head', engine=None) -> None:
    """Upgrade the database to ``revision``; harmless when already there.

    A SQLite database is put in WAL mode (see :mod:`staffeln.db.sqlite`).
    """
    engine = engine or db_api.get_engine()
    if engine.dialect.name == 'sqlite':
        with engine.connect() as connection:
            sqlite.set_wal(connection.connection.dbapi_connection)
    with engine.begin() as connection:
        alembic_command.upgrade(_config(connection), revision)


def version(engine=None) -> str | None:
    """The revision the database is at, or None for an empty database."""
    engine = engine or db_api.get_engine()
    with engine.connect() as connection:
        ctx = alembic_migration.MigrationContext.configure(connection)
        return ctx.get_current_revision()


def head() -> str:
    return alembic_script.ScriptDirectory.from_config(
        _config()).get_current_head()


def revisions() -> list[str]:
    """All revisions, oldest first."""
    script = alembic_script.ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]
