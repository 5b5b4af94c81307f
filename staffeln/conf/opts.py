"""Entry points for oslo-config-generator and the sphinx extension."""

import itertools

from oslo_config import cfg

from staffeln import conf as staffeln_conf
from staffeln.conf import api
from staffeln.conf import conductor
from staffeln.conf import coordination
from staffeln.conf import database
from staffeln.conf import default
from staffeln.conf import drills
from staffeln.conf import events
from staffeln.conf import metrics
from staffeln.conf import notification
from staffeln.conf import openstack
from staffeln.conf import retention
from staffeln.conf import webhook

_MODULES = (default, database, openstack, conductor, notification, api,
            retention, coordination, events, metrics, webhook, drills)


def list_opts():
    groups = {}
    for module in _MODULES:
        for group, options in module.list_opts().items():
            groups.setdefault(group, []).extend(options)
    return [(group, list(itertools.chain(options)))
            for group, options in groups.items()]


def set_lib_defaults():
    """Staffeln's defaults for library options (oslo.db's connection)."""
    staffeln_conf.database.register_opts(cfg.CONF)
