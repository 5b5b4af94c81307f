"""Rules of the volumes resource: ``/v1/volumes``."""

from staffeln.policies import base

LIST = 'staffeln:volume:list'
LIST_ALL_PROJECTS = 'staffeln:volume:list:all_projects'
GET = 'staffeln:volume:get'

rules = [
    base.rule(LIST, base.ADMIN_OR_PROJECT_READER,
              "List the volumes Staffeln knows of one project (the "
              "caller's own unless project_id is given).",
              'GET', '/v1/volumes'),
    base.rule(LIST_ALL_PROJECTS, base.ADMIN,
              'List the volumes of every project (all_projects=true).',
              'GET', '/v1/volumes?all_projects=true'),
    base.rule(GET, base.ADMIN_OR_PROJECT_READER,
              'Show one volume: its protection, policies, last good backup '
              'and RPO.', 'GET', '/v1/volumes/{volume_id}'),
]


def list_rules():
    return rules
