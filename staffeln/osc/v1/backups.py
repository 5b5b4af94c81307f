"""``openstack staffeln backup list|show|create``, ``export``, ``import``,
``prune``."""

from osc_lib.command import command
from osc_lib import exceptions

from staffeln.osc.v1 import common

_COLUMNS = ('ID', 'Volume', 'Type', 'Depth', 'Status', 'Size',
            'On Demand', 'Policy', 'Created At')


def _row(backup: dict) -> tuple:
    return (backup['id'], backup.get('volume_name') or backup['volume_id'],
            backup['type'], backup['depth'], backup['status'],
            backup.get('size_gb'), backup['on_demand'], backup.get('policy'),
            backup.get('created_at'))


class ListBackup(command.Lister):
    """List the backups Staffeln made."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_scope(parser)
        common.add_paging(parser, ('created_at', 'started_at',
                                   'finished_at', 'size_gb', 'volume_name'))
        parser.add_argument('--volume', metavar='<volume-id>')
        parser.add_argument('--server', metavar='<server-id>')
        parser.add_argument('--type', choices=('full', 'incremental'))
        parser.add_argument('--status', metavar='<status>',
                            help='A status, or several separated by '
                                 'commas.')
        parser.add_argument('--since', metavar='<time>',
                            help='Made at or after this ISO 8601 time.')
        parser.add_argument('--until', metavar='<time>',
                            help='Made before this ISO 8601 time.')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        backups = client.get(
            '/v1/backups', volume_id=args.volume, server_id=args.server,
            type=args.type, status=args.status, since=args.since,
            until=args.until, **common.scope_params(args),
            **common.paging_params(args))['backups']
        return _COLUMNS, [_row(b) for b in backups]


class ShowBackup(command.ShowOne):
    """Show a backup: its chain, type, policy and status."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('backup', metavar='<backup-id>')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        return common.show(client.get(f'/v1/backups/{args.backup}')
                           ['backup'])


class CreateBackup(command.Lister):
    """Back up a volume, or every volume of a server, now."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--now', action='store_true', required=True,
                            help='Now, outside the schedule (required).')
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument('--volume', metavar='<volume-id>')
        target.add_argument('--server', metavar='<server-id>')
        parser.add_argument('--full', action='store_true',
                            help='A full backup, whatever the chain.')
        parser.add_argument('--policy', metavar='<name>',
                            help='The policy it counts toward (default: '
                                 "the volume's).")
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        body = {'full': args.full}
        if args.volume:
            body['volume_id'] = args.volume
        else:
            body['server_id'] = args.server
        if args.policy:
            body['policy'] = args.policy
        tasks = client.post('/v1/backups', body)['tasks']
        columns = ('uuid', 'volume_id', 'type', 'status')
        return (('Task', 'Volume', 'Type', 'Status'),
                [common.row(t, columns) for t in tasks])


class ExportBackup(command.ShowOne):
    """Export a Staffeln backup's record (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('backup', metavar='<backup-id>')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        record = client.get(f'/v1/backups/{args.backup}/export_record')
        return common.show(record['backup_record'])


class ImportBackup(command.ShowOne):
    """Import a backup record (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('backup_service', metavar='<backup-service>')
        parser.add_argument('backup_url', metavar='<backup-url>')
        return parser

    def take_action(self, args):
        if not args.backup_url:
            raise exceptions.CommandError('a backup URL is required')
        client = self.app.client_manager.staffeln
        backup = client.post('/v1/backups/import_record', {
            'backup_service': args.backup_service,
            'backup_url': args.backup_url})['backup']
        return common.show(backup)


class PruneBackup(command.Lister):
    """Release now the backups that retention deletes.

    Of a volume or a project; --dry-run only shows the plan.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument('--volume', metavar='<volume-id>')
        target.add_argument('--project', metavar='<project-id>')
        parser.add_argument('--dry-run', action='store_true',
                            help='Show what retention keeps and deletes, '
                                 'and why; change nothing.')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        scope = ({'volume_id': args.volume} if args.volume
                 else {'project_id': args.project})
        if args.dry_run:
            rows = client.get('/v1/retention/preview', **scope)['backups']
        else:
            rows = client.post('/v1/retention/prune', scope)['released']
        fields = ('id', 'volume_id', 'type', 'created_at', 'action',
                  'reason')
        return (('Backup', 'Volume', 'Type', 'Created At', 'Action',
                 'Reason'), [common.row(r, fields) for r in rows])
