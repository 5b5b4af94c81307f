"""Rules of the statistics: ``/v1/stats``."""

from staffeln.policies import base

GET = 'staffeln:stats:get'
GET_ALL_PROJECTS = 'staffeln:stats:get:all_projects'

rules = [
    base.rule(GET, base.ADMIN_OR_PROJECT_READER,
              "Show one project's statistics (the caller's own unless "
              "project_id is given).", 'GET', '/v1/stats'),
    base.rule(GET_ALL_PROJECTS, base.ADMIN,
              'Show the statistics of every project and overall.',
              'GET', '/v1/stats?all_projects=true'),
]


def list_rules():
    return rules
