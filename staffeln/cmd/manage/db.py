"""``staffeln-manage db upgrade|version``, and the schema check of the
other commands."""

from oslo_db import exception as db_exc
import sqlalchemy as sa

from staffeln.common import exception
from staffeln.db import migration


def upgrade(revision: str) -> int:
    try:
        migration.upgrade(revision)
    except sa.exc.OperationalError as exc:
        raise exception.ConfigurationError(
            f'cannot reach the database: {exc.orig}')
    print(f'Database is at {migration.version()}')
    return 0


def version() -> int:
    print(migration.version() or 'None (empty database)')
    return 0


def check_schema() -> None:
    """Raise ConfigurationError unless the schema is at the newest one."""
    try:
        current = migration.version()
    except (sa.exc.OperationalError, db_exc.DBError) as exc:
        cause = getattr(exc, 'orig', None) or getattr(
            exc, 'inner_exception', None) or exc
        raise exception.ConfigurationError(
            f'cannot reach the database: {" ".join(str(cause).split())}')
    if current != migration.head():
        raise exception.ConfigurationError(
            f'the database schema is at {current or "nothing"}, not '
            f'{migration.head()}: run staffeln-manage db upgrade')
