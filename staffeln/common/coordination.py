"""Leadership and membership of conductors, through tooz.

Leadership is a tooz lock, ``<namespace>.leader``: the conductor that holds
it is the leader and runs discovery, scheduling, retention and reports.
Every other conductor tries to take the lock at each heartbeat, so when the
leader dies the lock is taken over as soon as the backend frees it: at once
when the backend ties locks to a session that dies with the process (the
database backends, ZooKeeper, lock files), after ``leader_timeout`` without
a heartbeat when it gives locks a time to live (Redis, etcd, memcached).
A leader that cannot confirm it still holds the lock steps down.

Membership is a tooz group, ``<namespace>.conductors``, on the backends that
have groups (Redis, etcd, ZooKeeper, memcached, lock files). Each member
also holds a lock named after its host for as long as it runs: that lock
says whether a listed member is alive (lock files never drop a dead member
from a group), and keeps two live conductors from sharing one host name,
which would make each release the other's claims when it starts. The
database backends have locks only: they elect a leader, but cannot list the
conductors.

Backup work does not go through tooz at all: each task is claimed in the
database with one conditional UPDATE, so nothing here is needed for two
conductors never to act on the same task.
"""

import dataclasses
import math
import os
import threading
import time
import urllib.parse

from oslo_log import log as logging
import tooz
from tooz import coordination as tooz_coordination

from staffeln.common import clock
from staffeln.common import exception

LOG = logging.getLogger(__name__)

#: Driver options that bound how long a dead member holds a lock or stays
#: in a group; set to ``leader_timeout`` unless the URL sets them.
TTL_OPTIONS = {
    'redis': ('lock_timeout', 'membership_timeout'),
    'etcd3+http': ('lock_timeout', 'membership_timeout'),
    'etcd3+https': ('lock_timeout', 'membership_timeout'),
    'etcd': ('lock_timeout',),
    'memcached': ('lock_timeout', 'membership_timeout'),
    'zookeeper': ('timeout',),
    'kazoo': ('timeout',),
}

#: Database URL schemes of SQLAlchemy accepted for tooz's database drivers.
SQL_SCHEMES = ('mysql', 'postgresql')


class CoordinationError(exception.StaffelnException):
    """The coordination backend cannot be used."""


class DuplicateConductor(exception.ConfigurationError):
    """Another live conductor runs under the same host name."""


def backend_url(conf) -> str:
    """The tooz URL of ``[coordination] backend_url``.

    A SQLAlchemy URL (``mysql+pymysql://``, ``postgresql+psycopg2://``)
    becomes the URL of tooz's driver for that database.
    """
    url = conf.coordination.backend_url
    split = urllib.parse.urlsplit(url)
    base, _, dialect = split.scheme.partition('+')
    if dialect and base in SQL_SCHEMES:
        url = urllib.parse.urlunsplit(split._replace(scheme=base))
    return url


def safe_url(url: str) -> str:
    """``url`` without its password, for logs and output."""
    split = urllib.parse.urlsplit(url)
    if split.password is None:
        return url
    netloc = split.netloc.replace(f':{split.password}@', ':***@', 1)
    return urllib.parse.urlunsplit(split._replace(netloc=netloc))


def driver_options(url: str, leader_timeout) -> dict:
    """Driver options for ``url``, unless the URL sets them itself.

    Time-to-live options follow ``leader_timeout``. Every call Staffeln
    makes waits for its result, so drivers run their calls in the calling
    thread rather than in a thread pool of their own.
    """
    split = urllib.parse.urlsplit(url)
    given = urllib.parse.parse_qs(split.query)
    seconds = str(max(1, math.ceil(leader_timeout.total_seconds())))
    options = {key: seconds for key in TTL_OPTIONS.get(split.scheme, ())}
    options['executor'] = 'synchronous'
    return {key: value for key, value in options.items()
            if key not in given}


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
        self.url = backend_url(conf)
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
            options = driver_options(self.url, self.group_conf.leader_timeout)
            try:
                coordinator = tooz_coordination.get_coordinator(
                    self.url, self.member_id, **options)
                coordinator.start(start_heart=False)
            except (tooz.ToozError, RuntimeError, ValueError) as exc:
                raise CoordinationError(
                    f'cannot use the coordination backend '
                    f'{safe_url(self.url)}: {exc}') from exc
            self._coordinator = coordinator
            self._leader_candidate = coordinator.get_lock(
                self.leader_lock_name)
            try:
                coordinator.heartbeat()
                self._create_group()
                if join and self.has_groups:
                    self._member_lock = self._acquire_member_lock()
                    self._publish()
            except tooz.ToozError as exc:
                self._close()
                raise CoordinationError(
                    f'cannot join the conductors in '
                    f'{safe_url(self.url)}: {exc}') from exc
            except DuplicateConductor:
                self._close()
                raise
            if join:
                LOG.info('Coordination through %s as %s (namespace %s)',
                         safe_url(self.url), self.host,
                         self.group_conf.namespace)

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
        doubt (a backend error, a lock found lost) means not leading.
        """
        with self._mutex:
            if self.solo:
                return self.is_leader
            if self._coordinator is None:
                try:
                    self.start(join=self._join)
                except (CoordinationError, DuplicateConductor) as exc:
                    LOG.warning('Coordination is unavailable, this conductor '
                                'does not lead: %s', exc)
                    return False
            try:
                self._coordinator.heartbeat()
                if self.is_leader:
                    if not self._still_leader():
                        self._step_down('the leader lock was lost')
                else:
                    self._try_lead()
            except tooz.ToozError as exc:
                LOG.warning('Coordination heartbeat failed: %s', exc)
                if self.is_leader:
                    self._step_down(f'the backend failed: {exc}')
            return self.is_leader

    def _still_leader(self) -> bool:
        try:
            return bool(self._leader_lock.is_still_owner())
        except tooz.NotImplemented:
            # Database and ZooKeeper locks live as long as the session.
            return True

    def _try_lead(self) -> None:
        lock = self._leader_candidate
        if lock.acquire(blocking=False):
            self._lead(lock)

    def _lead(self, lock) -> None:
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
