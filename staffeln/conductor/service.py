"""The conductor daemon: periodic loops under oslo.service (threading).

Every conductor runs the backup loop (recover, poll, start, clean up); each
task it touches is claimed with one conditional UPDATE, so any number of
conductors share the work. Only the leader (see
:mod:`staffeln.common.coordination`) runs the leader steps: discovery and
scheduling, reports, and retention. A conductor that becomes the leader
runs every leader step at once, then each at its own interval.
"""

import dataclasses
import threading
import time
from typing import Any, Callable

from oslo_log import log as logging
from oslo_service import service

from staffeln.common import context as staffeln_context
from staffeln.common import coordination
from staffeln.conductor import events
from staffeln.conductor import guard
from staffeln.db import api_wakeups

LOG = logging.getLogger(__name__)

#: Seconds between two checks of whether a leader step is due.
LEADER_TICK = 1.0


@dataclasses.dataclass
class LeaderStep:
    """A loop that only the leader runs: ``run(context)`` every interval."""

    name: str
    interval: float
    run: Callable[[Any], Any]
    #: The leadership term of the last run, and when it started.
    term: int = 0
    last_run: float | None = None
    #: Whether a run was asked for before the interval ends (takes the
    #: request), looked at once ``min_gap`` seconds passed since the last.
    wanted: Callable[[], bool] | None = None
    min_gap: float = 0.0

    def due(self, term: int, now: float) -> bool:
        if self.term != term or self.last_run is None:
            return True
        elapsed = now - self.last_run
        if elapsed >= self.interval:
            return True
        return (self.wanted is not None and elapsed >= self.min_gap
                and self.wanted())


def leader_steps(conf, manager) -> list[LeaderStep]:
    """The leader's steps: discovery, reports, drills, retention.

    Retention joins them as soon as the manager has a ``retention(context)``
    method, run every ``[retention] retention_interval``.
    """
    interval = conf.conductor.discovery_interval.total_seconds()

    def discover(context):
        queued, _ = manager.discover_and_schedule(context)
        LOG.info('Discovery queued %d backups', len(queued))
        if queued:
            # Now, not one poll interval later.
            manager.engine.start_queued(context)

    steps = [LeaderStep('discovery', interval, discover),
             LeaderStep('report', interval, manager.report)]
    if hasattr(manager, 'drill'):
        # Always: drills under way finish even once drills are disabled.
        steps.append(LeaderStep(
            'drills', conf.conductor.poll_interval.total_seconds(),
            manager.drill))
    if conf.events.listen:
        # A conductor that heard of a server opted in asks for it.
        steps[0].wanted = lambda: api_wakeups.take(
            staffeln_context.get_admin_context(), api_wakeups.DISCOVERY)
        steps[0].min_gap = conf.events.min_discovery_gap.total_seconds()
    retention = getattr(manager, 'retention', None)
    if retention is not None:
        steps.append(LeaderStep('retention',
                                conf.retention.retention_interval
                                .total_seconds(),
                                retention))
    return steps


class ConductorService(service.Service):
    """Runs the heartbeat, the leader steps and the backup loop.

    Every state change is one database UPDATE, so stopping between two
    steps (SIGTERM) leaves no half-written state; a stopping leader
    releases the leadership at once.
    """

    def __init__(self, conf, manager, coordinator,
                 steps: list[LeaderStep] | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 exit_process: Callable[[], None] | None = None):
        super().__init__()
        self.conf = conf
        self.manager = manager
        self.coordinator = coordinator
        #: Ends the whole conductor (its oslo.service master included).
        self.exit_process = exit_process or (lambda: None)
        self.steps = leader_steps(conf, manager) if steps is None else steps
        self._monotonic = monotonic
        self.guard = guard.Guard()
        #: Set by a notification that one of Staffeln's backups ended.
        self.poll_wanted = threading.Event()
        self.listener = (events.Listener(conf, self.wake)
                         if conf.events.listen else None)

    def start(self):
        super().start()
        LOG.info('Conductor %s starting', self.conf.host)
        try:
            # Before the start-up recovery, which releases the claims held
            # under this host name: this takes the name's lock first.
            self.coordinator.start()
        except coordination.CoordinationError as exc:
            LOG.error('Coordination is unavailable; this conductor runs '
                      'backups but does not lead until it answers: %s', exc)
        self.guard.run('recovery', self.manager.recovery.recover,
                       staffeln_context.get_admin_context(), True)
        self.tg.add_timer_args(self.conf.coordination.heartbeat_interval,
                               self._guard, args=('heartbeat', self.heartbeat),
                               initial_delay=0)
        for step in self.steps:
            self.tg.add_dynamic_timer_args(self._leader_loop, args=(step,),
                                           initial_delay=0)
        self.tg.add_timer_args(
            self.conf.conductor.poll_interval.total_seconds(), self._guard,
            args=('backups', self.backups), initial_delay=0)
        if self.listener is not None:
            self.guard.run('listener', self.listener.start)
            self.tg.add_timer_args(LEADER_TICK, self._guard,
                                   args=('event poll', self.event_poll))

    def wake(self, step: str) -> None:
        """What a notification asks for: a poll here, a discovery."""
        if step == events.POLL:
            self.poll_wanted.set()
        elif step == events.DISCOVERY:
            api_wakeups.request(staffeln_context.get_admin_context(),
                                api_wakeups.DISCOVERY,
                                self.manager.engine.clock.now())

    def event_poll(self) -> bool:
        """Poll now if a notification said a backup ended."""
        if not self.poll_wanted.is_set():
            return False
        self.poll_wanted.clear()
        self.manager.engine.poll(staffeln_context.get_admin_context())
        return True

    def heartbeat(self) -> None:
        try:
            self.coordinator.heartbeat()
        except coordination.DuplicateConductor as exc:
            # Its claims are another conductor's now: it must not act.
            LOG.error('Conductor %s stops: %s', self.conf.host, exc)
            self.exit_process()

    def backups(self) -> None:
        self.manager.backup_step(staffeln_context.get_admin_context())

    def _leader_loop(self, step: LeaderStep) -> float:
        self.leader_tick(step)
        return LEADER_TICK

    def leader_tick(self, step: LeaderStep) -> bool:
        """Run ``step`` if this conductor leads and it is due.

        A step is due when this conductor became the leader since its last
        run, or when its interval has passed. Returns whether it ran.
        """
        if not self.coordinator.is_leader:
            return False
        term = self.coordinator.term
        now = self._monotonic()
        if not step.due(term, now):
            return False
        step.term, step.last_run = term, now
        self._guard(step.name, step.run,
                    staffeln_context.get_admin_context())
        return True

    def _guard(self, name: str, func, *args) -> None:
        """Keep a loop alive through the failure of one of its runs."""
        self.guard.run(name, func, *args)

    def stop(self, graceful=True):
        LOG.info('Conductor %s stopping', self.conf.host)
        # A pass through the queue ends at its next task.
        self.manager.engine.stopping.set()
        if self.listener is not None:
            self.guard.run('listener', self.listener.stop)
        super().stop(graceful=graceful)
        self.coordinator.stop()
