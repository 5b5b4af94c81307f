"""What retention keeps and deletes: the ``[retention]`` group.

A backup is kept when any rule keeps it: the time rule (``retention_time``),
one of the keep rules (``keep_last`` ... ``keep_yearly``, in the style of
restic), the floor of ``min_good_backups``, or an incremental backup that is
kept and depends on it. Servers may override ``retention_time`` with the
``backup_retention`` metadata key and the keep rules with ``backup_keep``,
within ``min_retention`` and ``max_retention``.
"""

from oslo_config import cfg

from staffeln.common import duration

GROUP = 'retention'

_KEEP_HELP = (
    'Keep the newest good backup of each of the last {n} {what} that have '
    'a backup, per volume (like restic\'s --keep-{rule}). When fewer {what} '
    'have backups, the oldest backup is kept as well. 0 means the rule is '
    'not used. Periods are in UTC. A server may replace all keep rules with '
    'its backup_keep metadata, for example daily=7,weekly=4,monthly=12.')

opts = [
    cfg.Opt(
        'retention_time',
        type=duration.Duration(),
        default='14d',
        help='Keep every backup younger than this. Older backups are '
             'deleted unless a keep rule, the min_good_backups floor or a '
             'kept incremental backup that depends on them keeps them. A '
             'server may override it with its backup_retention metadata, '
             'within min_retention and max_retention. Must lie within '
             'those bounds. ' + duration.FORMAT_HELP),
    cfg.Opt(
        'min_retention',
        type=duration.Duration(),
        default='7d',
        help='Shortest retention_time a server may ask for through its '
             'backup_retention metadata: a shorter value is raised to this '
             'one and reported to the project. 0s lets projects keep only '
             'what the keep rules and the floor keep. '
             + duration.FORMAT_HELP),
    cfg.Opt(
        'max_retention',
        type=duration.Duration(),
        default='1y',
        help='Longest time any rule keeps a backup: a longer '
             'backup_retention is lowered to this value and keep rules '
             'keep nothing older than it. Only the min_good_backups floor '
             'keeps older backups. ' + duration.FORMAT_HELP),
    cfg.IntOpt(
        'keep_last',
        default=0,
        min=0,
        help='Keep the last N good backups of each volume, whatever their '
             'age (like restic\'s --keep-last). 0 means the rule is not '
             'used. A server may replace all keep rules with its '
             'backup_keep metadata.'),
    cfg.IntOpt(
        'keep_hourly', default=0, min=0,
        help=_KEEP_HELP.format(n='N', what='hours', rule='hourly')),
    cfg.IntOpt(
        'keep_daily', default=0, min=0,
        help=_KEEP_HELP.format(n='N', what='days', rule='daily')),
    cfg.IntOpt(
        'keep_weekly', default=0, min=0,
        help=_KEEP_HELP.format(n='N', what='ISO weeks', rule='weekly')),
    cfg.IntOpt(
        'keep_monthly', default=0, min=0,
        help=_KEEP_HELP.format(n='N', what='months', rule='monthly')),
    cfg.IntOpt(
        'keep_yearly', default=0, min=0,
        help=_KEEP_HELP.format(n='N', what='years', rule='yearly')),
    cfg.IntOpt(
        'min_good_backups',
        default=1,
        min=1,
        help='The newest N good backups of a volume that still exists are '
             'never deleted by retention, however old (and neither are the '
             'backups they depend on). Backups of deleted volumes age out '
             'under the policy they last had.'),
    cfg.Opt(
        'retention_interval',
        type=duration.Duration(min='1s'),
        default='1h',
        help='Time between two retention runs of the conductor. '
             + duration.FORMAT_HELP),
    cfg.Opt(
        'delete_wait',
        type=duration.Duration(),
        default='10min',
        help='How long one retention run waits for Cinder to finish the '
             'deletes it sent before it deletes the backups they depended '
             'on (Cinder refuses to delete a backup while an incremental '
             'backup of it exists). What is not finished by then is '
             'completed by the next run. ' + duration.FORMAT_HELP),
    cfg.Opt(
        'delete_poll_interval',
        type=duration.Duration(min='1s'),
        default='5s',
        help='Time between two checks of the deletes in progress during a '
             'retention run. ' + duration.FORMAT_HELP),
    cfg.IntOpt(
        'max_deletes_per_run',
        default=0,
        min=0,
        help='Most delete calls one retention run sends to Cinder; the rest '
             'waits for the next run. 0 means no limit.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
