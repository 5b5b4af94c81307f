"""Rules of a project's webhook: ``/v1/projects/{project_id}/webhook``.

Members of a project choose where its events are POSTed, which makes
the conductor send requests to URLs they name; a deployment that wants
only operators to do so gives ``staffeln:project:webhook:update`` the
``rule:admin`` check string.
"""

from staffeln.policies import base

GET = 'staffeln:project:webhook:get'
UPDATE = 'staffeln:project:webhook:update'

rules = [
    base.rule(GET, base.ADMIN_OR_PROJECT_READER,
              "Show a project's webhook: its URL, events and body format, "
              "whether it is signed (never the secret) and how its "
              "deliveries went.",
              'GET', '/v1/projects/{project_id}/webhook'),
    base.rule(UPDATE, base.ADMIN_OR_PROJECT_MEMBER,
              "Set, change or remove a project's webhook. The conductor "
              "then POSTs the project's events to the URL given.",
              'PATCH', '/v1/projects/{project_id}/webhook'),
]


def list_rules():
    return rules
