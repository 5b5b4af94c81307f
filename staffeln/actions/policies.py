"""Creating, changing and retiring protection policies, and the projects'
choices of them.

Every field is checked before anything is written, against the same rules
the conductor applies (:func:`staffeln.rules.protection.build`, with the
operator's bounds), and a policy is written with its grants in one
transaction: nothing is half saved.
"""

import dataclasses

from staffeln.common import duration
from staffeln.common import exception
from staffeln.db import api_policies
from staffeln.rules import protection
from staffeln.rules import retention

#: The fields a caller may give, as text (or the type shown).
FIELDS = ('schedule', 'timezone', 'window', 'jitter', 'full_every',
          'full_interval', 'retention', 'keep', 'description', 'enabled',
          'public')


@dataclasses.dataclass
class _Row:
    """A policy as stored, for checking it before it is."""

    id: int | None = None
    name: str = ''
    description: str | None = None
    enabled: bool = True
    public: bool = False
    schedule: str | None = None
    timezone: str = 'UTC'
    window: str | None = None
    jitter: bool = True
    full_every: int | None = None
    full_interval_s: int | None = None
    retention_s: int | None = None
    keep: dict | None = None


def _seconds(field: str, text) -> int | None:
    if text in (None, ''):
        return None
    try:
        return int(duration.parse(str(text)).total_seconds())
    except duration.InvalidDuration as exc:
        raise exception.InvalidInput(f'{field}: {exc}') from None


def _columns(fields: dict) -> dict:
    """The stored columns of the given fields, each parsed."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise exception.InvalidInput(
            f'{sorted(unknown)[0]}: not a field of a policy (fields: '
            f'{", ".join(FIELDS)})')
    values = {}
    for key in ('schedule', 'timezone', 'window', 'description'):
        if key in fields:
            value = fields[key]
            values[key] = str(value).strip() if value not in (None, '') \
                else None
    for key in ('jitter', 'enabled', 'public'):
        if key in fields:
            values[key] = bool(fields[key])
    if 'full_every' in fields:
        values['full_every'] = _whole('full_every', fields['full_every'])
    if 'full_interval' in fields:
        values['full_interval_s'] = _seconds('full_interval',
                                             fields['full_interval'])
    if 'retention' in fields:
        values['retention_s'] = _seconds('retention', fields['retention'])
    if 'keep' in fields:
        values['keep'] = _keep(fields['keep'])
    if values.get('timezone') is None and 'timezone' in values:
        values['timezone'] = 'UTC'
    return values


def _whole(field: str, value) -> int | None:
    if value in (None, ''):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or number > 1000:
        raise exception.InvalidInput(
            f'{field}: {value!r} is not a whole number from 1 to 1000')
    return number


def _keep(value) -> dict | None:
    if value in (None, ''):
        return None
    if isinstance(value, dict):
        value = ','.join(f'{k}={v}' for k, v in value.items())
    try:
        keep = retention.parse_keep(str(value))
    except retention.InvalidKeep as exc:
        raise exception.InvalidInput(f'keep: {exc}') from None
    return {rule: count for rule, count in keep.counts().items() if count}


def _check(row: _Row, defaults: protection.Defaults) -> None:
    try:
        protection.check_name(row.name)
        protection.build(row, defaults)
    except protection.InvalidPolicy as exc:
        raise exception.InvalidInput(str(exc)) from None


def _projects(field: str, projects) -> list[str]:
    found = []
    for project in projects or ():
        project = str(project).strip()
        if not 0 < len(project) <= 64:
            raise exception.InvalidInput(f'{field}: {project!r} is not a '
                                         f'project id')
        found.append(project)
    return found


def create(context, conf, now, name: str, fields: dict, grants=()):
    """A new policy; ``fields`` as :data:`FIELDS` names them.

    :raises InvalidInput: a field cannot be taken.
    :raises Conflict: a policy has that name already.
    """
    values = _columns(fields)
    if not values.get('schedule'):
        raise exception.InvalidInput('schedule: a policy needs a schedule '
                                     '(6h, 0 2 * * *, daily at 02:00)')
    row = _Row(name=name, **values)
    _check(row, protection.Defaults.from_conf(conf))
    values = dataclasses.asdict(row)
    values.pop('id')
    return api_policies.create_policy(context, values,
                                      _projects('project', grants), now)


def update(context, conf, now, name: str, fields: dict, grant=(),
           revoke=()):
    """Change a policy's fields and grants, checked as a whole."""
    current = api_policies.get_policy(context, name)
    values = _columns(fields)
    row = _Row(**{field.name: getattr(current, field.name)
                  for field in dataclasses.fields(_Row)})
    for key, value in values.items():
        setattr(row, key, value)
    _check(row, protection.Defaults.from_conf(conf))
    return api_policies.update_policy(
        context, name, values, now, _projects('grant', grant),
        _projects('revoke', revoke))


def delete(context, name: str, now) -> None:
    """Retire a policy (see :func:`api_policies.delete_policy`)."""
    api_policies.delete_policy(context, name, now)


def set_project_default(context, conf, now, project_id: str,
                        policy_name: str | None) -> None:
    """The project's default policy (None: back to the global one)."""
    policy_id = None
    if policy_name:
        policy = api_policies.get_policy(context, policy_name)
        grants = api_policies.all_grants(context).get(policy.id, set())
        if not (policy.public or project_id in grants):
            raise exception.InvalidInput(
                f'default_policy: policy {policy_name!r} is not available '
                f'to project {project_id}; grant it first')
        policy_id = policy.id
    api_policies.set_project_settings(context, project_id, now,
                                      default_policy_id=policy_id)
