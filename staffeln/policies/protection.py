"""Rules of the protection policies resource: ``/v1/policies``.

Every authenticated reader sees the policies offered to their project
(public ones and those granted to it); only admins see the others and
change any.
"""

from staffeln.policies import base

LIST = 'staffeln:policy:list'
LIST_ALL = 'staffeln:policy:list:all'
GET = 'staffeln:policy:get'
CREATE = 'staffeln:policy:create'
UPDATE = 'staffeln:policy:update'
DELETE = 'staffeln:policy:delete'

rules = [
    base.rule(LIST, base.ADMIN_OR_PROJECT_READER,
              "List the protection policies the caller's project may use.",
              'GET', '/v1/policies'),
    base.rule(LIST_ALL, base.ADMIN,
              'List every protection policy, with its grants.',
              'GET', '/v1/policies?all_projects=true'),
    base.rule(GET, base.ADMIN_OR_PROJECT_READER,
              "Show a protection policy the caller's project may use.",
              'GET', '/v1/policies/{name}'),
    base.rule(CREATE, base.ADMIN, 'Create a protection policy.',
              'POST', '/v1/policies'),
    base.rule(UPDATE, base.ADMIN,
              'Change a protection policy and its grants.',
              'PATCH', '/v1/policies/{name}'),
    base.rule(DELETE, base.ADMIN,
              'Retire a protection policy (its backups age out under it).',
              'DELETE', '/v1/policies/{name}'),
]


def list_rules():
    return rules
