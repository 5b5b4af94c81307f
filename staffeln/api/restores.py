"""``/v1/restores``: restore a Staffeln backup, and follow the restore.

A restore writes the backup onto a new volume of the backup's project
(Cinder's create-volume-from-backup, microversion 3.47: ``name``, ``size``
and ``availability_zone`` optional, the backup's size by default) or onto
an available volume of that project (``volume_id``, Cinder's backup
restore), in the project's scope. The restore is recorded before Cinder
is asked (``requested``), then ``restoring`` with the volume being
written; reading it asks Cinder how that volume is and records
``available`` or ``error``.

A new volume carries its restore's uuid in its metadata (``MARK``) and a
name (``staffeln-restore-<uuid>`` unless one is given). When Cinder's
answer to its creation is lost (no answer, or a server error after the
request may have reached it), the restore stays ``requested`` and reading
it looks for that volume by name and mark: found, the restore goes on;
not found within ``[conductor] create_settle_time``, it ends ``error``.
The caller never sees an error for a volume Cinder made. The rules are in
:mod:`staffeln.policies.restores`.
"""

import uuid

import flask
from oslo_log import log as logging

from staffeln.api import backups
from staffeln.api import errors
from staffeln.api import queries
from staffeln.api import resource
from staffeln.api import schemas
from staffeln.common import exception
from staffeln.db import api_restores
from staffeln.db import states
from staffeln.policies import restores as rules

LOG = logging.getLogger(__name__)
bp = flask.Blueprint('restores', __name__)

#: The metadata key of a restored volume: its restore's uuid.
MARK = 'staffeln_restore'

_FIELDS = ('uuid', 'project_id', 'backup_id', 'volume_id', 'volume_name',
           'new_volume', 'status', 'reason')


def view(restore) -> dict:
    result = {field: getattr(restore, field) for field in _FIELDS}
    result.update(created_at=resource.iso(restore.created_at),
                  updated_at=resource.iso(restore.updated_at),
                  finished_at=resource.iso(restore.finished_at))
    return result


_NEW_VOLUME = ('name', 'size', 'availability_zone')


def _body():
    body = resource.json_body(('backup_id', 'volume_id') + _NEW_VOLUME,
                              required=('backup_id',))
    volume_id = body.get('volume_id')
    if volume_id is not None:
        volume_id = schemas.parse_uuid(volume_id, 'volume_id')
        given = [key for key in _NEW_VOLUME if key in body]
        if given:
            raise errors.BadRequest(f'{given[0]} is for a new volume: give '
                                    f'it or volume_id, not both')
    for key in ('name', 'availability_zone'):
        value = body.get(key)
        if value is not None and (not isinstance(value, str)
                                  or not 0 < len(value) <= 255):
            raise errors.BadRequest(f'{key} must be a string of 1 to 255 '
                                    f'characters')
    size = body.get('size')
    if size is not None and (not isinstance(size, int)
                             or isinstance(size, bool) or size < 1):
        raise errors.BadRequest('size must be a whole number of gigabytes')
    return body['backup_id'], volume_id, {
        key: body.get(key) for key in _NEW_VOLUME}


def _send(cloud, task, restore, volume_id, new: dict) -> dict:
    """Ask Cinder; the volume being written: ``(id, name)``."""
    if volume_id is not None:
        answer = cloud.restore_backup(task.project_id, task.backup_id,
                                      volume_id)
        return {'volume_id': answer.get('volume_id'),
                'volume_name': answer.get('volume_name')}
    volume = cloud.create_volume_from_backup(
        task.project_id, task.backup_id, name=restore.volume_name,
        size=new['size'], availability_zone=new['availability_zone'],
        metadata={MARK: restore.uuid})
    return {'volume_id': volume['id'], 'volume_name': volume['name']}


@bp.post('/v1/restores')
def create_restore():
    ctx = resource.context()
    backup_id, volume_id, new = _body()
    task = backups.find(ctx, backup_id, rules.CREATE)
    if task.status != states.AVAILABLE:
        raise errors.Conflict(f'backup {task.backup_id} is {task.status}: '
                              f'only an available backup can be restored')
    # Built before the intent is recorded: an API without OpenStack
    # access records nothing it cannot do (503).
    cloud = resource.cloud()
    now = resource.now()
    restore_uuid = str(uuid.uuid4())
    name = None
    if volume_id is None:
        name = new['name'] or f'staffeln-restore-{restore_uuid}'
    restore = api_restores.create_restore(ctx, {
        'uuid': restore_uuid, 'project_id': task.project_id,
        'backup_id': task.backup_id, 'volume_id': volume_id,
        'volume_name': name, 'new_volume': volume_id is None}, now)
    try:
        written = _send(cloud, task, restore, volume_id, new)
    except exception.CloudError as exc:
        if exc.ambiguous and volume_id is None:
            # Cinder may have made the volume: it is looked for when the
            # restore is read, never asked for twice.
            LOG.warning('Restore %s: the answer to creating volume %s was '
                        'lost: %s', restore.uuid, restore.volume_name, exc)
            api_restores.update_restore(
                ctx, restore.id, api_restores.REQUESTED, resource.now(),
                reason=f"Cinder's answer was lost ({exc}); the volume is "
                       f"looked for"[:2000])
            restore = api_restores.get_restore(ctx, restore.uuid)
            return flask.jsonify({'restore': view(restore)}), 202
        api_restores.update_restore(
            ctx, restore.id, api_restores.REQUESTED, resource.now(),
            status=api_restores.ERROR, reason=str(exc)[:2000],
            finished_at=resource.now())
        raise
    api_restores.update_restore(
        ctx, restore.id, api_restores.REQUESTED, resource.now(),
        status=api_restores.RESTORING, **written)
    restore = api_restores.get_restore(ctx, restore.uuid)
    return flask.jsonify({'restore': view(restore)}), 202


def _find(ctx, restore):
    """The new volume of a restore whose create call had no clear answer."""
    try:
        named = resource.cloud().list_volumes_named(restore.volume_name)
    except exception.CloudError as exc:
        LOG.warning('Cannot look for the volume of restore %s: %s',
                    restore.uuid, exc)
        return restore
    found = [v for v in named if v.metadata.get(MARK) == restore.uuid
             and v.project_id == restore.project_id]
    now = resource.now()
    if found:
        volume = min(found, key=lambda v: v.id)
        LOG.info('Restore %s found its volume %s', restore.uuid, volume.id)
        api_restores.update_restore(
            ctx, restore.id, api_restores.REQUESTED, now,
            status=api_restores.RESTORING, volume_id=volume.id, reason=None)
    elif now - restore.created_at >= \
            resource.conf().conductor.create_settle_time:
        api_restores.update_restore(
            ctx, restore.id, api_restores.REQUESTED, now,
            status=api_restores.ERROR, finished_at=now,
            reason="Cinder made no volume: its answer was lost and no "
                   "volume carries the restore's mark")
    else:
        return restore
    return api_restores.get_restore(ctx, restore.uuid)


def _refresh(ctx, restore):
    """Ask Cinder how a restoring volume is, and record an outcome."""
    # Requested and not yet answered: in flight, or its answer was lost
    # (or staffeln-api stopped while it waited for it).
    if (restore.status == api_restores.REQUESTED and restore.new_volume
            and restore.volume_name):
        restore = _find(ctx, restore)
    if restore.status != api_restores.RESTORING or not restore.volume_id:
        return restore
    try:
        status = resource.cloud().volume_status(restore.volume_id)
    except exception.CloudError as exc:
        LOG.warning('Cannot read volume %s of restore %s: %s',
                    restore.volume_id, restore.uuid, exc)
        return restore
    if status == 'available':
        values = {'status': api_restores.AVAILABLE}
    elif status.startswith('error'):
        values = {'status': api_restores.ERROR,
                  'reason': f'the volume is {status}'}
    else:
        return restore
    now = resource.now()
    api_restores.update_restore(ctx, restore.id, api_restores.RESTORING,
                                now, finished_at=now, **values)
    return api_restores.get_restore(ctx, restore.uuid)


@bp.get('/v1/restores/<restore_uuid>')
def get_restore(restore_uuid: str):
    ctx = resource.context()
    restore_uuid = schemas.parse_uuid(restore_uuid, 'restore uuid')
    restore = api_restores.get_restore(ctx, restore_uuid)
    if restore is None:
        resource.authorize(rules.GET, {'project_id': ctx.project_id}, ctx)
        raise errors.NotFound(f'Restore {restore_uuid} not found.')
    resource.authorize(rules.GET, {'project_id': restore.project_id}, ctx)
    return flask.jsonify({'restore': view(_refresh(ctx, restore))})


@bp.get('/v1/restores')
def list_restores():
    ctx = resource.context()
    args = flask.request.args
    queries.check_known(args, ('project_id', 'all_projects', 'limit',
                               'marker'))
    project_id = resource.project_scope(queries.scope(args), ctx, rules.LIST,
                                        rules.LIST_ALL_PROJECTS)
    page = queries.page(args, ('created_at',))
    found = api_restores.restore_page(ctx, project_id, page.limit,
                                      page.marker)
    # A restore still restoring is looked at in Cinder, as when shown
    # alone: a listing never shows a finished restore as running.
    return flask.jsonify({'restores': [view(_refresh(ctx, r))
                                       for r in found]})
