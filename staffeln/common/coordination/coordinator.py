"""A conductor's link to the coordination backend: leadership, membership.

See :mod:`staffeln.common.coordination` for what the locks and the group
mean.
"""

import dataclasses
import os
import threading
import time
import urllib.parse

from oslo_log import log as logging
import tooz
from tooz import coordination as tooz_coordination

from staffeln.common import clock
from staffeln.common.coordination import backend
from staffeln.common.coordination.backend import CoordinationError
from staffeln.common.coordination.backend import DuplicateConductor
from staffeln.common.coordination.backend import safe_url
from staffeln.common import exception

LOG = logging.getLogger(__name__)

#: Seconds between two reminders that coordination still fails.
REMIND_EVERY = 600.0


@dataclasses.dataclass
class Member:
    """A conductor as the coordination backend knows it."""

    host: str
    alive: bool
    leader: bool
    pid: int | None = None
    started_at: str | None = None
    leader_since: str | None = None


class Coordinator:
    """One process's link to the backend: leadership and membership.

    A conductor calls :meth:`start`, then :meth:`heartbeat` every
    ``heartbeat_interval`` from one thread, and reads :attr:`is_leader` and
    :attr:`term` from others. ``staffeln-manage`` starts one with
    ``join=False`` to look at the members without becoming one.
    """

    def __init__(self, conf, member_id: str | None = None,
                 sleep=time.sleep, monotonic=time.monotonic):
        self.conf = conf
        self.group_conf = conf.coordination
        self.host = conf.host
        self.url = backend.backend_url(conf)
        #: No backend at all: this conductor leads alone.
        self.solo = not self.url
        self.member_id = (member_id or conf.host).encode()
        namespace = self.group_conf.namespace
        self.group_id = f'{namespace}.conductors'.encode()
        self.leader_lock_name = f'{namespace}.leader'.encode()
        self._member_prefix = f'{namespace}.conductor.'
        self._sleep = sleep
        self._monotonic = monotonic
        self._mutex = threading.RLock()
        self._coordinator = None
        self._leader_candidate = None
        self._leader_lock = None
        self._member_lock = None
        self._join = True
        self._joined = False
        #: Whether the backend has groups (None until it was asked).
        self.has_groups: bool | None = None
        self._started_at = clock.utcnow()
        self._leader_since = None
        #: Incremented each time this conductor becomes the leader.
        self.term = 0
        interval = self.group_conf.heartbeat_interval
        timeout = self.group_conf.leader_timeout.total_seconds()
        #: Every call to the backend ends within half the leader timeout:
        #: a leader that cannot renew its lock by then steps down.
        self.backend = backend.Bounded(timeout / 2)
        self._complaint: tuple[str, float] | None = None
        if 2 * interval >= timeout:
            raise exception.ConfigurationError(
                f'[coordination] heartbeat_interval ({interval:g}s) must be '
                f'less than half of leader_timeout ({timeout:g}s)')

    # ------------------------------------------------------------ state

    @property
    def is_leader(self) -> bool:
        return self._leader_since is not None

    @property
    def started(self) -> bool:
        return self._coordinator is not None or self.solo

    def _member_lock_name(self, host: str) -> bytes:
        return (self._member_prefix + host).encode()

    def _capabilities(self) -> dict:
        return {
            'host': self.host,
            'pid': os.getpid(),
            'started_at': _iso(self._started_at),
            'leader_since': _iso(self._leader_since),
        }

    # ------------------------------------------------------------ start/stop

    def start(self, join: bool = True) -> None:
        """Connect; with ``join``, become a member of the conductors.

        :raises DuplicateConductor: a live conductor has this host name.
        :raises CoordinationError: the backend cannot be reached.
        """
        with self._mutex:
            if self.solo:
                self._join = join
                self.has_groups = False
                if join and not self.is_leader:
                    LOG.warning('No [coordination] backend_url: conductor %s '
                                'leads alone; run only one conductor',
                                self.host)
                    self._lead(None)
                return
            if self._coordinator is not None:
                return
            self._join = join
            wait = (self.group_conf.leader_timeout.total_seconds()
                    + 2 * self.group_conf.heartbeat_interval)
            self.backend.call('connecting', self._connect, join,
                              timeout=self.backend.timeout + wait)
            if join:
                LOG.info('Coordination through %s as %s (namespace %s)',
                         safe_url(self.url), self.host,
                         self.group_conf.namespace)

    def _connect(self, join: bool) -> None:
        """Start the driver and join the conductors (in a bounded call)."""
        options = backend.driver_options(self.url,
                                         self.group_conf.leader_timeout)
        coordinator = backend.connect(self.url, self.member_id, options)
        self._coordinator = coordinator
        self._leader_candidate = coordinator.get_lock(self.leader_lock_name)
        try:
            coordinator.heartbeat()
            self._create_group()
            if join and self.has_groups:
                self._member_lock = self._acquire_member_lock()
                self._publish()
        except tooz.ToozError as exc:
            self._close()
            raise CoordinationError(
                f'cannot join the conductors in {safe_url(self.url)}: '
                f'{exc}') from exc
        except DuplicateConductor:
            self._close()
            raise

    def check_name(self) -> None:
        """Fail if a live conductor already runs under this host name.

        The lock of an earlier run of this conductor that died is waited
        for until it expires. Backends without groups cannot tell.

        :raises DuplicateConductor: a live conductor has this host name.
        :raises CoordinationError: the backend cannot be reached.
        """
        self.start(join=False)
        try:
            if self.has_groups:
                self._release(self._acquire_member_lock())
        finally:
            self.stop()

    def _create_group(self) -> None:
        try:
            self._coordinator.create_group(self.group_id).get()
        except tooz_coordination.GroupAlreadyExist:
            pass
        except tooz.NotImplemented:
            if self.has_groups is None and self._join:
                LOG.info('The coordination backend %s elects the leader but '
                         'has no groups: staffeln-manage conductors cannot '
                         'list the conductors that do not lead',
                         urllib.parse.urlsplit(self.url).scheme)
            self.has_groups = False
            return
        self.has_groups = True

    def _acquire_member_lock(self):
        """The lock of this host name, once no one else holds it."""
        lock = self._coordinator.get_lock(self._member_lock_name(self.host))
        timeout = (self.group_conf.leader_timeout.total_seconds()
                   + 2 * self.group_conf.heartbeat_interval)
        deadline = self._monotonic() + timeout
        waited = False
        while not lock.acquire(blocking=False):
            if self._monotonic() >= deadline:
                raise DuplicateConductor(
                    f'another conductor named {self.host} is running (it '
                    f'holds its lock in {safe_url(self.url)}); give each '
                    f'conductor its own [DEFAULT] host')
            if not waited:
                LOG.warning('The lock of conductor %s is held; waiting up to '
                            '%ds for an earlier run of it to expire',
                            self.host, timeout)
                waited = True
            self._sleep(min(1.0, self.group_conf.heartbeat_interval))
        return lock

    def _publish(self) -> None:
        """Write this member's capabilities (who leads, since when)."""
        if not self.has_groups or not self._join:
            return
        coordinator = self._coordinator
        capabilities = self._capabilities()
        if self._joined:
            try:
                coordinator.update_capabilities(
                    self.group_id, capabilities).get()
                return
            except tooz.NotImplemented:
                # Lock files cannot update a member: join again.
                coordinator.leave_group(self.group_id).get()
                self._joined = False
        try:
            coordinator.join_group(self.group_id, capabilities).get()
        except tooz_coordination.MemberAlreadyExist:
            # Left by an earlier run under this name: that run is dead,
            # since its member lock was free.
            coordinator.leave_group(self.group_id).get()
            coordinator.join_group(self.group_id, capabilities).get()
        self._joined = True

    def stop(self) -> None:
        """Step down, leave the group and disconnect."""
        with self._mutex:
            if self.is_leader:
                LOG.info('Conductor %s stops leading', self.host)
                if self._leader_lock is not None:
                    self._release(self._leader_lock)
                self._leader_lock = self._leader_since = None
            if self._coordinator is None:
                return
            if self._joined:
                try:
                    self._coordinator.leave_group(self.group_id).get()
                except tooz.ToozError as exc:
                    LOG.warning('Cannot leave the conductors group: %s', exc)
                self._joined = False
            if self._member_lock is not None:
                self._release(self._member_lock)
                self._member_lock = None
            self._close()

    def _close(self) -> None:
        coordinator, self._coordinator = self._coordinator, None
        self._leader_candidate = None
        try:
            coordinator.stop()
        except tooz.ToozError as exc:
            LOG.warning('Cannot stop the coordination driver: %s', exc)

    @staticmethod
    def _release(lock) -> None:
        try:
            lock.release()
        except tooz.ToozError as exc:
            LOG.warning('Cannot release lock %s (it expires by itself): %s',
                        lock.name, exc)

    # ------------------------------------------------------------ heartbeat

    def heartbeat(self) -> bool:
        """Prove this conductor alive, keep or seek leadership.

        Returns whether this conductor is the leader after the beat. Any
        doubt (a backend error, no answer in time, a lock found lost) means
        not leading; failures are logged when they change, and reminded of
        every ten minutes.

        :raises DuplicateConductor: this conductor lost its host name's lock
            (it was paused for longer than ``leader_timeout``) and another
            conductor with the same host name holds it now.
        """
        with self._mutex:
            if self.solo:
                return self.is_leader
            try:
                if self._coordinator is None:
                    self.start(join=self._join)
                self.backend.call('heartbeat', self._beat,
                                  self.backend.generation)
            except (CoordinationError, tooz.ToozError) as exc:
                self._complain(f'coordination fails, this conductor does '
                               f'not lead: {exc}')
                if self.is_leader:
                    self._step_down(f'the backend failed: {exc}')
                return False
            if self._complaint is not None:
                LOG.info('Coordination through %s works again',
                         safe_url(self.url))
                self._complaint = None
            return self.is_leader

    def _beat(self, generation: int) -> None:
        """One heartbeat, in a bounded call; locks found lost come first."""
        if self._member_lock is not None and not self._owns(
                self._member_lock):
            self._retake_member_lock()
        lost = self.is_leader and not self._owns(self._leader_lock)
        if lost:
            self._step_down('the leader lock was lost')
        self._coordinator.heartbeat()
        if not self.is_leader and not lost:
            self._try_lead(generation)

    def _owns(self, lock) -> bool:
        try:
            return bool(lock.is_still_owner())
        except tooz.NotImplemented:
            # Database, ZooKeeper and file locks live as long as the
            # session or the process.
            return True

    def _retake_member_lock(self) -> None:
        """This conductor's host name lock expired (a long pause)."""
        lost, self._member_lock = self._member_lock, None
        # Not released (the backend would log an error for a lock it no
        # longer has): only forgotten, so the driver stops renewing it.
        held = getattr(self._coordinator, '_acquired_locks', None)
        if held is not None:
            held.discard(lost)
        lock = self._coordinator.get_lock(self._member_lock_name(self.host))
        if not lock.acquire(blocking=False):
            raise DuplicateConductor(
                f'conductor {self.host} lost its lock in '
                f'{safe_url(self.url)} (paused for longer than '
                f'[coordination] leader_timeout) and another conductor '
                f'named {self.host} holds it now')
        self._member_lock = lock
        LOG.warning('Conductor %s took its host name lock again: it had '
                    'expired during a pause longer than [coordination] '
                    'leader_timeout', self.host)

    def _complain(self, message: str) -> None:
        now = self._monotonic()
        last = self._complaint
        if last is None or last[0] != message or now - last[1] > REMIND_EVERY:
            LOG.warning('%s', message)
            self._complaint = (message, now)

    def _try_lead(self, generation: int) -> None:
        lock = self._leader_candidate
        if lock.acquire(blocking=False):
            self._lead(lock, generation)

    def _lead(self, lock, generation: int | None = None) -> None:
        if generation is not None and generation != self.backend.generation:
            # A heartbeat that ended too late: nobody waits for its result.
            self._release(lock)
            return
        self._leader_lock = lock
        self._leader_since = clock.utcnow()
        self.term += 1
        LOG.info('Conductor %s is now the leader (term %d)', self.host,
                 self.term)
        self._publish_quietly()

    def _step_down(self, reason: str) -> None:
        lock, self._leader_lock = self._leader_lock, None
        self._leader_since = None
        LOG.warning('Conductor %s is no longer the leader: %s', self.host,
                    reason)
        if lock is not None:
            self._release(lock)
        self._publish_quietly()

    def _publish_quietly(self) -> None:
        try:
            self._publish()
        except tooz.ToozError as exc:
            LOG.warning('Cannot publish the state of conductor %s: %s',
                        self.host, exc)

    # ------------------------------------------------------------ observing

    def members(self) -> list[Member] | None:
        """Every conductor in the group, or None without groups."""
        return self.backend.call('listing the conductors', self._members)

    def _members(self) -> list[Member] | None:
        with self._mutex:
            coordinator = self._coordinator
            if self.solo:
                return None
            if coordinator is None:
                raise CoordinationError('the coordinator is not started')
            try:
                ids = coordinator.get_members(self.group_id).get()
            except tooz_coordination.GroupNotCreated:
                return []
            except tooz.NotImplemented:
                return None
            members = []
            for member_id in sorted(ids):
                try:
                    caps = coordinator.get_member_capabilities(
                        self.group_id, member_id).get()
                except tooz_coordination.MemberNotJoined:
                    continue
                caps = caps if isinstance(caps, dict) else {}
                host = caps.get('host') or _text(member_id)
                members.append(Member(
                    host=host, alive=self._alive(host),
                    leader=bool(caps.get('leader_since')),
                    pid=caps.get('pid'), started_at=caps.get('started_at'),
                    leader_since=caps.get('leader_since')))
            return members

    def _alive(self, host: str) -> bool:
        """Whether the conductor named ``host`` holds its member lock."""
        if host == self.host and self._member_lock is not None:
            return True
        lock = self._coordinator.get_lock(self._member_lock_name(host))
        if lock.acquire(blocking=False):
            self._release(lock)
            return False
        return True

    def leader_elected(self) -> bool:
        """Whether some conductor holds the leader lock right now."""
        return self.backend.call('looking for the leader',
                                 self._leader_elected)

    def _leader_elected(self) -> bool:
        with self._mutex:
            if self.solo or self.is_leader:
                return self.is_leader
            lock = self._coordinator.get_lock(self.leader_lock_name)
            if lock.acquire(blocking=False):
                self._release(lock)
                return False
            return True


def _iso(value) -> str | None:
    return value.strftime('%Y-%m-%dT%H:%M:%SZ') if value else None


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
