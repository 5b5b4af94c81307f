"""Database access for protection policies, their grants, project settings
and the policies of each volume.

Same rules as :mod:`staffeln.db.api`: callers pass a context and the time;
a policy and its grants change in one transaction, so nothing is half
saved.
"""

import datetime

from oslo_db import exception as db_exc
import sqlalchemy as sa

from staffeln.common import exception
from staffeln.db.api import context_manager
from staffeln.db.api import fail_closed
from staffeln.db.api import retry_on_deadlock
from staffeln.db.api import retry_on_race
from staffeln.db.api import take_lock
from staffeln.db import models

Policy = models.ProtectionPolicy
Grant = models.PolicyGrant
Settings = models.ProjectSettings
ServerSettings = models.ServerSettings
VolumePolicy = models.VolumePolicy

#: The policy the migration creates; it follows the configuration.
DEFAULT = 'default'


class PolicyExists(exception.Conflict):
    """A policy of that name exists already."""


class PolicyNotFound(exception.NoSuchObject):
    """No (live) policy has that name."""


class PolicyInUse(exception.Conflict):
    """The policy cannot go: something still needs it."""


# ---------------------------------------------------------------- reads

@fail_closed
@context_manager.reader
def list_policies(context, include_deleted: bool = False) -> list:
    query = sa.select(Policy).order_by(Policy.name)
    if not include_deleted:
        query = query.where(Policy.deleted_at.is_(None))
    return list(context.session.scalars(query))


@fail_closed
@context_manager.reader
def get_policy(context, name: str, include_deleted: bool = False):
    query = sa.select(Policy).where(Policy.name == name)
    if not include_deleted:
        query = query.where(Policy.deleted_at.is_(None))
    policy = context.session.scalar(query)
    if policy is None:
        raise PolicyNotFound(f'no protection policy is named {name!r}')
    return policy


@fail_closed
@context_manager.reader
def all_grants(context) -> dict[int, set[str]]:
    """``{policy_id: {project_id, ...}}``."""
    grants: dict[int, set[str]] = {}
    for policy_id, project_id in context.session.execute(
            sa.select(Grant.policy_id, Grant.project_id)):
        grants.setdefault(policy_id, set()).add(project_id)
    return grants


@fail_closed
@context_manager.reader
def project_defaults(context) -> dict[str, int]:
    """``{project_id: default_policy_id}`` of the projects that chose."""
    return {project_id: policy_id for project_id, policy_id in
            context.session.execute(
                sa.select(Settings.project_id, Settings.default_policy_id)
                .where(Settings.default_policy_id.is_not(None)))}


@fail_closed
@context_manager.reader
def paused_projects(context) -> set[str]:
    return set(context.session.scalars(
        sa.select(Settings.project_id).where(Settings.paused.is_(True))))


@fail_closed
@context_manager.reader
def get_settings(context, project_id: str):
    return context.session.get(Settings, project_id)


@fail_closed
@context_manager.reader
def list_settings(context) -> list:
    """The settings of every project that chose any, by project id."""
    return list(context.session.scalars(
        sa.select(Settings).order_by(Settings.project_id)))


@fail_closed
@context_manager.reader
def paused_servers(context) -> set[str]:
    return set(context.session.scalars(
        sa.select(ServerSettings.server_id)
        .where(ServerSettings.paused.is_(True))))


@fail_closed
@context_manager.reader
def get_server_settings(context, server_id: str):
    return context.session.get(ServerSettings, server_id)


# ---------------------------------------------------------------- writes

def _set_grants(session, policy_id: int, grant=(), revoke=()) -> None:
    for project_id in revoke:
        session.execute(sa.delete(Grant).where(Grant.policy_id == policy_id)
                        .where(Grant.project_id == project_id))
    existing = set(session.scalars(sa.select(Grant.project_id)
                                   .where(Grant.policy_id == policy_id)))
    for project_id in sorted(set(grant) - existing):
        session.add(Grant(policy_id=policy_id, project_id=project_id))


@retry_on_deadlock
@context_manager.writer
def create_policy(context, values: dict, grants, now: datetime.datetime):
    """A new policy and its grants, in one transaction."""
    policy = Policy(created_at=now, **values)
    context.session.add(policy)
    try:
        context.session.flush()
    except db_exc.DBDuplicateEntry:
        raise PolicyExists(
            f'a protection policy named {values["name"]!r} exists '
            f'already') from None
    _set_grants(context.session, policy.id, grants)
    context.session.flush()
    return policy


@retry_on_deadlock
@context_manager.writer
def update_policy(context, name: str, values: dict, now: datetime.datetime,
                  grant=(), revoke=()):
    """Change fields and grants of a live policy, in one transaction."""
    policy = context.session.scalar(
        sa.select(Policy).where(Policy.name == name)
        .where(Policy.deleted_at.is_(None)).with_for_update())
    if policy is None:
        raise PolicyNotFound(f'no protection policy is named {name!r}')
    for key, value in values.items():
        setattr(policy, key, value)
    policy.updated_at = now
    _set_grants(context.session, policy.id, grant, revoke)
    context.session.flush()
    return policy


@retry_on_deadlock
@context_manager.writer
def delete_policy(context, name: str, now: datetime.datetime) -> None:
    """Retire a policy: no new backups; its backups age out under it.

    :raises PolicyInUse: it is ``default``, or a project's default.
    """
    if name == DEFAULT:
        raise PolicyInUse('the default policy cannot be deleted; change it '
                          'instead')
    policy = context.session.scalar(
        sa.select(Policy).where(Policy.name == name)
        .where(Policy.deleted_at.is_(None)))
    if policy is None:
        raise PolicyNotFound(f'no protection policy is named {name!r}')
    users = list(context.session.scalars(
        sa.select(Settings.project_id)
        .where(Settings.default_policy_id == policy.id)))
    if users:
        raise PolicyInUse(f'policy {name!r} is the default of projects '
                          f'{", ".join(sorted(users))}; give them another '
                          f'default first')
    policy.deleted_at = now
    policy.enabled = False
    policy.updated_at = now
    context.session.execute(sa.delete(Grant)
                            .where(Grant.policy_id == policy.id))


@retry_on_deadlock
@context_manager.writer
def set_project_settings(context, project_id: str, now: datetime.datetime,
                         **values) -> None:
    """Create or change a project's settings."""
    settings = context.session.get(Settings, project_id)
    if settings is None:
        settings = Settings(project_id=project_id, paused=False,
                            created_at=now)
        context.session.add(settings)
    else:
        settings.updated_at = now
    for key, value in values.items():
        setattr(settings, key, value)


@retry_on_race
@retry_on_deadlock
@context_manager.writer
def set_server_settings(context, server_id: str, project_id: str,
                        now: datetime.datetime, **values) -> None:
    """Create or change a server's settings."""
    settings = context.session.get(ServerSettings, server_id)
    if settings is None:
        settings = ServerSettings(server_id=server_id, project_id=project_id,
                                  paused=False, created_at=now)
        context.session.add(settings)
    else:
        settings.updated_at = now
    for key, value in values.items():
        setattr(settings, key, value)


@retry_on_deadlock
@context_manager.writer
def save_volume_policies(context, plans: dict[str, list]) -> None:
    """Each volume's policies and next due times, replacing the old ones.

    ``plans`` maps a volume id to ``[(policy_id, next_due_at, reason)]``.
    Two leaders at once (a lock expired under one) write one after the
    other.
    """
    take_lock(context, 'plans')
    ids = list(plans)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        context.session.execute(sa.delete(VolumePolicy)
                                .where(VolumePolicy.volume_id.in_(chunk)))
    context.session.add_all(
        VolumePolicy(volume_id=volume_id, policy_id=policy_id,
                     next_due_at=due, reason=(reason or '')[:2000])
        for volume_id, rows in plans.items()
        for policy_id, due, reason in rows)


@fail_closed
@context_manager.reader
def volume_policy_ids(context, volume_ids: list[str] | None = None
                      ) -> dict[str, list[int]]:
    """The ids of the policies that protect each volume."""
    query = sa.select(VolumePolicy.volume_id, VolumePolicy.policy_id)
    found: dict[str, list[int]] = {}
    if volume_ids is None:
        rows = context.session.execute(query)
    else:
        rows = []
        for start in range(0, len(volume_ids), 500):
            rows.extend(context.session.execute(query.where(
                VolumePolicy.volume_id.in_(volume_ids[start:start + 500]))))
    for volume_id, policy_id in rows:
        found.setdefault(volume_id, []).append(policy_id)
    return found
