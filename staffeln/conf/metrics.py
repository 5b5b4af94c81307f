"""The Prometheus metrics that staffeln-api serves: the ``[metrics]`` group."""

from oslo_config import cfg

from staffeln.common import duration

GROUP = 'metrics'

opts = [
    cfg.BoolOpt(
        'enabled',
        default=True,
        help='Whether staffeln-api serves Prometheus metrics on /metrics. '
             'The values are computed from the database at each scrape, so '
             'every staffeln-api replica answers the same.'),
    cfg.StrOpt(
        'bearer_token',
        secret=True,
        help='Token that a scrape must present in an "Authorization: '
             'Bearer" header (Prometheus: the authorization or '
             'bearer_token_file setting of the scrape job). Unset: /metrics '
             'answers without a token, like the health check, and should '
             'then be reachable only from the monitoring network. The '
             'metrics name projects, servers and volumes, never secrets. '
             'Keystone tokens are not used here: Prometheus cannot obtain '
             'them.'),
    cfg.BoolOpt(
        'per_volume_series',
        default=True,
        help='Whether the per-volume series (last good backup, promised '
             'interval and RPO breach, labelled with project, volume, '
             'server and policy) are exported. Each protected volume adds '
             'three series; turn this off in large clouds and keep the '
             'per-project totals, which are always exported.'),
    cfg.Opt(
        'coordination_timeout',
        type=duration.Duration(min='1s', max='1min'),
        default='5s',
        help='Longest a scrape waits for the coordination backend when it '
             'reads which conductors are alive and which one leads; past '
             'it, staffeln_coordination_up is 0. Keep it below the scrape '
             'timeout of Prometheus. ' + duration.FORMAT_HELP),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
