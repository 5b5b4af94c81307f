"""Notifications Staffeln listens to: the ``[events]`` group.

With ``listen`` on, every conductor listens to Nova's and Cinder's
notifications in one pool, so a server opted in is discovered within
seconds and a finished backup is recorded at once. The periodic discovery
and polling go on regardless and catch what a lost notification missed.
"""

from oslo_config import cfg

from staffeln.common import duration

GROUP = 'events'

opts = [
    cfg.BoolOpt(
        'listen',
        default=False,
        help='Listen to the notifications of Nova and Cinder: a server '
             'opted in, changed or deleted is discovered within seconds, '
             'and a finished backup is recorded without waiting for the '
             'next poll. Nova must send them ([oslo_messaging_notifications] '
             'driver = messagingv2 and [notifications] '
             'notify_on_state_change set), and so must Cinder '
             '([oslo_messaging_notifications] driver = messagingv2).'),
    cfg.StrOpt(
        'transport_url',
        secret=True,
        help='Transport URL of the message bus Nova and Cinder send their '
             'notifications on (their [oslo_messaging_notifications] '
             'transport_url, or their [DEFAULT] transport_url), for example '
             'rabbit://staffeln:secret@controller:5672/. Unset: '
             '[oslo_messaging_notifications] transport_url, else [DEFAULT] '
             'transport_url of this file.'),
    cfg.ListOpt(
        'topics',
        default=['notifications', 'versioned_notifications'],
        help='Topics to listen on: the notification topics Nova and Cinder '
             'send on (their [oslo_messaging_notifications] topics; Nova '
             'sends its versioned notifications on '
             '[notifications] versioned_notifications_topics). Both of '
             'Nova\'s formats are understood.'),
    cfg.ListOpt(
        'exchanges',
        default=['nova', 'openstack', 'cinder'],
        help='Exchanges the notifications are sent on: each service\'s '
             'control_exchange option. Nova sends on "nova"; Cinder, which '
             'does not set a default of its own, sends on oslo.messaging\'s '
             '"openstack" unless its control_exchange says otherwise. '
             'Notifications of other services on the same exchange are '
             'dropped unread.'),
    cfg.StrOpt(
        'pool',
        default='staffeln',
        help='Name of the listener pool. The conductors share one pool, so '
             'each notification reaches one of them; other consumers of the '
             'same topics (e.g. ceilometer) keep their own queues.'),
    cfg.Opt(
        'min_discovery_gap',
        type=duration.Duration(max='1h'),
        default='5s',
        help='Shortest time between two discoveries that notifications '
             'start: a burst of notifications (a thousand servers tagged at '
             'once) makes one discovery, not a thousand. '
             + duration.FORMAT_HELP),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
