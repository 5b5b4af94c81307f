"""Retention against the real Keystone, Nova and Cinder.

An expired chain (a full backup and an incremental backup of it) made by
the real engine is deleted, incremental first, without a single refusal
from Cinder; the newest good backup is kept however old.

Backups are made in real time; their age comes from a clock moved forward
by hand (:class:`ShiftedClock`), so nothing waits for days.
"""

from __future__ import annotations

import datetime
import io

from openstack import exceptions as os_exc

from staffeln.cloud import client as cloud_client
from staffeln.cmd.manage import retention as retention_cmd
from staffeln.common import clock
from staffeln.common import exception
from staffeln.conductor import manager
from staffeln.conductor.retention import runner as retention_runner
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.integration import service_user

DAY = datetime.timedelta(days=1)


class ShiftedClock(clock.Clock):
    """The wall clock moved forward by hand: real waits, aged backups."""

    def __init__(self) -> None:
        self.offset = datetime.timedelta(0)

    def now(self) -> datetime.datetime:
        return super().now() + self.offset

    def advance(self, delta: datetime.timedelta) -> None:
        self.offset += delta


class TestRetention(service_user.StaffelnTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.flags(group='retention', delete_poll_interval=1,
                   delete_wait='5min')
        self.clock = ShiftedClock()
        #: (backup id, HTTP status or None) of every delete retention sent.
        self.delete_calls: list = []

    def make_cloud(self) -> cloud_client.Cloud:
        cloud = cloud_client.Cloud(self.conf)
        real = cloud.delete_backup

        def delete_backup(project_id, backup_id):
            try:
                real(project_id, backup_id)
            except exception.CloudError as exc:
                self.delete_calls.append((backup_id, exc.status))
                raise
            self.delete_calls.append((backup_id, None))
        cloud.delete_backup = delete_backup
        return cloud

    def cycle(self) -> list:
        mgr = manager.Manager(self.conf, cloud_client.Cloud(self.conf),
                              self.clock)
        result = mgr.run_once(self.context)
        self.assertEqual(([], []), (result.errors, [
            (t.volume_id, t.reason) for t in result.failed]))
        self.assertEqual(1, len(result.tasks))
        return result.tasks[0]

    def test_expired_chain_goes_without_a_refusal(self) -> None:
        tenant = self.cloud.add_tenant()
        self.cloud.boot_from_volume(tenant, 'retention',
                                    metadata={self.key: 'yes'})
        full = self.cycle()
        self.clock.advance(DAY + datetime.timedelta(hours=1))
        incremental = self.cycle()
        self.clock.advance(DAY + datetime.timedelta(hours=1))
        newest = self.cycle()
        self.assertEqual(('full', 'incremental', 'full'),
                         (full.backup_type, incremental.backup_type,
                          newest.backup_type))
        self.assertEqual(full.id, incremental.parent_id)
        storage = tenant.connection.block_storage
        self.assertTrue(storage.get_backup(full.backup_id)
                        .has_dependent_backups)

        # Two weeks and more later, all three are older than the default
        # retention of 14 days.
        self.clock.advance(15 * DAY)
        runner = retention_runner.Retention(self.conf, self.make_cloud(),
                                            self.clock)
        out = io.StringIO()
        retention_cmd.preview_command(
            self.conf, runner.cloud, tenant.project_id, out=out,
            clock=self.clock)
        self.assertIn('3 backups, 1 kept, 2 to delete', out.getvalue())
        self.assertEqual([], self.delete_calls)

        result = runner.run(self.context)
        self.assertEqual(([], [], [], []),
                         (result.errors, result.refused, result.stuck,
                          result.deferred))
        # The incremental first, then its full; never a 400.
        self.assertEqual([(incremental.backup_id, None),
                          (full.backup_id, None)], self.delete_calls)
        self.assertEqual([incremental.id, full.id],
                         [t.id for t in result.deleted])
        for task in (full, incremental):
            self.assertEqual(states.DELETED,
                             db_api.get_task(self.context, task.id).status)
            self.assertRaises(os_exc.NotFoundException,
                              storage.get_backup, task.backup_id)
        # The newest good backup stays, however old.
        kept = db_api.get_task(self.context, newest.id)
        self.assertEqual(states.AVAILABLE, kept.status)
        self.assertEqual('available',
                         storage.get_backup(newest.backup_id).status)
        self.assertEqual(1, result.kept)

        # Nothing is left to do.
        again = runner.run(self.context)
        self.assertEqual(([], 2), (again.deleted, len(self.delete_calls)))
