"""Backup records: export a Staffeln backup's record, import a record.

Cinder's ``export_record`` and ``import_record`` (admin only), called
through the cloud adapter (openstacksdk's helpers get them wrong). The
rules are in :mod:`staffeln.policies.restores`.
"""

import flask

from staffeln.api import backups
from staffeln.api import errors
from staffeln.api import resource
from staffeln.policies import restores as rules

bp = flask.Blueprint('records', __name__)


@bp.get('/v1/backups/<backup_id>/export_record')
def export_record(backup_id: str):
    ctx = resource.context()
    task = backups.find(ctx, backup_id, rules.EXPORT)
    record = resource.cloud().export_backup_record(task.backup_id)
    return flask.jsonify({'backup_record': {
        'backup_service': record.get('backup_service'),
        'backup_url': record.get('backup_url')}})


@bp.post('/v1/backups/import_record')
def import_record():
    ctx = resource.context()
    resource.authorize(rules.IMPORT, {}, ctx)
    body = resource.json_body(('backup_service', 'backup_url'),
                              required=('backup_service', 'backup_url'))
    for field in ('backup_service', 'backup_url'):
        if not isinstance(body[field], str):
            raise errors.BadRequest(f'{field} must be a string')
    backup = resource.cloud().import_backup_record(body['backup_service'],
                                                   body['backup_url'])
    return flask.jsonify({'backup': {'id': backup.get('id'),
                                     'name': backup.get('name')}}), 201
