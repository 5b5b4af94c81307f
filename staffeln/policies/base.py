"""Personas that the rules of each resource are written in."""

from oslo_policy import policy

ADMIN = 'rule:admin'
PROJECT_READER = 'rule:project_reader'
PROJECT_MEMBER = 'rule:project_member'
ADMIN_OR_PROJECT_READER = f'{ADMIN} or {PROJECT_READER}'
ADMIN_OR_PROJECT_MEMBER = f'{ADMIN} or {PROJECT_MEMBER}'

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
    policy.RuleDefault(
        name='project_member',
        check_str='role:member and project_id:%(project_id)s',
        description='Anybody with the member role on the project that owns '
                    'the resource: may act on it.'),
]


def rule(name: str, check_str: str, description: str, method: str,
         path: str) -> policy.DocumentedRuleDefault:
    """One API operation's rule, in the project scope."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, description=description,
        operations=[{'method': method, 'path': path}],
        scope_types=['project'])


def list_rules():
    return rules
