"""Email digests and event notifications: the ``[notification]`` group.

The email digest is configured here. Event notifications go through
oslo.messaging, whose own ``[oslo_messaging_notifications]`` options (driver,
transport_url, topics, retry) are registered here too and listed for the
sample generator by oslo.messaging's ``oslo.messaging`` namespace.
"""

from oslo_config import cfg
import oslo_messaging
from oslo_messaging import opts as messaging_opts

from staffeln.common import duration

GROUP = 'notification'
MESSAGING_GROUP = 'oslo_messaging_notifications'
#: The exchange Staffeln's notifications are published on, like 'nova' or
#: 'cinder' for those services.
CONTROL_EXCHANGE = 'staffeln'

opts = [
    cfg.Opt(
        'report_period',
        type=duration.Duration(),
        default='1d',
        help='How often each project gets an email digest of what Staffeln '
             'did for it. A digest covers everything since the previous one '
             'and is only sent when something happened or needs attention. '
             '0s sends a digest after every cycle. ' + duration.FORMAT_HELP),
    cfg.StrOpt(
        'template_dir',
        help='Directory with templates that replace the built-in ones: '
             'digest.html, digest.txt and digest_subject.txt (Jinja2). A '
             'template missing from this directory falls back to the '
             'built-in one.'),
    cfg.ListOpt(
        'receivers',
        default=[],
        help='Email addresses that receive every project\'s digest, for '
             'example an operator mailbox.'),
    cfg.StrOpt(
        'project_receiver_role',
        help='Name of a Keystone role: the users holding it in a project '
             '(directly or through a group) receive that project\'s digest '
             'at the email address of their Keystone user. Unset: no user '
             'is looked up.'),
    cfg.StrOpt(
        'project_receiver_domain',
        help='Mail domain for one address per project: with example.com, '
             'the digest of project "web" also goes to web@example.com. '
             'Unset: no such address.'),
    cfg.StrOpt(
        'sender',
        help='From address of the digests. Unset: digests are not emailed '
             'but written to the log.'),
    cfg.HostAddressOpt(
        'smtp_host',
        default='localhost',
        help='SMTP server that relays the digests.'),
    cfg.PortOpt(
        'smtp_port',
        help='Port of the SMTP server. Unset: 465 with smtp_security = ssl, '
             '25 otherwise.'),
    cfg.StrOpt(
        'smtp_security',
        default='none',
        choices=[
            ('none', 'Plain SMTP, no encryption.'),
            ('starttls', 'Plain SMTP upgraded to TLS with STARTTLS; the '
                         'server must offer it.'),
            ('ssl', 'TLS from the first byte (SMTPS, usually port 465).'),
        ],
        help='How the connection to the SMTP server is protected. With '
             'starttls and ssl the server\'s certificate and host name are '
             'verified.'),
    cfg.StrOpt(
        'smtp_ca_file',
        help='CA bundle (PEM) that verifies the SMTP server\'s certificate. '
             'Unset: the system\'s trusted CAs.'),
    cfg.StrOpt(
        'smtp_user',
        help='User name to log in to the SMTP server with. Unset: no login.'),
    cfg.StrOpt(
        'smtp_password',
        secret=True,
        help='Password of smtp_user.'),
    cfg.Opt(
        'smtp_timeout',
        type=duration.Duration(min='1s', max='10min'),
        default='30s',
        help='Timeout of each exchange with the SMTP server. '
             + duration.FORMAT_HELP),
    cfg.FloatOpt(
        'quota_warning_percent',
        default=50.0,
        min=0.0,
        max=100.0,
        help='A quota used (in use plus reserved) from this percentage of '
             'its limit on is shown in yellow in the digest; below it, '
             'green.'),
    cfg.FloatOpt(
        'quota_critical_percent',
        default=80.0,
        min=0.0,
        max=100.0,
        help='A quota used above this percentage of its limit is shown in '
             'red in the digest. Must not be below quota_warning_percent.'),
    cfg.Opt(
        'out_of_policy_grace',
        type=duration.Duration(),
        default='1h',
        help='A volume is reported out of policy when its last good backup '
             'is older than its backup interval plus this margin, which '
             'leaves time for the next backup to be queued and made. '
             + duration.FORMAT_HELP),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)
    # oslo.messaging registers these itself when a notifier is built; they
    # are registered up front so they can be read and checked at start-up.
    for group, options in messaging_opts.list_opts():
        if group == MESSAGING_GROUP:
            conf.register_opts(options, group=group)
    oslo_messaging.set_transport_defaults(CONTROL_EXCHANGE)


#: oslo.messaging's options that Staffeln uses: the transport, the
#: notifications and the RabbitMQ driver (not the RPC ones, nor Kafka).
_MESSAGING_DEFAULT = ('transport_url', 'control_exchange')
_MESSAGING_GROUPS = (MESSAGING_GROUP, 'oslo_messaging_rabbit')


def list_opts():
    groups = {GROUP: opts}
    for group, options in messaging_opts.list_opts():
        if group is None:
            groups['DEFAULT'] = [o for o in options
                                 if o.name in _MESSAGING_DEFAULT]
        elif group in _MESSAGING_GROUPS:
            groups[group] = list(options)
    return groups
