"""How Staffeln reaches OpenStack: the ``[openstack]`` group.

Credentials come either from keystoneauth options in this group (auth_type,
auth_url, username, password, ...) or from a clouds.yaml cloud named by
``cloud``. The service user needs a role in every project whose servers it
backs up, because Cinder puts a backup in the project of the token that
creates it.
"""

import copy

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = 'openstack'

opts = [
    cfg.StrOpt(
        'cloud',
        help='Name of a cloud in clouds.yaml to take credentials and '
             'endpoints from. When set, the keystoneauth options of this '
             'group are ignored.'),
    cfg.StrOpt(
        'region_name',
        help='Region of the Nova and Cinder endpoints to use.'),
    cfg.StrOpt(
        'interface',
        default='public',
        choices=['public', 'internal', 'admin'],
        help='Which endpoint interface of the service catalog to use.'),
    cfg.IntOpt(
        'page_size',
        default=1000,
        min=1,
        max=10000,
        help='Number of servers, volumes or backups asked for per page when '
             'listing them across all projects.'),
    cfg.IntOpt(
        'api_retries',
        default=3,
        min=0,
        max=10,
        help='How many times a call that failed in a way that may succeed on '
             'retry (connection error, timeout, HTTP 5xx, 429) is retried. '
             'Client errors (4xx) are never retried.'),
]


#: Seconds any call to OpenStack may take unless [openstack] timeout says
#: otherwise: a call that hangs must not hang the conductor.
DEFAULT_TIMEOUT = 60


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)
    ks_loading.register_session_conf_options(conf, GROUP)
    ks_loading.register_auth_conf_options(conf, GROUP)
    conf.set_default('timeout', DEFAULT_TIMEOUT, group=GROUP)


def _session_opts():
    """keystoneauth's session options, with Staffeln's default timeout."""
    session = []
    for opt in ks_loading.get_session_conf_options():
        if opt.dest == 'timeout':
            opt = copy.deepcopy(opt)
            opt.default = DEFAULT_TIMEOUT
        session.append(opt)
    return session


def list_opts():
    return {
        GROUP: (
            opts
            + _session_opts()
            + ks_loading.get_auth_common_conf_options()
            + ks_loading.get_auth_plugin_conf_options('password')
        ),
    }
