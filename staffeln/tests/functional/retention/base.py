"""Retention over the simulated cloud, with chains made by the real engine."""

import datetime

from staffeln.cloud import client as cloud_client
from staffeln.common import exception
from staffeln.conductor.retention import planning
from staffeln.conductor.retention import runner
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.functional.conductor import base

load_tests = base.load_tests

DAY = datetime.timedelta(days=1)


class FakeNotifier:
    """Records the events the conductor sends."""

    def __init__(self):
        self.events = []

    def __getattr__(self, event):
        if event.startswith('_'):
            raise AttributeError(event)
        return lambda task: self.events.append((event, task.uuid))


class RetentionTestCase(base.ConductorTestCase):

    def setUp(self):
        super().setUp()
        self.notifier = FakeNotifier()
        #: (backup id, HTTP status of the refusal or None) of every delete
        #: call retention sent, in order.
        self.delete_calls = []

    def tenant(self, name: str):
        """A project whose backup quota does not get in the way."""
        project = super().tenant(name)
        self.sim.cloud.set_quota(project.id, backups=-1, backup_gigabytes=-1)
        return project

    def history(self, cycles: int, mgr=None,
                step: datetime.timedelta = DAY) -> None:
        """A backup cycle every ``step``.

        The default retention is a year meanwhile, so only what servers'
        overrides ask for expires during the cycles (run-once runs
        retention too).
        """
        saved = self.conf.retention.retention_time
        self.flags(group='retention', retention_time='1y')
        mgr = mgr or self.make_manager()
        for _ in range(cycles):
            result = mgr.run_once(self.context)
            self.assertEqual(([], []), (result.errors, result.failed))
            self.clock.advance(step)
        self.flags(group='retention', retention_time=saved)

    def make_retention(self) -> runner.Retention:
        cloud = cloud_client.Cloud(self.conf, sleep=lambda s: None)
        real = cloud.delete_backup

        def delete_backup(project_id, backup_id):
            try:
                real(project_id, backup_id)
            except exception.CloudError as exc:
                self.delete_calls.append((backup_id, exc.status))
                raise
            self.delete_calls.append((backup_id, None))
        cloud.delete_backup = delete_backup
        return runner.Retention(self.conf, cloud, self.clock,
                                self.notifier)

    def retention(self) -> planning.RetentionResult:
        return self.make_retention().run(self.context)

    # -- reading the outcome --------------------------------------------------
    def task_ids(self, tasks) -> list:
        return [t.id for t in tasks]

    def by_id(self) -> dict:
        return {t.id: t for t in self.tasks()}

    def in_cinder(self) -> set:
        """Backup ids the cloud still has (deleting ones included)."""
        return {b['id'] for b in self.backups()}

    def backup_of(self, task_id: int) -> str:
        return db_api.get_task(self.context, task_id).backup_id

    def due_ids(self, retention: datetime.timedelta | None = None) -> set:
        """Good backups older than the retention (chains aside)."""
        retention = retention or self.conf.retention.retention_time
        now = self.clock.now()
        return {t.id for t in self.tasks(status=states.AVAILABLE)
                if now - t.started_at > retention}

    def refusals(self) -> list:
        return [call for call in self.delete_calls if call[1] is not None]

    def deleted_order(self) -> list:
        """Task ids in the order retention sent their deletes."""
        tasks = {t.backup_id: t.id for t in self.tasks()}
        return [tasks[backup_id] for backup_id, _ in self.delete_calls]

    def assertChildrenFirst(self, order: list) -> None:
        tasks = self.by_id()
        for position, task_id in enumerate(order):
            parent = tasks[task_id].parent_id
            if parent in order:
                self.assertGreater(order.index(parent), position,
                                   f'task {parent} was deleted before its '
                                   f'incremental {task_id}')
