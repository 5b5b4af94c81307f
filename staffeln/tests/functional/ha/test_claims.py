"""Conductors racing for the same tasks on one database and one cloud.

Each conductor is a backup engine with its own host name and its own
connections, in its own thread; they are released together by a barrier
so that they go for the same tasks at the same moment. Whatever the
interleaving, the conditional UPDATEs in the database let exactly one of
them act on each task: one backup per task in the cloud, one notification
per event.
"""

import collections
import threading

import fixtures

from staffeln.common import context as staffeln_context
from staffeln.conductor import recovery
from staffeln.db import states
from staffeln.tests.functional.conductor import base
from staffeln.tests.functional import db_fixture

load_tests = base.load_tests
CONDUCTORS = 3


class Crash(Exception):
    """Stands for the death of a conductor at a failpoint."""


class RecordingNotifier:
    """Counts the notifications each task gets."""

    def __init__(self):
        self.events = collections.Counter()
        self._lock = threading.Lock()

    def _record(self, event, task):
        with self._lock:
            self.events[(event, task.uuid)] += 1

    def backup_create_start(self, task):
        self._record('start', task)

    def backup_create_end(self, task):
        self._record('end', task)

    def backup_create_error(self, task):
        self._record('error', task)


class TestRacingConductors(base.ConductorTestCase):

    scenarios = db_fixture.scenarios(('mysql', 'postgresql'))

    def setUp(self):
        super().setUp()
        self.flags(group='conductor', max_in_flight=1000,
                   max_in_flight_per_project=1000)
        self.notifier = RecordingNotifier()
        for p in range(4):
            project = self.tenant(f'p{p}')
            self.sim.cloud.set_quota(project.id, backups=-1,
                                     backup_gigabytes=-1)
            for s in range(10):
                self.server(project, f'p{p}-s{s}', volumes=2)
        self.volumes = 80

    def engine(self, host: str):
        engine = self.make_manager(notifier=self.notifier).engine
        engine.host = host
        return engine

    def race(self, func, engines) -> list:
        """Run ``func(engine, context)`` in one thread per engine at once."""
        barrier = threading.Barrier(len(engines))
        results = [None] * len(engines)
        errors = []

        def run(i, engine):
            context = staffeln_context.get_admin_context()
            try:
                barrier.wait(timeout=60)
                results[i] = func(engine, context)
            except Exception as exc:
                errors.append(exc)
        threads = [threading.Thread(target=run, args=(i, e))
                   for i, e in enumerate(engines)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        self.assertEqual([], errors)
        return results

    def schedule(self) -> list:
        queued, _ = self.make_manager().discover_and_schedule(self.context)
        self.assertEqual(self.volumes, len(queued))
        return queued

    def assertOneBackupPerTask(self):
        tasks = self.tasks()
        backups = self.backups()
        self.assertEqual(self.volumes, len(tasks))
        per_volume = collections.Counter(b['volume_id'] for b in backups)
        self.assertEqual({t.volume_id for t in tasks}, set(per_volume))
        self.assertEqual({1}, set(per_volume.values()))
        by_id = {t.backup_id: t for t in tasks}
        for backup in backups:
            task = by_id[backup['id']]
            self.assertEqual(task.uuid, backup['metadata']['__staffeln_task'])

    def test_racing_starts_create_one_backup_per_task(self):
        self.schedule()
        engines = [self.engine(f'conductor-{i}') for i in range(CONDUCTORS)]

        started = self.race(lambda e, ctx: e.start_queued(ctx), engines)

        self.assertEqual(self.volumes, sum(started))
        self.assertGreater(len([n for n in started if n]), 1,
                           f'no race: {started}')
        self.assertEqual({states.CREATING: self.volumes}, dict(
            collections.Counter(t.status for t in self.tasks())))
        self.assertOneBackupPerTask()

        # Racing polls move each task to available once: one end
        # notification per task, whoever saw it first.
        self.clock.advance(120)
        self.race(lambda e, ctx: e.poll(ctx), engines)
        tasks = self.tasks()
        self.assertEqual({states.AVAILABLE}, {t.status for t in tasks})
        for task in tasks:
            self.assertEqual(1, self.notifier.events[('start', task.uuid)])
            self.assertEqual(1, self.notifier.events[('end', task.uuid)])

    def creating(self) -> collections.Counter:
        """Backups Cinder is making now, per project."""
        return collections.Counter(b['project_id'] for b in self.backups()
                                   if b['status'] == 'creating')

    def test_racing_starts_never_pass_the_caps(self):
        self.flags(group='conductor', max_in_flight=5,
                   max_in_flight_per_project=2)
        self.schedule()
        engines = [self.engine(f'conductor-{i}') for i in range(CONDUCTORS)]
        peak = 0
        while self.tasks(status=states.QUEUED):
            self.race(lambda e, ctx: e.start_queued(ctx), engines)
            creating = self.creating()
            # Sampled in Cinder itself, after every round of starts.
            self.assertLessEqual(sum(creating.values()), 5)
            self.assertLessEqual(max(creating.values(), default=0), 2)
            peak = max(peak, sum(creating.values()))
            self.clock.advance(120)
            self.race(lambda e, ctx: e.poll(ctx), engines)
        self.assertEqual(5, peak)
        self.assertOneBackupPerTask()

    def test_racing_discoveries_queue_one_task_per_volume(self):
        # Two leaders at once (a lock expired under the first one): each
        # discovers every volume as due and queues it.
        managers = [self.make_manager() for _ in range(CONDUCTORS)]
        queued = self.race(
            lambda m, ctx: m.discover_and_schedule(ctx)[0], managers)
        self.assertEqual(self.volumes, sum(len(q) for q in queued))
        tasks = self.tasks()
        self.assertEqual(self.volumes, len(tasks))
        self.assertEqual(self.volumes, len({t.volume_id for t in tasks}))

    def test_three_leaders_at_once_keep_the_caps_and_one_task_a_volume(
            self):
        # Three conductors that all believe they lead (their locks expired
        # under them): each discovers, starts and polls, round after round.
        self.flags(group='conductor', max_in_flight=5,
                   max_in_flight_per_project=2, backup_interval='2h',
                   min_backup_interval='1h')
        self.sim.cloud.track_creating = True
        managers = [self.make_manager() for _ in range(CONDUCTORS)]
        for number, mgr in enumerate(managers):
            mgr.engine.host = f'conductor-{number}'

        def leader_step(mgr, context):
            mgr.discover_and_schedule(context)
            mgr.backup_step(context)
        for _ in range(40):
            self.race(leader_step, managers)
            under_way = collections.Counter(
                (t.volume_id, t.policy_id) for t in self.tasks()
                if t.status in states.UNDER_WAY)
            self.assertLessEqual(set(under_way.values()), {1})
            self.clock.advance(60)
        # Sampled in the simulated Cinder as each backup was created.
        self.assertEqual(5, self.sim.cloud.peak_creating)
        self.assertEqual(2, self.sim.cloud.peak_creating_per_project)
        done = self.tasks(status=states.AVAILABLE)
        self.assertEqual(self.volumes, len({t.volume_id for t in done}))

    def test_racing_recoveries_adopt_a_dead_conductors_backups_once(self):
        self.schedule()
        dead = self.engine('conductor-dead')

        def crash_at(point):
            def hit(name):
                if name == point:
                    raise Crash(name)
            return fixtures.MonkeyPatch(
                'staffeln.common.failpoints.hit', hit)

        # The dead conductor created five backups it never recorded, and
        # recorded its intent for three more before it sent the create.
        with crash_at('after_create'):
            for _ in range(5):
                self.assertRaises(Crash, dead.start_queued, self.context)
        with crash_at('before_create'):
            for _ in range(3):
                self.assertRaises(Crash, dead.start_queued, self.context)
        stuck = self.tasks(status=states.STARTING)
        self.assertEqual(8, len(stuck))
        self.assertEqual({'conductor-dead'}, {t.claimed_by for t in stuck})
        self.assertEqual(5, len(self.backups()))

        engines = [self.engine(f'conductor-{i}') for i in range(CONDUCTORS)]
        # While its claims hold, the dead conductor's tasks are left alone.
        self.race(lambda e, ctx: recovery.Recovery(e).recover(ctx), engines)
        self.assertEqual(8, len(self.tasks(status=states.STARTING)))

        # Once they expire, each is resolved by exactly one conductor:
        # adopted when its backup exists, queued again when it does not.
        self.clock.advance(self.conf.conductor.claim_timeout.total_seconds()
                           + 1)
        resolved = self.race(
            lambda e, ctx: recovery.Recovery(e).recover(ctx), engines)
        self.assertEqual(8, sum(resolved))
        self.assertEqual([], self.tasks(status=states.STARTING))
        self.assertEqual(5, len(self.backups()))

        self.race(lambda e, ctx: e.start_queued(ctx), engines)
        self.assertEqual({states.CREATING: self.volumes}, dict(
            collections.Counter(t.status for t in self.tasks())))
        self.assertOneBackupPerTask()
        attempts = collections.Counter(t.attempts for t in self.tasks())
        self.assertEqual(3, attempts[2], attempts)
