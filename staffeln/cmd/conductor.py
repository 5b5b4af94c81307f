"""staffeln-conductor: the backup daemon."""

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
