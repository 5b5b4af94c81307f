"""Three protection policies over two weeks of the conductor's life.

Three projects; an interval policy, a weekly cron policy in Europe/Berlin
with a night window (granted to two projects, then revoked from one), and
a server protected by two tiers. The clock moves three hours at a time
(the discovery interval) across the switch to summer time; each step the
conductor runs a whole cycle over HTTP against the simulated cloud, on
each database, and a backup held for a while is retried when it is due,
as the conductor's backup loop would.
"""

import datetime
import zoneinfo

from staffeln.actions import policies
from staffeln.common import clock
from staffeln.conductor import report
from staffeln.db import api_policies
from staffeln.db import states
from staffeln.tests.functional.retention import base

load_tests = base.load_tests

BERLIN = zoneinfo.ZoneInfo('Europe/Berlin')
HOUR = datetime.timedelta(hours=1)
DAY = 24 * HOUR
STEP = 3 * HOUR
#: A Sunday noon; Europe/Berlin moves to summer time a week later.
START = datetime.datetime(2027, 3, 21, 12, tzinfo=datetime.timezone.utc)
#: The grant of weekly-night to initech is revoked then.
REVOKED = START + 7 * DAY


class TestTwoWeeks(base.RetentionTestCase):

    def make_clock(self):
        return clock.ManualClock(START)

    def setUp(self):
        super().setUp()
        self.flags(group='conductor', backup_interval='1d',
                   full_backup_depth=2, discovery_interval='3h')
        self.flags(group='retention', retention_time='3d',
                   min_retention='1d')
        acme, globex, initech = (self.tenant('acme'), self.tenant('globex'),
                                 self.tenant('initech'))
        self.acme, self.globex, self.initech = acme, globex, initech
        now = self.clock.now()
        policies.create(self.context, self.conf, now, 'six-hourly', {
            'schedule': '6h', 'full_every': 4, 'retention': '2d',
            'public': True})
        policies.create(self.context, self.conf, now, 'weekly-night', {
            'schedule': '0 1 * * 1,4', 'timezone': 'Europe/Berlin',
            'window': '00:00-05:00', 'full_every': 2, 'retention': '8d'},
            grants=[acme.id, initech.id])
        policies.create(self.context, self.conf, now, 'daily-30d', {
            'schedule': 'daily at 03:00', 'jitter': False, 'full_every': 7,
            'retention': '30d', 'public': True})
        policies.set_project_default(self.context, self.conf, now,
                                     globex.id, 'six-hourly')
        self.web = self.server(acme, 'web', metadata={
            'backup_policy': 'weekly-night'})
        self.db_server = self.server(acme, 'db', metadata={
            'backup_policy': 'six-hourly,daily-30d'})
        # globex may not use weekly-night: it gets its default instead.
        self.app = self.server(globex, 'app', metadata={
            'backup_policy': 'weekly-night'})
        self.crm = self.server(initech, 'crm', metadata={
            'backup_policy': 'weekly-night'})
        self.mgr = self.make_manager()

    def run_until(self, until: datetime.datetime) -> None:
        while self.clock.now() < until:
            step_end = self.clock.now() + STEP
            self.cycle()
            for _ in range(5):
                held = [t.retry_after for t in self.tasks(
                    status=states.QUEUED) if t.retry_after is not None
                    and t.retry_after < step_end]
                if not held:
                    break
                self.clock.set(max(self.clock.now(), min(held)))
                self.cycle()
            self.clock.set(step_end)

    def cycle(self) -> None:
        result = self.mgr.run_once(self.context)
        self.assertEqual(([], []), (result.errors, result.failed))

    def made(self, server, policy_name: str) -> list:
        """The backups made of a server's volume under a policy."""
        policy = api_policies.get_policy(self.context, policy_name)
        return sorted((t for t in self.tasks(volume_id=server.volume_ids[0])
                       if t.policy_id == policy.id),
                      key=lambda t: t.started_at)

    def kept(self, tasks) -> list:
        return [t for t in tasks if t.status == states.AVAILABLE]

    def digest(self, project_id: str) -> str:
        reporter = report.Reporter(self.conf, self.mgr.cloud, self.clock)
        return reporter.render(self.context, project_id, 'text')

    def test_each_policy_keeps_its_own_time_and_backups(self):
        self.run_until(REVOKED)
        policies.update(self.context, self.conf, self.clock.now(),
                        'weekly-night', {}, revoke=[self.initech.id])
        self.run_until(START + 14 * DAY)
        self.assertWeeklyNight()
        self.assertTwoTiers()
        self.assertFallbacks()

    def assertWeeklyNight(self):
        # Monday and Thursday nights, 01:00-05:00 in Berlin, before and
        # after the clocks changed: full, incremental, full, incremental.
        night = self.made(self.web, 'weekly-night')
        local = [t.started_at.astimezone(BERLIN) for t in night]
        self.assertEqual(
            [(22, 'Mon'), (25, 'Thu'), (29, 'Mon'), (1, 'Thu')],
            [(t.day, t.strftime('%a')) for t in local])
        for started in local:
            self.assertLessEqual(datetime.time(1), started.time())
            self.assertLess(started.time(), datetime.time(5))
        self.assertEqual(['full', 'incremental'] * 2,
                         [t.backup_type for t in night])
        # 8 days: the first chain has gone, as a whole.
        self.assertEqual([t.id for t in night[2:]],
                         [t.id for t in self.kept(night)])

    def assertTwoTiers(self):
        now = self.clock.now()
        hourly = self.made(self.db_server, 'six-hourly')
        daily = self.made(self.db_server, 'daily-30d')
        self.assertEqual(4 * 14, len(hourly))
        self.assertEqual(14, len(daily))
        # The first backup is made at once; from the second on the volume
        # keeps its slot, six hours apart (when both tiers are due at
        # once, one waits minutes for the other).
        for a, b in zip(hourly[1:], hourly[2:]):
            self.assertLess(abs(b.started_at - a.started_at - 6 * HOUR),
                            datetime.timedelta(minutes=5), b.id)
        for number, task in enumerate(daily):
            self.assertEqual((START + (number + 1) * DAY).date(),
                             task.started_at.date())
            self.assertLess(task.started_at - task.started_at.replace(
                hour=3, minute=0, second=0), datetime.timedelta(minutes=5))
        self.assertChainsAsCinderMakesThem(
            sorted(hourly + daily, key=lambda t: t.started_at),
            {'six-hourly': 3, 'daily-30d': 6})
        # 30 days keep every daily; 2 days keep the six-hourly of the
        # last two days, and the full backup the oldest of them needs.
        self.assertEqual(daily, self.kept(daily))
        oldest = min((t for t in hourly if now - t.started_at <= 2 * DAY),
                     key=lambda t: t.started_at)
        full = max((t for t in hourly if t.backup_type == 'full'
                    and t.started_at <= oldest.started_at),
                   key=lambda t: t.started_at)
        self.assertEqual(
            [t.id for t in hourly if t.started_at >= full.started_at],
            [t.id for t in self.kept(hourly)])

    def assertChainsAsCinderMakesThem(self, tasks, depths: dict):
        """Chains are per policy, and Cinder's parents are Staffeln's.

        Cinder makes an incremental on the volume's newest backup,
        whoever made it: a policy's backup that follows another policy's
        is a full one.
        """
        names = {p.id: p.name
                 for p in api_policies.list_policies(self.context)}
        previous, depth = None, {}
        for task in tasks:
            name = names[task.policy_id]
            follows_own = previous is not None and \
                previous.policy_id == task.policy_id
            if follows_own and depth[name] < depths[name]:
                self.assertEqual(('incremental', previous.id),
                                 (task.backup_type, task.parent_id), task.id)
                depth[name] += 1
                backup = self.sim.cloud.backups.get(task.backup_id)
                if backup is not None:  # not deleted by retention yet
                    self.assertEqual(previous.backup_id, backup.parent_id)
            else:
                self.assertEqual(('full', None),
                                 (task.backup_type, task.parent_id), task.id)
                depth[name] = 0
            previous = task

    def assertFallbacks(self):
        # globex's server has its project's default policy, and its
        # digest says why.
        self.assertEqual([], self.made(self.app, 'weekly-night'))
        self.assertEqual(4 * 14, len(self.made(self.app, 'six-hourly')))
        self.assertIn("policy 'weekly-night' is not available to this "
                      "project; using 'six-hourly'",
                      self.digest(self.globex.id))
        self.assertNotIn('not available', self.digest(self.acme.id))
        # initech's server had weekly-night until the revocation, then the
        # global default (daily) from the next cycle, in a chain of its
        # own. What weekly-night made aged out under weekly-night (8
        # days), its last backup too: the default's protect the volume.
        night = self.made(self.crm, 'weekly-night')
        self.assertEqual(2, len(night))
        self.assertEqual([states.DELETED] * 2, [t.status for t in night])
        fallback = self.made(self.crm, 'default')
        self.assertEqual(7, len(fallback))
        self.assertEqual(REVOKED, fallback[0].started_at)
        self.assertEqual('full', fallback[0].backup_type)
        self.assertIn("policy 'weekly-night' is not available to this "
                      "project; using 'default'",
                      self.digest(self.initech.id))
