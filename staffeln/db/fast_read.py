"""One small read on a pooled driver connection, for the hottest path.

The delete hook asks one question per check: the status of the task that
made a backup. Through the ORM or a Core connection, SQLAlchemy's and
oslo.db's per-transaction machinery costs several times the query itself;
a :class:`Statement` is compiled once per database dialect and run on a
connection taken straight from the engine's pool, which still checks it
(``pool_pre_ping``), rolls it back when it is returned, and replaces it after
an error. Only for statements whose parameters and results need no type
processing (strings and integers).
"""

import threading

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc


class Statement:
    """A SELECT of one value, run on a pooled driver connection."""

    def __init__(self, statement: sa.Select):
        self.statement = statement
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, dialect) -> tuple:
        found = self._compiled.get(dialect.name)
        if found is None:
            with self._lock:
                compiled = self.statement.compile(dialect=dialect)
                order = (tuple(compiled.positiontup)
                         if compiled.positional else None)
                found = (compiled.string, order)
                self._compiled[dialect.name] = found
        return found

    def scalar(self, engine: sa.engine.Engine, **params):
        """The first column of the first row, or None without a row.

        Raises a SQLAlchemy error when the database cannot be reached or
        the statement fails (the connection is then discarded), or the
        driver's ``OSError``.
        """
        sql, order = self._compile(engine.dialect)
        args = (tuple(params[name] for name in order)
                if order is not None else params)
        driver_error = engine.dialect.loaded_dbapi.Error
        try:
            # The pool raises the driver's own errors, unwrapped.
            connection = engine.raw_connection()
        except driver_error as exc:
            raise sa_exc.DBAPIError.instance(sql, args, exc,
                                             driver_error) from exc
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, args)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except driver_error as exc:
            connection.invalidate(exc)
            raise sa_exc.DBAPIError.instance(sql, args, exc,
                                             driver_error) from exc
        finally:
            connection.close()
        return None if row is None else row[0]
