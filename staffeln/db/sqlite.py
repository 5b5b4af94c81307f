"""SQLite, the embedded default: write-ahead logging.

In its default rollback-journal mode SQLite syncs the journal and the
database at every commit, and a reader (the API answering the delete hook)
holding its lock makes a writer (the conductor) wait. In WAL mode a commit
appends to the log with one sync, as durable as before (``synchronous``
stays ``FULL``), and readers never block the writer nor it them.

The mode is kept in the database file: ``staffeln-manage db upgrade`` sets
it, and a connection to a database made before (by an older release) sets
it when nobody else holds the file. An in-memory database has no log.
"""

import sqlite3

import sqlalchemy as sa

WAL = 'wal'


def set_wal(dbapi_connection) -> str | None:
    """Put the database in WAL mode if it can be now.

    Its journal mode, or None when another connection holds the file (a
    later connection sees to it).
    """
    cursor = dbapi_connection.cursor()
    try:
        mode = cursor.execute('PRAGMA journal_mode').fetchone()[0]
        if mode not in (WAL, 'memory'):
            mode = cursor.execute('PRAGMA journal_mode=WAL').fetchone()[0]
        return mode
    except sqlite3.OperationalError:
        return None
    finally:
        cursor.close()


def use_wal(engine) -> None:
    """Each new connection of a SQLite ``engine`` sees to WAL mode."""
    if engine.dialect.name != 'sqlite':
        return
    sa.event.listen(engine, 'connect',
                    lambda dbapi_connection, _record: set_wal(
                        dbapi_connection))
