"""A backup quota too small for what retention keeps, on the real cloud.

A project's ``backups`` quota is made smaller than what the schedule and the
retention keep at steady state: ``staffeln-manage plan`` says so before any
backup fails, the project's digest warns, and once the quota is used up the
conductor makes no more than one attempt per volume per retry interval.
"""

from __future__ import annotations

import contextlib
import io

from staffeln.cmd.manage import cycle
from staffeln.common import clock
from staffeln.conductor import manager
from staffeln.conductor import report
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.integration import service_user


class TestQuotaThatDoesNotFit(service_user.StaffelnTestCase):

    def setUp(self) -> None:
        super().setUp()
        # Every cycle makes a backup; the defaults keep 14 days of them.
        self.flags(group='conductor', backup_interval='0s',
                   min_backup_interval='0s', full_backup_depth=0)
        self.flags(group='notification', report_period='0s')
        self.tenant = self.cloud.add_tenant()
        self.server = self.cloud.boot_from_volume(
            self.tenant, 'db', metadata={self.key: 'yes'})
        # Cinder's default.
        self.cloud.admin.block_storage.update_quota_set(
            self.tenant.project_id, backups=10)

    def manager(self):
        return manager.Manager.build(self.conf, clock.Clock())

    def test_plan_digest_and_one_attempt_per_interval(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cycle.plan(self.manager())
        self.assertIn('SHORT: backups:', out.getvalue())
        self.assertIn('the quota is 10', out.getvalue())

        mgr = self.manager()
        for _ in range(12):
            mgr.run_once(self.context)
        tasks = [t for t in db_api.list_tasks(self.context)
                 if t.volume_id == self.server.boot_volume_id]
        good = [t for t in tasks if t.status == states.AVAILABLE]
        waiting = [t for t in tasks if t.status == states.QUEUED]
        self.assertEqual(10, len(good))
        # One task waits for the quota; no failed task per cycle.
        self.assertEqual(1, len(waiting))
        self.assertIn('quota exceeded: backups limit is 10',
                      waiting[0].reason)
        self.assertEqual(0, waiting[0].attempts)
        self.assertEqual([], [t for t in tasks
                              if t.status == states.FAILED])

        reporter = report.Reporter(self.conf, mgr.cloud)
        text = reporter.render(self.context, self.tenant.project_id, 'text')
        self.assertIn('WARNING: Backups needed at steady state:', text)
        self.assertIn('more than the limit of 10', text)
