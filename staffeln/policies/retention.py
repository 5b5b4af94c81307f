"""Rules of retention's preview and prune: ``/v1/retention/...``."""

from staffeln.policies import base

PREVIEW = 'staffeln:retention:preview'
PREVIEW_ALL_PROJECTS = 'staffeln:retention:preview:all_projects'
PRUNE = 'staffeln:retention:prune'

rules = [
    base.rule(PREVIEW, base.ADMIN_OR_PROJECT_READER,
              "Show what retention keeps and deletes of a project's (or a "
              "volume's) backups, and why.", 'GET', '/v1/retention/preview'),
    base.rule(PREVIEW_ALL_PROJECTS, base.ADMIN,
              "Show retention's plan for every project.", 'GET',
              '/v1/retention/preview?all_projects=true'),
    base.rule(PRUNE, base.ADMIN_OR_PROJECT_MEMBER,
              "Release now the backups of a project (or a volume) that "
              "retention deletes: never below the operator's floor, never "
              "the last good backup.", 'POST', '/v1/retention/prune'),
]


def list_rules():
    return rules
