"""Personas that the rules of each resource are written in."""

from oslo_policy import policy

ADMIN = 'rule:admin'
PROJECT_READER = 'rule:project_reader'
ADMIN_OR_PROJECT_READER = f'{ADMIN} or {PROJECT_READER}'

rules = [
    policy.RuleDefault(
        name='admin',
        check_str='role:admin',
        description='A cloud administrator: sees every project.'),
    policy.RuleDefault(
        name='project_reader',
        check_str='role:reader and project_id:%(project_id)s',
        description='Anybody with the reader role (which the member role '
                    'implies) on the project that owns the resource.'),
]


def list_rules():
    return rules
