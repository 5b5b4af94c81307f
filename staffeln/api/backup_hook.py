"""``POST /v1/backup``: the delete hook, called by Cinder's ``http:`` check.

oslo.policy counts a check as passed when the response text is exactly
``True`` and ignores the status code; Staffeln answers ``200 True`` when the
backup may be deleted and ``401 False`` when it may not. Every other answer
(400 for a malformed request, 503 when the database cannot be read, ...)
carries a one-line reason, never ``True``, so it refuses the delete too.
"""

import dataclasses

import flask
from oslo_log import log as logging

from staffeln.api import decision
from staffeln.api import schemas
from staffeln.common import context as staffeln_context
from staffeln.db import api as db_api
from staffeln.db import api_strays

LOG = logging.getLogger(__name__)

bp = flask.Blueprint('backup_hook', __name__)


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the hook reads from the configuration, read once."""

    allow_roles: frozenset
    marker_key: str

    @classmethod
    def from_conf(cls, conf) -> 'Settings':
        return cls(allow_roles=frozenset(conf.api.allow_delete_roles),
                   marker_key=conf.conductor.automated_metadata_key)


def _answer(allowed: bool) -> flask.Response:
    if allowed:
        return flask.Response('True', status=200, mimetype='text/plain')
    return flask.Response('False', status=401, mimetype='text/plain')


@bp.post('/v1/backup')
def check_delete():
    settings = flask.current_app.config['STAFFELN_HOOK']
    # A context per check: its request id marks this check's log lines.
    context = staffeln_context.RequestContext(is_admin=True)
    hook = schemas.parse_hook_request(
        flask.request.args.getlist('backup_id'),
        flask.request.mimetype,
        flask.request.get_data(cache=False))

    role = decision.allowing_role(hook.roles, settings.allow_roles)
    if role is not None:
        LOG.info('Delete of backup %s allowed: the caller has role %s',
                 hook.backup_id, role)
        return _answer(True)

    marker = decision.has_automated_marker(
        hook.metadata, settings.marker_key)
    task_status = db_api.task_status(context, hook.backup_id)
    stray_status = None
    if task_status is None and marker:
        stray_status = api_strays.stray_status(context, hook.backup_id)
    result = decision.decide(task_status, marker, stray_status)
    LOG.info('Delete of backup %s %s: %s', hook.backup_id,
             'allowed' if result.allowed else 'denied', result.reason)
    return _answer(result.allowed)
