"""Backups asked for now, outside the schedule.

An on-demand backup is a task like any other (``on_demand`` set): it
waits for a free slot under the caps and for the project's quota, starts
even when its policy's window is closed, joins its policy's chain, and is
kept by that policy's retention. A volume that already has a backup of the
same policy queued or being made gets no second one.
"""

from staffeln.actions import catalog as policy_catalog
from staffeln.common import exception
from staffeln.common import text
from staffeln.db import api as db_api
from staffeln.db import api_policies
from staffeln.db import states
from staffeln.rules import schedule


def _volumes(context, volume_id, server_id, project_id) -> list:
    if bool(volume_id) == bool(server_id):
        raise exception.InvalidInput('give a volume or a server, not both '
                                     'nor neither')
    if volume_id:
        volume = db_api.get_volume(context, volume_id)
        found = [volume] if volume is not None else []
    else:
        found = db_api.volumes_of_server(context, server_id)
    found = [v for v in found if v.gone_at is None and
             (project_id is None or v.project_id == project_id)]
    if not found:
        what = f'volume {volume_id}' if volume_id else f'server {server_id}'
        raise exception.NoSuchObject(
            f'Staffeln protects no {what}: it backs up the volumes of '
            f'opted-in servers once discovery has seen them')
    return found


def _policy(context, catalog, volume, name: str | None):
    if name:
        policy = catalog.by_name.get(name)
        if policy is None or not policy.usable_by(volume.project_id):
            raise exception.InvalidInput(
                f'policy: {name!r} is not a policy the project of volume '
                f'{volume.id} may use')
        return policy
    chosen = api_policies.volume_policy_ids(context, [volume.id])
    for policy_id in chosen.get(volume.id, ()):
        if policy_id in catalog.by_id:
            return catalog.by_id[policy_id]
    policy = catalog.default_for(volume.project_id)
    if policy is None:
        raise exception.InvalidInput(
            f'policy: volume {volume.id} has no policy; name one')
    return policy


def queue(context, conf, now, *, volume_id: str | None = None,
          server_id: str | None = None, policy_name: str | None = None,
          full: bool = False, project_id: str | None = None) -> list:
    """Queue an on-demand backup of a volume or of a server's volumes.

    Returns the tasks.

    ``project_id`` limits it to that project's volumes (a tenant's call).

    :raises InvalidInput, NoSuchObject, Conflict: nothing is queued.
    """
    catalog = policy_catalog.load(context, conf)
    volumes = _volumes(context, volume_id, server_id, project_id)
    histories = db_api.volume_histories(context, [v.id for v in volumes])
    values = []
    for volume in volumes:
        policy = _policy(context, catalog, volume, policy_name)
        mine = [t for t in histories.get(volume.id, [])
                if schedule.belongs(t, policy)]
        busy = [t for t in mine if t.status != states.AVAILABLE]
        if busy:
            raise exception.Conflict(
                f'volume {volume.id} has a backup of policy {policy.name} '
                f'{busy[0].status} already (task {busy[0].uuid})')
        values.append(_values(volume, policy, mine, full, now,
                              schedule.newest_good(
                                  histories.get(volume.id, []))))
    return db_api.create_tasks(context, values)


def _values(volume, policy, history: list, full: bool, now,
            newest) -> dict:
    backup_type, parent_id = schedule.FULL, None
    good = sorted((t for t in history if t.status == states.AVAILABLE),
                  key=lambda t: (t.started_at, t.id))
    if good and not full:
        decision = schedule.Decision(volume.id, True, policy_id=policy.id)
        decision = schedule.next_kind(decision, policy, good[-1],
                                      {t.id: t for t in good}, now, newest)
        backup_type, parent_id = decision.backup_type, decision.parent_id
    return {
        'project_id': volume.project_id, 'volume_id': volume.id,
        'volume_name': text.clip(volume.name), 'server_id': volume.server_id,
        'server_name': text.clip(volume.server_name),
        'backup_type': backup_type, 'parent_id': parent_id,
        'policy_id': policy.id, 'size_gb': volume.size_gb,
        'status': states.QUEUED, 'on_demand': True, 'created_at': now,
    }
