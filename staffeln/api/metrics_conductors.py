"""Conductor liveness and leadership for ``/metrics``, from tooz.

The conductors are read from the coordination backend (``[coordination]
backend_url``) at each scrape by an observer that does not join the group,
the way ``staffeln-manage conductors`` reads them, so every API replica
answers the same. Without a backend nothing is exported: a lone conductor
leads alone and only its process supervisor knows whether it runs.

A backend that does not answer within ``[metrics] coordination_timeout``
gives ``staffeln_coordination_up 0`` at once, and again at every scrape
until the call that hung has ended: a scrape never waits on it for longer.
"""

import os
import threading

from oslo_log import log as logging
from prometheus_client import core

from staffeln.common import coordination
from staffeln.common.coordination import backend

LOG = logging.getLogger(__name__)


class Reader:
    """Reads the conductors for one API process, bounded in time."""

    def __init__(self, conf):
        self.conf = conf
        timeout = conf.metrics.coordination_timeout.total_seconds()
        self.bounded = backend.Bounded(timeout)
        # Scrapes answered at once by several threads read one at a time.
        self._lock = threading.Lock()

    def read(self):
        """(leader elected, members or None); raises when it cannot."""
        with self._lock:
            return self.bounded.call('reading the conductors', _read,
                                     self.conf)


def families(conf, reader: Reader | None = None):
    """The conductor families; none without a coordination backend."""
    if not coordination.backend_url(conf):
        return []
    reader = reader or Reader(conf)
    up = core.GaugeMetricFamily(
        'staffeln_coordination_up',
        '1 when the coordination backend could be read at this scrape.')
    try:
        elected, members = reader.read()
    except Exception as exc:
        LOG.warning('Cannot read the conductors for the metrics: %s', exc)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    result = [up, core.GaugeMetricFamily(
        'staffeln_leader_elected',
        '1 when a conductor holds the leader lock.', value=int(elected))]
    if members is None:
        # The database backends elect a leader but cannot list members.
        return result
    alive = core.GaugeMetricFamily(
        'staffeln_conductor_up',
        '1 for each conductor of the group that holds its member lock, 0 '
        'for a listed one that does not.', labels=['host'])
    leader = core.GaugeMetricFamily(
        'staffeln_conductor_leader',
        '1 for the conductor that says it leads.', labels=['host'])
    for member in members:
        alive.add_metric([member.host], int(member.alive))
        leader.add_metric([member.host], int(member.alive and
                                             member.leader))
    result += [alive, leader, core.GaugeMetricFamily(
        'staffeln_conductors_alive', 'Conductors alive.',
        value=sum(1 for m in members if m.alive))]
    return result


def _read(conf):
    observer = coordination.Coordinator(
        conf, member_id=f'staffeln-api.{conf.host}.{os.getpid()}')
    observer.start(join=False)
    try:
        return observer.leader_elected(), observer.members()
    finally:
        observer.stop()
