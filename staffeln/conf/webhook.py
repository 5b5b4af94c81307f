"""Webhooks beside the email digest: the ``[webhook]`` group.

The global webhook is configured here; a project's own webhook is stored
in the database (``staffeln-manage webhook``, or the project's members
through ``/v1/projects/{id}/webhook``). Both are POSTed by
the leading conductor after its report step, in the background.
"""

from oslo_config import cfg

from staffeln.common import duration

GROUP = 'webhook'

EVENTS = [
    ('failures', 'Only after a cycle in which a backup failed or a volume '
                 'went past its promised interval.'),
    ('all', 'After every report step, with what happened since the last '
            'delivery, even when nothing did.'),
]
BODY_FORMATS = [
    ('json', 'Staffeln\'s JSON document: the period, and per project the '
             'backups made, the failures and the volumes out of policy.'),
    ('slack', 'A Slack-compatible body ({"text": ...}), also understood by '
              'Mattermost and Rocket.Chat incoming webhooks.'),
]

opts = [
    cfg.URIOpt(
        'url',
        schemes=['http', 'https'],
        help='URL the global webhook is POSTed to, with every project\'s '
             'events. Unset: no global webhook.'),
    cfg.StrOpt(
        'secret',
        secret=True,
        help='Key of the HMAC-SHA256 signature of the global webhook\'s '
             'body, sent as "X-Staffeln-Signature: sha256=<hex>". Unset: '
             'the body is not signed.'),
    cfg.StrOpt(
        'events',
        default='failures',
        choices=EVENTS,
        help='When the global webhook is sent.'),
    cfg.StrOpt(
        'body_format',
        default='json',
        choices=BODY_FORMATS,
        help='Body of the global webhook.'),
    cfg.Opt(
        'timeout',
        type=duration.Duration(min='1s', max='5min'),
        default='10s',
        help='Timeout of each attempt to deliver a webhook. '
             + duration.FORMAT_HELP),
    cfg.IntOpt(
        'retries',
        default=3,
        min=0,
        max=10,
        help='Attempts after the first one when a delivery fails (a '
             'connection error or an answer other than 2xx). A delivery '
             'that still fails is tried again, with everything since, after '
             'the next report step.'),
    cfg.Opt(
        'retry_delay',
        type=duration.Duration(min='0s', max='10min'),
        default='5s',
        help='Wait before the first retry; it doubles at each retry. '
             + duration.FORMAT_HELP),
    cfg.StrOpt(
        'ca_file',
        help='CA bundle (PEM) that verifies the certificates of https '
             'webhooks. Unset: the system\'s trusted CAs.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
