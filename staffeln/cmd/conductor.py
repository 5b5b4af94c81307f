"""staffeln-conductor: the backup daemon."""

import sys

from oslo_service import service

from staffeln.common import clock
from staffeln.common import service as staffeln_service
from staffeln.conductor import manager
from staffeln.conductor import service as conductor_service
from staffeln import conf as staffeln_conf

CONF = staffeln_conf.CONF


@staffeln_service.run
def main(argv=None):
    argv = sys.argv if argv is None else argv
    staffeln_service.prepare_service(argv, CONF)
    mgr = manager.Manager.build(CONF, clock.Clock())
    launcher = service.launch(
        CONF, conductor_service.ConductorService(CONF, mgr),
        restart_method='mutate')
    launcher.wait()
    return 0
