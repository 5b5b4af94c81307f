"""``openstack staffeln webhook show|set|unset``: your project's webhook."""

from osc_lib.command import command
from osc_lib import exceptions

from staffeln.osc.v1 import common


def _add_project(parser) -> None:
    parser.add_argument('--project', metavar='<project-id>',
                        help='The project (default: your own; admin only '
                             'for another one).')


def _path(client, args) -> str:
    project = args.project or client.session.get_project_id()
    return f'/v1/projects/{project}/webhook'


class ShowWebhook(command.ShowOne):
    """Show your project's webhook (never its secret)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_project(parser)
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        return common.show(client.get(_path(client, args))['webhook'])


class SetWebhook(command.ShowOne):
    """Set your project's webhook, or change what is given."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_project(parser)
        parser.add_argument('--url', help='The http or https URL the '
                            "project's events are POSTed to.")
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument('--secret', help='Key of the HMAC-SHA256 '
                            'signature header (X-Staffeln-Signature).')
        secret.add_argument('--no-secret', action='store_true',
                            help='Send the bodies unsigned.')
        parser.add_argument('--events', choices=('failures', 'all'),
                            help='failures: only cycles with a failure or '
                                 'a volume out of policy; all: every '
                                 'cycle.')
        parser.add_argument('--body-format', choices=('json', 'slack'),
                            help='json, or slack for a Slack-compatible '
                                 'body.')
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        body = {name: getattr(args, name)
                for name in ('url', 'secret', 'events', 'body_format')
                if getattr(args, name) is not None}
        if args.no_secret:
            body['secret'] = None
        if not body:
            raise exceptions.CommandError(
                'nothing to set: give --url, --secret, --no-secret, '
                '--events or --body-format')
        return common.show(client.patch(_path(client, args),
                                        body)['webhook'])


class UnsetWebhook(command.Command):
    """Remove your project's webhook."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_project(parser)
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        client.patch(_path(client, args), {'url': None})
