"""``openstack staffeln restore create|show|list``."""

from osc_lib.command import command

from staffeln.osc.v1 import common

_FIELDS = ('uuid', 'backup_id', 'volume_id', 'volume_name', 'status',
           'created_at')


class CreateRestore(command.ShowOne):
    """Restore a backup to a new volume, or onto an available volume."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('backup', metavar='<backup-id>')
        target = parser.add_mutually_exclusive_group()
        target.add_argument('--name', help='The new volume\'s name.')
        target.add_argument('--volume', metavar='<volume-id>',
                            help='Overwrite this available volume.')
        return parser

    def take_action(self, args):
        body = {'backup_id': args.backup}
        if args.name:
            body['name'] = args.name
        if args.volume:
            body['volume_id'] = args.volume
        client = self.app.client_manager.staffeln
        return common.show(client.post('/v1/restores', body)['restore'])


class ShowRestore(command.ShowOne):
    """Show a restore and its state."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('restore', metavar='<restore-uuid>')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        return common.show(client.get(f'/v1/restores/{args.restore}')
                           ['restore'])


class ListRestore(command.Lister):
    """List restores, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_scope(parser)
        parser.add_argument('--limit', type=int, metavar='<n>')
        parser.add_argument('--marker', metavar='<restore-uuid>')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        restores = client.get('/v1/restores', limit=args.limit,
                              marker=args.marker,
                              **common.scope_params(args))['restores']
        return (('UUID', 'Backup', 'Volume', 'Volume Name', 'Status',
                 'Created At'), [common.row(r, _FIELDS) for r in restores])
