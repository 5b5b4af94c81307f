"""Rules of the backups resource: ``/v1/backups``."""

from staffeln.policies import base

LIST = 'staffeln:backup:list'
LIST_ALL_PROJECTS = 'staffeln:backup:list:all_projects'
GET = 'staffeln:backup:get'
CREATE = 'staffeln:backup:create'

rules = [
    base.rule(LIST, base.ADMIN_OR_PROJECT_READER,
              "List the backups Staffeln made of one project (the caller's "
              "own unless project_id is given).", 'GET', '/v1/backups'),
    base.rule(LIST_ALL_PROJECTS, base.ADMIN,
              'List the backups of every project (all_projects=true).',
              'GET', '/v1/backups?all_projects=true'),
    base.rule(GET, base.ADMIN_OR_PROJECT_READER,
              'Show one backup: its chain, type, policy and status.',
              'GET', '/v1/backups/{backup_id}'),
    base.rule(CREATE, base.ADMIN_OR_PROJECT_MEMBER,
              'Back up a volume, or every volume of a server, now.',
              'POST', '/v1/backups'),
]


def list_rules():
    return rules
