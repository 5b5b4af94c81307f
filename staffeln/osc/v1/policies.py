"""``openstack staffeln policy list|show|create|set|delete``."""

from osc_lib.command import command

from staffeln.osc.v1 import common

_COLUMNS = ('Name', 'Schedule', 'Retention', 'Public', 'Enabled')


def _add_fields(parser) -> None:
    parser.add_argument('--schedule', help='An interval (6h), a cron '
                        'expression or a shorthand (daily at 02:00).')
    parser.add_argument('--timezone')
    parser.add_argument('--window', help='HH:MM-HH:MM, local time.')
    parser.add_argument('--full-every', type=int,
                        help='Every Nth backup of a chain is full.')
    parser.add_argument('--full-interval',
                        help='A full backup at least this often.')
    parser.add_argument('--retention', help='Keep backups this long (2w).')
    parser.add_argument('--keep', help='Keep rules: daily=7,weekly=4.')
    parser.add_argument('--description')
    for flag in ('public', 'enabled', 'jitter'):
        group = parser.add_mutually_exclusive_group()
        group.add_argument(f'--{flag}', dest=flag, action='store_true',
                           default=None)
        group.add_argument(f'--no-{flag}', dest=flag, action='store_false')


def _fields(args) -> dict:
    names = ('schedule', 'timezone', 'window', 'full_every',
             'full_interval', 'retention', 'keep', 'description', 'public',
             'enabled', 'jitter')
    return {name: getattr(args, name) for name in names
            if getattr(args, name) is not None}


def _show(policy: dict):
    if 'projects' in policy:
        policy['projects'] = ', '.join(policy['projects'])
    return common.show(policy)


class ListPolicy(command.Lister):
    """List the protection policies you may use (admins: all of them)."""

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        policies = client.get('/v1/policies')['policies']
        return _COLUMNS, [common.row(p, ('name', 'schedule', 'retention_s',
                                         'public', 'enabled'))
                          for p in policies]


class ShowPolicy(command.ShowOne):
    """Show a protection policy."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        return _show(client.get(f'/v1/policies/{args.name}')['policy'])


class CreatePolicy(command.ShowOne):
    """Create a protection policy (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>')
        _add_fields(parser)
        parser.add_argument('--project', action='append', default=[],
                            dest='projects', metavar='<project-id>',
                            help='Grant it to this project (repeatable).')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        body = {'name': args.name, **_fields(args)}
        if args.projects:
            body['projects'] = args.projects
        return _show(client.post('/v1/policies', body)['policy'])


class SetPolicy(command.ShowOne):
    """Change a protection policy and its grants (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>')
        _add_fields(parser)
        parser.add_argument('--grant', action='append', default=[],
                            metavar='<project-id>')
        parser.add_argument('--revoke', action='append', default=[],
                            metavar='<project-id>')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        body = _fields(args)
        for key in ('grant', 'revoke'):
            if getattr(args, key):
                body[key] = getattr(args, key)
        return _show(client.patch(f'/v1/policies/{args.name}',
                                  body)['policy'])


class DeletePolicy(command.Command):
    """Retire a protection policy (admin); its backups age out under it."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>')
        return parser

    def take_action(self, args):
        self.app.client_manager.staffeln.delete(f'/v1/policies/{args.name}')
