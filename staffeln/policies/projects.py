"""Rules of a project's and a server's settings:
``/v1/projects/{project_id}/settings``, ``/v1/servers/{server_id}/settings``.
"""

from staffeln.policies import base

LIST = 'staffeln:project:settings:list'
GET = 'staffeln:project:settings:get'
UPDATE = 'staffeln:project:settings:update'
SERVER_GET = 'staffeln:server:settings:get'
SERVER_UPDATE = 'staffeln:server:settings:update'

rules = [
    base.rule(LIST, base.ADMIN,
              "List the settings of every project that chose any: default "
              "policy, the digest's extra recipients, pause.",
              'GET', '/v1/projects/settings'),
    base.rule(GET, base.ADMIN_OR_PROJECT_READER,
              "Show a project's settings: its default policy, the digest's "
              "extra recipients, whether protection is paused.",
              'GET', '/v1/projects/{project_id}/settings'),
    base.rule(UPDATE, base.ADMIN_OR_PROJECT_MEMBER,
              "Change a project's settings: pause or resume its protection, "
              "choose its default policy and its digest's recipients.",
              'PATCH', '/v1/projects/{project_id}/settings'),
    base.rule(SERVER_GET, base.ADMIN_OR_PROJECT_READER,
              "Show a server's settings: whether its protection is paused.",
              'GET', '/v1/servers/{server_id}/settings'),
    base.rule(SERVER_UPDATE, base.ADMIN_OR_PROJECT_MEMBER,
              "Pause or resume the protection of a server's volumes.",
              'PATCH', '/v1/servers/{server_id}/settings'),
]


def list_rules():
    return rules
