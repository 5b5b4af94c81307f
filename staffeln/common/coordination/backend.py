"""Reaching the tooz backend: its URL, its driver options, bounded calls.

tooz drivers may wait a long time for a backend that does not answer (the
Redis driver retries a refused connection for minutes): every call a
conductor makes goes through :class:`Bounded`, so that a backend that does
not answer is an error within a known time, never a hung conductor.
"""

import math
import threading
import urllib.parse

import tooz
from tooz import coordination as tooz_coordination

from staffeln.common import exception

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


def connect(url: str, member_id: bytes, options: dict):
    """A started tooz coordinator for ``url``.

    :raises ConfigurationError: no tooz driver has the URL's scheme.
    :raises CoordinationError: the backend cannot be used.
    """
    try:
        coordinator = tooz_coordination.get_coordinator(url, member_id,
                                                        **options)
    except RuntimeError as exc:
        # stevedore's NoMatches: a misspelt scheme, or a missing driver.
        raise exception.ConfigurationError(
            f'[coordination] backend_url {safe_url(url)} names no tooz '
            f'driver ({exc}); use redis://, etcd3+http://, zookeeper://, '
            f'mysql://, postgresql:// or file://') from None
    except (tooz.ToozError, ValueError) as exc:
        raise CoordinationError(
            f'cannot use the coordination backend {safe_url(url)}: '
            f'{exc}') from exc
    try:
        coordinator.start(start_heart=False)
    except (tooz.ToozError, RuntimeError, ValueError) as exc:
        raise CoordinationError(
            f'cannot use the coordination backend {safe_url(url)}: '
            f'{exc}') from exc
    return coordinator


class Bounded:
    """Runs calls to the backend, each within ``timeout`` seconds.

    A call that does not end in time raises CoordinationError; it goes on
    in a daemon thread, and no new call is made until it has ended (a
    backend that does not answer one call will not answer the next).
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._pending: threading.Event | None = None
        self.generation = 0

    def call(self, what: str, func, *args, timeout: float | None = None):
        timeout = self.timeout if timeout is None else timeout
        if self._pending is not None:
            if not self._pending.is_set():
                raise CoordinationError(
                    f'{what}: the coordination backend has not answered an '
                    f'earlier call yet')
            self._pending = None
        result: dict = {}
        done = threading.Event()

        def run():
            try:
                result['value'] = func(*args)
            except BaseException as exc:
                result['error'] = exc
            finally:
                done.set()
        threading.Thread(target=run, daemon=True,
                         name='coordination-call').start()
        if not done.wait(timeout):
            self._pending = done
            # Whatever the late call does, it belongs to an abandoned
            # generation: see Coordinator._lead.
            self.generation += 1
            raise CoordinationError(
                f'{what}: no answer from the coordination backend within '
                f'{timeout:g}s')
        if 'error' in result:
            raise result['error']
        return result['value']
