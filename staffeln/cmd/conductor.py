"""staffeln-conductor: the backup daemon."""

import logging as std_logging
import os
import signal
import sys

from oslo_log import log as logging
from oslo_service import service

from staffeln.cmd.manage import db as manage_db
from staffeln.cmd import prepare
from staffeln.common import clock
from staffeln.common import coordination
from staffeln.conductor import manager
from staffeln.conductor import service as conductor_service
from staffeln import conf as staffeln_conf

CONF = staffeln_conf.CONF
LOG = logging.getLogger(__name__)


class _ForkIsMeant(std_logging.Filter):
    """Drop oslo.service's warning that the conductor forks its worker.

    The worker is forked on purpose: it inherits the parsed configuration.
    oslo.service's threading backend warns when the service or the
    configuration cannot be pickled for a spawned worker, which no
    oslo.config ConfigOpts can be, so it would warn at every start.
    """

    def filter(self, record) -> bool:
        return 'is not picklable with spawn' not in record.getMessage()


@prepare.run
def main(argv=None):
    argv = sys.argv if argv is None else argv
    prepare.prepare_service(argv, CONF)
    # A database that cannot be reached, or an old schema, is one line and
    # an exit, not a daemon that fails at every step.
    manage_db.check_schema()
    try:
        # Two live conductors must not share a host name: each would release
        # the other's claims when it starts.
        coordination.Coordinator(
            CONF, member_id=f'{CONF.host}.starting.{os.getpid()}'
        ).check_name()
    except coordination.CoordinationError as exc:
        LOG.warning('Cannot check that no other conductor is named %s: %s',
                    CONF.host, exc)
    coordinator = coordination.Coordinator(CONF)
    mgr = manager.Manager.build(CONF, clock.Clock())
    std_logging.getLogger('oslo_service.backend._threading.service').addFilter(
        _ForkIsMeant())
    master = os.getpid()
    launcher = service.launch(
        CONF, conductor_service.ConductorService(
            CONF, mgr, coordinator,
            exit_process=lambda: os.kill(master, signal.SIGTERM)),
        restart_method='mutate')
    launcher.wait()
    return 0


if __name__ == '__main__':
    sys.exit(main())
