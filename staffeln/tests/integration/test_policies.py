"""Protection policies on the real cloud: a window that is open now gets
its backup; one that is closed does not, until it opens.

Staffeln's clock is the real one moved forward, so that the closed
window opens without waiting for it; Cinder makes the backups in real
time either way.
"""

from __future__ import annotations

import datetime

from staffeln.actions import policies
from staffeln.common import clock
from staffeln.conductor import manager
from staffeln.db import api as db_api
from staffeln.db import states
from staffeln.tests.integration import service_user

HOUR = datetime.timedelta(hours=1)


class ShiftedClock(clock.Clock):
    """The real clock, ``offset`` ahead; it sleeps for real."""

    def __init__(self):
        self.offset = datetime.timedelta(0)

    def now(self) -> datetime.datetime:
        return clock.utcnow() + self.offset


def window(start: datetime.datetime, hours: int) -> str:
    return f'{start:%H:%M}-{start + hours * HOUR:%H:%M}'


class TestWindows(service_user.StaffelnTestCase):

    def setUp(self) -> None:
        super().setUp()
        now = clock.utcnow()
        self.opens = (now + 3 * HOUR).replace(second=0, microsecond=0)
        for name, start in (('open-now', now - HOUR),
                            ('closed-now', self.opens)):
            policies.create(self.context, self.conf, now, name, {
                'schedule': '1d', 'window': window(start, 2),
                'jitter': False, 'public': True})
        self.tenant = self.cloud.add_tenant()
        self.open, self.closed = (
            self.cloud.boot_from_volume(self.tenant, name, metadata={
                self.key: 'yes', 'backup_policy': policy})
            for name, policy in (('app', 'open-now'), ('db', 'closed-now')))

    def made(self, server) -> list:
        return [t for t in db_api.list_tasks(self.context)
                if t.volume_id == server.boot_volume_id]

    def test_a_closed_window_waits_until_it_opens(self):
        shifted = ShiftedClock()
        mgr = manager.Manager.build(self.conf, shifted)
        result = mgr.run_once(self.context)
        self.assertEqual([], result.errors)
        [backup] = self.made(self.open)
        self.assertEqual(states.AVAILABLE, backup.status)
        self.assertEqual([], self.made(self.closed))
        [(_, policy, decision)] = [
            row for row in mgr.plan(self.context)
            if row[0].volume.id == self.closed.boot_volume_id]
        self.assertEqual(('closed-now', False, self.opens),
                         (policy.name, decision.due, decision.next_due))

        shifted.offset = self.opens - clock.utcnow() + HOUR / 2
        result = mgr.run_once(self.context)
        self.assertEqual([], result.errors)
        [backup] = self.made(self.closed)
        self.assertEqual(states.AVAILABLE, backup.status)
        self.assertEqual('available', mgr.cloud.get_backup(
            backup.backup_id).status)
        # The open window's volume is not due again for a day.
        self.assertEqual(1, len(self.made(self.open)))
