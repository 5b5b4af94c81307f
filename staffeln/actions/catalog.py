"""The protection policies, loaded for a pass of the conductor or a request.

:class:`Catalog` holds every live policy (its empty fields resolved from
the configuration), who may use which, and each project's default, and
chooses a server's policies from its metadata.
"""

from oslo_log import log as logging

from staffeln.db import api_policies
from staffeln.rules import protection

LOG = logging.getLogger(__name__)


class Catalog:
    """Every live policy, and each project's default."""

    def __init__(self, policies: list, project_defaults: dict[str, int],
                 global_default: str, paused: set[str] = frozenset(),
                 paused_servers: set[str] = frozenset()):
        self.by_id = {p.id: p for p in policies}
        self.by_name = {p.name: p for p in policies}
        self.project_defaults = project_defaults
        self.global_default = self.by_name.get(global_default)
        self.paused = set(paused)
        self.paused_servers = set(paused_servers)

    def paused_reason(self, project_id: str,
                      server_id: str | None) -> str | None:
        """Why a volume's backups wait: its project or server is paused."""
        if project_id in self.paused:
            return 'protection is paused for this project'
        if server_id is not None and server_id in self.paused_servers:
            return 'protection is paused for this server'
        return None

    def default_for(self, project_id: str) -> protection.Policy | None:
        """The project's default policy, else the global one."""
        chosen = self.by_id.get(self.project_defaults.get(project_id))
        if chosen is not None and chosen.usable_by(project_id):
            return chosen
        return self.global_default

    def choose(self, metadata: dict, key: str,
               project_id: str) -> protection.Choice:
        """The policies of a server's volumes, from its metadata."""
        names = protection.parse_names(metadata.get(key))
        return protection.choose(names, project_id, self.by_name,
                                 self.default_for(project_id))


def load(context, conf, include_deleted: bool = False) -> Catalog:
    """The catalog, from the database and the configuration.

    A policy whose stored fields no longer hold (the operator's bounds
    changed under it) is logged and left out: its servers fall back to
    their default.
    """
    defaults = protection.Defaults.from_conf(conf)
    grants = api_policies.all_grants(context)
    policies = []
    for row in api_policies.list_policies(context, include_deleted):
        try:
            policies.append(protection.build(row, defaults,
                                             grants.get(row.id, ())))
        except protection.InvalidPolicy as exc:
            LOG.error('Protection policy %s cannot be used: %s', row.name,
                      exc)
    return Catalog(policies, api_policies.project_defaults(context),
                   conf.conductor.default_policy,
                   api_policies.paused_projects(context),
                   api_policies.paused_servers(context))
