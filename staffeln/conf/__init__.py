"""Staffeln's configuration: one module per option group.

Nothing here reads configuration at import time; ``register_opts`` is called
once for the global ``CONF`` object, and tests may build their own.
"""

from oslo_config import cfg

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

CONF = cfg.CONF


def register_opts(conf: cfg.ConfigOpts) -> None:
    default.register_opts(conf)
    database.register_opts(conf)
    openstack.register_opts(conf)
    conductor.register_opts(conf)
    coordination.register_opts(conf)
    api.register_opts(conf)
    notification.register_opts(conf)
    events.register_opts(conf)
    retention.register_opts(conf)
    metrics.register_opts(conf)
    webhook.register_opts(conf)
    drills.register_opts(conf)


register_opts(CONF)
