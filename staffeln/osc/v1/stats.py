"""``openstack staffeln stats show``."""

from osc_lib.command import command

from staffeln.osc.v1 import common


class ShowStats(command.ShowOne):
    """Show the statistics of your project, or of every project."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_scope(parser)
        return parser

    def take_action(self, args):
        client = self.app.client_manager.staffeln
        stats = client.get('/v1/stats', **common.scope_params(args))['stats']
        return common.show(stats['total'] | {
            'projects': len(stats['projects'])})
