"""``openstack staffeln volume list|show``."""

from osc_lib.command import command

from staffeln.osc.v1 import common

_COLUMNS = ('ID', 'Name', 'Project', 'Server', 'State', 'RPO',
            'Last Backup', 'Next Due')


def _row(volume: dict) -> tuple:
    last = volume.get('last_backup') or {}
    return (volume['id'], volume.get('name'), volume['project_id'],
            volume.get('server_name') or volume.get('server_id'),
            volume['state'], (volume.get('rpo') or {}).get('state'),
            last.get('created_at'), volume.get('next_due_at'))


class ListVolume(command.Lister):
    """List the volumes Staffeln protects, and how well."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_scope(parser)
        common.add_paging(parser, ('id', 'name', 'project_id', 'size_gb',
                                   'created_at'))
        parser.add_argument('--server', metavar='<server-id>',
                            help='Only the volumes of this server.')
        parser.add_argument('--state', choices=(
            'protected', 'skipped', 'over_quota', 'failing', 'gone'),
            help='Only volumes in this protection state.')
        parser.add_argument('--policy', metavar='<policy-name>',
                            help='Only the volumes this policy protects.')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        volumes = client.get('/v1/volumes', server_id=args.server,
                             state=args.state, policy=args.policy,
                             **common.scope_params(args),
                             **common.paging_params(args))['volumes']
        return _COLUMNS, [_row(v) for v in volumes]


class ShowVolume(command.ShowOne):
    """Show a volume: its protection, policies, last backup and RPO."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('volume', metavar='<volume-id>')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        volume = client.get(f'/v1/volumes/{args.volume}')['volume']
        volume['policies'] = ', '.join(p['name']
                                       for p in volume['policies'])
        return common.show(volume)
