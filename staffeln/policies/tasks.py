"""Rules of the backup tasks resource: ``/v1/tasks``."""

from oslo_policy import policy

from staffeln.policies import base

LIST = 'staffeln:task:list'
LIST_ALL_PROJECTS = 'staffeln:task:list:all_projects'
GET = 'staffeln:task:get'

rules = [
    policy.DocumentedRuleDefault(
        name=LIST,
        check_str=base.ADMIN_OR_PROJECT_READER,
        description='List the backup tasks of one project (the caller\'s '
                    'own unless project_id is given).',
        operations=[{'method': 'GET', 'path': '/v1/tasks'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=LIST_ALL_PROJECTS,
        check_str=base.ADMIN,
        description='List the backup tasks of every project '
                    '(all_projects=true).',
        operations=[{'method': 'GET', 'path': '/v1/tasks?all_projects=true'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=GET,
        check_str=base.ADMIN_OR_PROJECT_READER,
        description='Show one backup task.',
        operations=[{'method': 'GET', 'path': '/v1/tasks/{task_uuid}'}],
        scope_types=['project']),
]


def list_rules():
    return rules
