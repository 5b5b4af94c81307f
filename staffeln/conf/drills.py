"""Restore drills: the ``[drills]`` group.

A drill restores a volume's latest good Staffeln backup to a new volume of
the volume's project, waits until it is available, checks its status and
size, records the result and the time it took (the RTO), and deletes the
restored volume. See :mod:`staffeln.conductor.drills`.
"""

from oslo_config import cfg

from staffeln.common import duration

GROUP = 'drills'

opts = [
    cfg.BoolOpt(
        'enabled',
        default=False,
        help='Run restore drills. Each drill creates a volume in the '
             'project of the volume it drills, so it uses that project\'s '
             'volume and gigabyte quota while it runs (one volume the size '
             'of the backup, for a few minutes).'),
    cfg.Opt(
        'period',
        type=duration.Duration(min='1h'),
        default='30d',
        help='Every volume with a good Staffeln backup is drilled once '
             'within this period: the volume whose last drill is the oldest '
             '(or that was never drilled) goes first. '
             + duration.FORMAT_HELP),
    cfg.IntOpt(
        'max_in_flight',
        default=1,
        min=1,
        help='Most drills restoring at once, across all projects. A drill '
             'also waits while [conductor] max_in_flight backups are being '
             'made or backups are queued, so drills never hold back a '
             'backup.'),
    cfg.Opt(
        'timeout',
        type=duration.Duration(min='1min'),
        default='2h',
        help='A restored volume not available after this long fails the '
             'drill; the volume is deleted all the same. '
             + duration.FORMAT_HELP),
    cfg.StrOpt(
        'name_prefix',
        default='staffeln-drill-',
        help='Start of the name of a restored volume; the drill\'s id '
             'follows. A conductor that restarts finds the volume of an '
             'interrupted drill by this name, so keep it unique to '
             'Staffeln.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
