"""How conductors cooperate: the ``[coordination]`` group.

Several conductors elect one leader through tooz; the leader runs
discovery and scheduling, retention and reports, and every conductor runs
backups (claimed one task at a time in the database).
"""

from oslo_config import cfg

from staffeln.common import duration

GROUP = 'coordination'

opts = [
    cfg.StrOpt(
        'backend_url',
        default='file://$state_path/locks',
        secret=True,
        help='URL of the tooz coordination backend that elects the leader '
             'among the conductors and lists the live ones. The default, a '
             'directory of lock files, only coordinates conductors on one '
             'host. For conductors on several hosts use a shared backend: '
             'redis://HOST:6379, etcd3+http://HOST:2379, '
             'zookeeper://HOST:2181, or the database itself with '
             'mysql://USER:PASSWORD@HOST/DB or '
             'postgresql://USER:PASSWORD@HOST/DB (SQLAlchemy URLs such as '
             'mysql+pymysql:// are accepted too). The database backends '
             'elect a leader but cannot list the conductors that are not '
             'leading.'),
    cfg.StrOpt(
        'namespace',
        default='staffeln',
        regex=r'^[A-Za-z0-9_.-]{1,32}$',
        help='Prefix of the lock and group names Staffeln uses in the '
             'backend. Every conductor of one deployment must use the same '
             'namespace; deployments that share a backend must use '
             'different ones.'),
    cfg.Opt(
        'leader_timeout',
        type=duration.Duration(min='2s', max='1h'),
        default='30s',
        help='How long the leader may go without a heartbeat before '
             'another conductor takes over discovery, scheduling, retention '
             'and reports. It is also how long a stopped conductor stays '
             'listed as live. Backends that hold locks with a database or '
             'ZooKeeper session release them as soon as the process dies. '
             + duration.FORMAT_HELP),
    cfg.FloatOpt(
        'heartbeat_interval',
        default=5.0,
        min=0.1,
        help='Seconds between two heartbeats of a conductor. A conductor '
             'that is not the leader also tries to become the leader at each '
             'heartbeat. Must be less than half of leader_timeout.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
