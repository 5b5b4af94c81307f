"""Migrations on real SQLite, MariaDB and PostgreSQL.

Every revision is walked one at a time and checked by a ``_check_<rev>``
method, and the schema at head must be exactly what the models describe.
"""

from oslo_db.sqlalchemy import test_migrations
import sqlalchemy as sa
import testscenarios

from staffeln.db import migration
from staffeln.db import models
from staffeln.tests import base
from staffeln.tests.functional import db_fixture

load_tests = testscenarios.load_tests_apply_scenarios


class TestMigrationsWalk(base.TestCase):

    scenarios = db_fixture.scenarios()

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(
            db_fixture.Database(self.backend, schema=False))

    def test_every_revision_has_a_check(self):
        for revision in migration.revisions():
            self.assertTrue(hasattr(self, f'_check_{revision}'),
                            f'no _check_{revision} for revision {revision}')

    def test_walk_versions(self):
        self.assertIsNone(migration.version(engine=self.db.engine))
        for revision in migration.revisions():
            prepare = getattr(self, f'_pre_upgrade_{revision}', None)
            if prepare is not None:
                prepare(self.db.engine)
            migration.upgrade(revision, engine=self.db.engine)
            self.assertEqual(revision,
                             migration.version(engine=self.db.engine))
            getattr(self, f'_check_{revision}')(self.db.engine)
        self.assertEqual(migration.head(),
                         migration.version(engine=self.db.engine))

    def test_upgrade_twice_is_harmless(self):
        migration.upgrade(engine=self.db.engine)
        with self.db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO volumes (id, project_id, size_gb, interval_s, "
                "created_at) VALUES ('v1', 'p1', 1, 60, '2026-01-01')"))
        migration.upgrade(engine=self.db.engine)
        with self.db.engine.connect() as conn:
            self.assertEqual(1, conn.execute(
                sa.text('SELECT COUNT(*) FROM volumes')).scalar())

    def _check_0001_initial(self, engine):
        inspector = sa.inspect(engine)
        self.assertEqual({'alembic_version', 'backup_tasks', 'volumes'},
                         set(inspector.get_table_names()))
        columns = {c['name'] for c in inspector.get_columns('backup_tasks')}
        self.assertLessEqual(
            {'uuid', 'status', 'backup_id', 'parent_id', 'claimed_by',
             'claim_expires_at'}, columns)
        uniques = {u['name'] for u in
                   inspector.get_unique_constraints('backup_tasks')}
        self.assertIn('uniq_backup_tasks0uuid', uniques)

    def _check_0002_reports(self, engine):
        inspector = sa.inspect(engine)
        self.assertIn('project_reports', inspector.get_table_names())
        columns = {c['name']: c for c in
                   inspector.get_columns('project_reports')}
        self.assertLessEqual(
            {'project_id', 'period_end', 'last_sent_at', 'last_attempt_at',
             'failures', 'last_error', 'claimed_by', 'claim_expires_at'},
            set(columns))
        self.assertFalse(columns['period_end']['nullable'])
        self.assertEqual(
            ['project_id'],
            inspector.get_pk_constraint('project_reports')
            ['constrained_columns'])
        # Rows written before this revision are untouched and a report row
        # can be added next to them.
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO project_reports (project_id, period_end, "
                "failures, created_at) VALUES ('p1', '2026-01-01', 0, "
                "'2026-01-01')"))
            self.assertEqual(1, conn.execute(sa.text(
                'SELECT COUNT(*) FROM project_reports')).scalar())

    def _check_0003_volume_problems(self, engine):
        columns = {c['name'] for c in
                   sa.inspect(engine).get_columns('volumes')}
        self.assertIn('problems', columns)
        self.assertNotIn('policy_errors', columns)
        # The volume written before the rename kept its problems.
        with engine.connect() as conn:
            self.assertEqual('bad interval', conn.execute(sa.text(
                "SELECT problems FROM volumes WHERE id = 'v0'")).scalar())

    def _pre_upgrade_0003_volume_problems(self, engine):
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO volumes (id, project_id, size_gb, interval_s, "
                "policy_errors, created_at) VALUES ('v0', 'p0', 1, 60, "
                "'bad interval', '2026-01-01')"))

    def _check_0004_stray_backups(self, engine):
        inspector = sa.inspect(engine)
        self.assertIn('stray_backups', inspector.get_table_names())
        self.assertEqual(
            ['backup_id'],
            inspector.get_pk_constraint('stray_backups')
            ['constrained_columns'])
        self.assertIn('stray_backups_status_idx',
                      {i['name'] for i in
                       inspector.get_indexes('stray_backups')})

    def _pre_upgrade_0005_protection_policies(self, engine):
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO backup_tasks (uuid, project_id, volume_id, "
                "backup_type, status, attempts, created_at) VALUES "
                "('t0', 'p0', 'v0', 'full', 'available', 1, "
                "'2026-01-01')"))

    def _check_0005_protection_policies(self, engine):
        inspector = sa.inspect(engine)
        self.assertLessEqual({'protection_policies', 'policy_grants',
                              'project_settings', 'volume_policies'},
                             set(inspector.get_table_names()))
        with engine.connect() as conn:
            default = conn.execute(sa.text(
                "SELECT id, schedule, retention_s, keep, full_every, public, "
                "enabled FROM protection_policies WHERE name = 'default'")
            ).one()
            # Every field empty: it follows the configuration.
            self.assertEqual((None, None, None, None),
                             tuple(default)[1:5])
            self.assertTrue(default.public and default.enabled)
            # The task written before the upgrade is the default's.
            self.assertEqual((default.id, False), tuple(conn.execute(sa.text(
                "SELECT policy_id, on_demand FROM backup_tasks "
                "WHERE uuid = 't0'")).one()))

    def _pre_upgrade_0006_task_invariants(self, engine):
        # Two tasks under way for one volume and policy (as several
        # conductors could queue before this revision) and one done.
        with engine.begin() as conn:
            for uuid, status in (('t1', 'queued'), ('t2', 'creating'),
                                 ('t3', 'available')):
                conn.execute(sa.text(
                    "INSERT INTO backup_tasks (uuid, project_id, volume_id, "
                    "backup_type, status, attempts, on_demand, created_at) "
                    "VALUES (:uuid, 'p0', 'v1', 'full', :status, 1, false, "
                    "'2026-01-01')"), {'uuid': uuid, 'status': status})

    def _check_0006_task_invariants(self, engine):
        inspector = sa.inspect(engine)
        self.assertIn('uniq_backup_tasks0under_way_key',
                      {u['name'] for u in
                       inspector.get_unique_constraints('backup_tasks')})
        self.assertIn('volumes_server_id_idx',
                      {i['name'] for i in inspector.get_indexes('volumes')})
        with engine.begin() as conn:
            keys = dict(conn.execute(sa.text(
                "SELECT uuid, under_way_key FROM backup_tasks "
                "WHERE volume_id = 'v1'")).all())
            # Only the oldest of the two under way holds the key.
            self.assertEqual({'t1': 'v1:0', 't2': None, 't3': None}, keys)
            self.assertEqual(['plans', 'starts'], list(conn.execute(
                sa.text('SELECT name FROM locks ORDER BY name')).scalars()))
            self.assertEqual([('discovery', None)], list(conn.execute(
                sa.text('SELECT name, requested_at FROM wakeups'))))
            self.assertRaises(
                sa.exc.IntegrityError, conn.execute, sa.text(
                    "UPDATE backup_tasks SET under_way_key = 'v1:0' "
                    "WHERE uuid = 't2'"))

    def _check_0007_restores(self, engine):
        inspector = sa.inspect(engine)
        self.assertIn('restores', inspector.get_table_names())
        columns = {c['name'] for c in inspector.get_columns('restores')}
        self.assertLessEqual({'uuid', 'project_id', 'backup_id',
                              'volume_id', 'new_volume', 'status',
                              'reason', 'finished_at'}, columns)
        self.assertIn('restores_project_id_idx',
                      {i['name'] for i in inspector.get_indexes('restores')})
        self.assertIn('backup_tasks_created_at_idx',
                      {i['name'] for i in
                       inspector.get_indexes('backup_tasks')})
        self.assertEqual({'server_id', 'project_id', 'paused', 'created_at',
                          'updated_at'},
                         {c['name'] for c in
                          inspector.get_columns('server_settings')})

    def _check_0008_metrics_webhooks(self, engine):
        inspector = sa.inspect(engine)
        self.assertLessEqual({'project_quotas', 'project_webhooks',
                              'webhook_deliveries'},
                             set(inspector.get_table_names()))
        self.assertEqual(['target'], inspector.get_pk_constraint(
            'webhook_deliveries')['constrained_columns'])
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO project_quotas (project_id, backups_limit) "
                "VALUES ('p0', 10)"))
            self.assertEqual(10, conn.execute(sa.text(
                "SELECT backups_limit FROM project_quotas")).scalar())

    def _check_0009_restore_drills(self, engine):
        inspector = sa.inspect(engine)
        self.assertIn('restore_drills', inspector.get_table_names())
        self.assertLessEqual({'restore_drills_volume_id_idx',
                              'restore_drills_status_idx'},
                             {i['name'] for i in
                              inspector.get_indexes('restore_drills')})
        with engine.begin() as conn:
            insert = sa.text(
                "INSERT INTO restore_drills (uuid, project_id, volume_id, "
                "backup_id, size_gb, status, created_at) VALUES "
                "('d1', 'p0', 'v0', 'b0', 1, 'requested', "
                "'2026-12-03 00:00:00')")
            conn.execute(insert)
            self.assertRaises(sa.exc.IntegrityError, conn.execute, insert)

    def _check_0010_backup_list_index(self, engine):
        indexes = {i['name']: i['column_names'] for i in
                   sa.inspect(engine).get_indexes('backup_tasks')}
        self.assertEqual(['created_at', 'id'],
                         indexes['backup_tasks_created_at_id_idx'])
        self.assertNotIn('backup_tasks_created_at_idx', indexes)


class TestModelsMigrationsSync(test_migrations.ModelsMigrationsSync,
                               base.TestCase):
    """``db upgrade`` gives exactly the models, on every backend."""

    scenarios = db_fixture.scenarios()

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(
            db_fixture.Database(self.backend, schema=False))

    def get_engine(self):
        return self.db.engine

    def get_metadata(self):
        return models.Base.metadata

    def db_sync(self, engine):
        migration.upgrade(engine=engine)

    def include_object(self, object_, name, type_, reflected, compare_to):
        return not (type_ == 'table' and name == 'alembic_version')
