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
        parser.add_argument('--name', help='The new volume\'s name.')
        parser.add_argument('--size', type=int, metavar='<gigabytes>',
                            help='The new volume\'s size (default: the '
                                 'backup\'s).')
        parser.add_argument('--availability-zone', metavar='<zone>',
                            help='The new volume\'s availability zone.')
        parser.add_argument('--volume', metavar='<volume-id>',
                            help='Overwrite this available volume instead.')
        return parser

    def take_action(self, args):
        body = {'backup_id': args.backup}
        for key, value in (('name', args.name), ('size', args.size),
                           ('availability_zone', args.availability_zone),
                           ('volume_id', args.volume)):
            if value is not None:
                body[key] = value
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
