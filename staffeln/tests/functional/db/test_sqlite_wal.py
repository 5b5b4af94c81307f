"""SQLite in WAL mode: the API's reads never hold up the conductor's
commits, and an older database file is moved to WAL by the next Staffeln
connection."""

import os
import sqlite3

import fixtures
import sqlalchemy as sa

from staffeln.db import migration
from staffeln.db import sqlite
from staffeln.tests import base


class TestWal(base.TestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'staffeln.sqlite')

    def mode(self):
        with sqlite3.connect(self.path) as conn:
            return conn.execute('PRAGMA journal_mode').fetchone()[0]

    def test_a_reader_does_not_hold_up_a_commit(self):
        engine = sa.create_engine(f'sqlite:///{self.path}')
        self.addCleanup(engine.dispose)
        migration.upgrade(engine=engine)
        self.assertEqual('wal', self.mode())

        # The API reads in a transaction that is still open...
        reader = sqlite3.connect(self.path, isolation_level=None)
        self.addCleanup(reader.close)
        reader.execute('BEGIN')
        self.assertEqual(0, reader.execute(
            'SELECT count(*) FROM backup_tasks').fetchone()[0])
        # ...while the conductor commits, without waiting for it.
        writer = sqlite3.connect(self.path, timeout=0)
        self.addCleanup(writer.close)
        writer.execute("INSERT INTO locks (name) VALUES ('probe')")
        writer.commit()
        # The reader's snapshot is unchanged until its transaction ends.
        self.assertEqual(0, reader.execute(
            "SELECT count(*) FROM locks WHERE name = 'probe'").fetchone()[0])
        reader.execute('COMMIT')
        self.assertEqual(1, reader.execute(
            "SELECT count(*) FROM locks WHERE name = 'probe'").fetchone()[0])

    def test_an_older_database_moves_to_wal(self):
        with sqlite3.connect(self.path) as conn:
            conn.execute('PRAGMA journal_mode=DELETE')
            conn.execute('CREATE TABLE t (x INTEGER)')
        self.assertEqual('delete', self.mode())
        engine = sa.create_engine(f'sqlite:///{self.path}')
        self.addCleanup(engine.dispose)
        sqlite.use_wal(engine)
        with engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
        self.assertEqual('wal', self.mode())

    def test_while_another_holds_the_file_it_waits_for_a_later_connection(
            self):
        with sqlite3.connect(self.path) as conn:
            conn.execute('PRAGMA journal_mode=DELETE')
            conn.execute('CREATE TABLE t (x INTEGER)')
        holder = sqlite3.connect(self.path, isolation_level=None)
        self.addCleanup(holder.close)
        holder.execute('BEGIN EXCLUSIVE')
        other = sqlite3.connect(self.path, timeout=0)
        self.addCleanup(other.close)
        self.assertIsNone(sqlite.set_wal(other))
        holder.execute('COMMIT')
        self.assertEqual('wal', sqlite.set_wal(other))
