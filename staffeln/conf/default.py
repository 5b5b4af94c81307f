import socket

from oslo_config import cfg

opts = [
    cfg.StrOpt(
        'state_path',
        default='/var/lib/staffeln',
        help='Directory where Staffeln keeps its local state: the embedded '
             'SQLite database and the local coordination lock files, unless '
             'those are configured elsewhere.'),
    cfg.HostAddressOpt(
        'host',
        default=socket.gethostname(),
        sample_default='<hostname>',
        help='Name of this Staffeln node. It identifies the conductor that '
             'claimed a task and appears in logs; it must be unique among '
             'the conductors sharing one database.'),
]


def register_opts(conf):
    conf.register_opts(opts)


def list_opts():
    return {'DEFAULT': opts}
