"""Leadership and membership of conductors, through tooz.

:mod:`.backend` reaches the tooz backend (URLs, driver options, calls
bounded in time); :mod:`.coordinator` is the conductor's side.

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

from staffeln.common.coordination.backend import backend_url  # noqa: F401
from staffeln.common.coordination.backend import CoordinationError  # noqa
from staffeln.common.coordination.backend import DuplicateConductor  # noqa
from staffeln.common.coordination.backend import safe_url  # noqa: F401
from staffeln.common.coordination.coordinator import Coordinator  # noqa
from staffeln.common.coordination.coordinator import Member  # noqa: F401
