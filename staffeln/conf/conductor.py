"""Options of the backup engine: the ``[conductor]`` group."""

from oslo_config import cfg

from staffeln.common import duration

GROUP = 'conductor'

opts = [
    cfg.StrOpt(
        'backup_metadata_key',
        default='backup',
        help='Server metadata key that opts a server in. A server is backed '
             'up when this key has a true value (yes, true, 1 or on, in any '
             'case).'),
    cfg.StrOpt(
        'backup_tag',
        help='Optional Nova server tag that also opts a server in. Unset '
             '(the default) means tags are not looked at.'),
    cfg.StrOpt(
        'policy_metadata_key',
        default='backup_policy',
        help='Server metadata key that chooses the protection policies of '
             'the server\'s volumes: one name, or several separated by '
             'commas (backup_policy=hourly,daily-30d runs both). A name the '
             'project may not use is reported and the project\'s default '
             'policy applies instead.'),
    cfg.StrOpt(
        'default_policy',
        default='default',
        help='The protection policy of the servers that name none, in the '
             'projects that chose no default of their own. The "default" '
             'policy follows this configuration: backup_interval and '
             'full_backup_depth here, retention_time and keep_* in '
             '[retention].'),
    cfg.StrOpt(
        'skip_metadata_key',
        default='backup_skip',
        help='Volume metadata key that opts one volume out: a volume whose '
             'metadata has a true value under this key is never backed up.'),
    cfg.IntOpt(
        'full_backup_depth',
        default=2,
        min=0,
        max=1000,
        help='Number of incremental backups that follow each full backup '
             'of a volume. 0 means every backup is a full backup.'),
    cfg.Opt(
        'backup_interval',
        type=duration.Duration(),
        default='1d',
        help='A volume is due for a backup when its last good Staffeln '
             'backup is older than this. A server may override it with the '
             'backup_interval metadata key, within min_backup_interval and '
             'max_backup_interval. ' + duration.FORMAT_HELP),
    cfg.Opt(
        'min_backup_interval',
        type=duration.Duration(),
        default='1h',
        help='Shortest interval a server may ask for through its '
             'backup_interval metadata. ' + duration.FORMAT_HELP),
    cfg.Opt(
        'max_backup_interval',
        type=duration.Duration(),
        default='30d',
        help='Longest interval a server may ask for through its '
             'backup_interval metadata. ' + duration.FORMAT_HELP),
    cfg.IntOpt(
        'max_in_flight',
        default=50,
        min=1,
        help='Most Staffeln backups in the creating state at once, across '
             'all projects. Further backups wait for a free slot.'),
    cfg.IntOpt(
        'max_in_flight_per_project',
        default=5,
        min=1,
        help='Most Staffeln backups in the creating state at once in one '
             'project.'),
    cfg.IntOpt(
        'max_volumes_per_project',
        default=0,
        min=0,
        help='Most volumes Staffeln backs up in one project; volumes beyond '
             'the limit are reported and skipped. 0 means no limit.'),
    cfg.StrOpt(
        'backup_name_template',
        default='{volume_name}-{timestamp}',
        help='Template of a backup name. Fields: volume_name (the volume id '
             'when the volume has no name), volume_id, server_name, '
             'server_id, project_id, backup_type (full or incremental) and '
             'timestamp (UTC, like 20260101T120000Z). Names are cut to 255 '
             'characters.'),
    cfg.StrOpt(
        'automated_metadata_key',
        default='__automated_backup',
        help='Backup metadata key that marks a backup as made by Staffeln. '
             'Needs Cinder API microversion 3.43 or later.'),
    cfg.StrOpt(
        'task_metadata_key',
        default='__staffeln_task',
        help='Backup metadata key that carries the id of the Staffeln task '
             'that created the backup, so a restarted conductor adopts a '
             'backup it created instead of creating another.'),
    cfg.StrOpt(
        'last_backup_time_key',
        default='last-backup-time',
        help='Server metadata key set to the ISO 8601 UTC time of the last '
             'good backup of the server\'s volumes. Empty disables it.'),
    cfg.Opt(
        'backup_timeout',
        type=duration.Duration(min='1min'),
        default='12h',
        help='A backup still creating after this long is marked failed and '
             'deleted once Cinder allows it. ' + duration.FORMAT_HELP),
    cfg.Opt(
        'claim_timeout',
        type=duration.Duration(min='10s'),
        default='5min',
        help='How long a conductor may hold a task without renewing its '
             'claim. A task whose claim has expired is taken over by another '
             'conductor (or by this one after a restart). '
             + duration.FORMAT_HELP),
    cfg.Opt(
        'create_settle_time',
        type=duration.Duration(min='1s'),
        default='5min',
        help='How long after a create call whose outcome is unknown (no '
             'answer, a server error, or a conductor that died or froze '
             'while the call was in flight) Staffeln looks for the backup it '
             'may have made, by its task marker, before it asks Cinder for '
             'another one for the same task. Keep it above [openstack] '
             'timeout and the longest time Cinder\'s API takes to answer a '
             'create. ' + duration.FORMAT_HELP),
    cfg.Opt(
        'retry_interval',
        type=duration.Duration(min='1s'),
        default='1h',
        help='How long a backup that cannot start waits before it is tried '
             'again, when the project\'s backup quota is used up or no token '
             'can be had for the project. It is reported once, not at every '
             'try. ' + duration.FORMAT_HELP),
    cfg.Opt(
        'discovery_interval',
        type=duration.Duration(min='1s'),
        default='1h',
        help='Time between two discovery and scheduling runs. '
             + duration.FORMAT_HELP),
    cfg.Opt(
        'poll_interval',
        type=duration.Duration(min='1s'),
        default='1min',
        help='Time between two runs of the backup loop, which starts queued '
             'backups and polls those in progress. ' + duration.FORMAT_HELP),
    cfg.Opt(
        'run_once_poll_interval',
        type=duration.Duration(),
        default='10s',
        help='Time staffeln-manage run-once waits between two polls while it '
             'waits for backups to finish. ' + duration.FORMAT_HELP),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
