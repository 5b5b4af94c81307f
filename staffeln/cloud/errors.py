"""What OpenStack's errors mean: the SDK's and keystoneauth's exceptions
become Staffeln's :class:`~staffeln.common.exception.CloudError` family.

Cinder says why it refused a backup call only in the text of a 400 (or with
413 for a quota); those texts are matched here and nowhere else.
"""

from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc

from staffeln.common import exception

#: Texts of Cinder's 400 answers, and what they mean.
_NO_PARENT = 'No backups available to do an incremental backup'
_VOLUME_STATUS = 'Volume to be backed up must be available or in-use'
_HAS_DEPENDENTS = 'Incremental backups exist for this backup'
_BACKUP_STATUS = 'Backup status must be available'
_SNAPSHOT_TO_BACK_UP = 'Snapshot to be backed up must be available'
_SNAPSHOT_STATUS = 'Snapshot status must be available or error'
#: Texts of Nova's createImage refusals.
_SNAPSHOT_QUOTA = 'Quota exceeded for resources'
_WRONG_STATE = "Cannot 'createImage' instance"
_NO_AGENT = 'QEMU guest agent is not enabled'
_NOT_FROZEN = 'Failed to quiesce instance'
_VOLUME_NOT_SNAPSHOTTABLE = 'status must be available, in-use'


def message(exc: Exception) -> str:
    if isinstance(exc, sdk_exc.HttpException):
        details = exc.details or exc.message or ''
        return str(details).strip() or f'HTTP {exc.status_code}'
    return str(exc) or exc.__class__.__name__


def cloud_error(exc: Exception, what: str) -> exception.CloudError:
    """Map an SDK or keystoneauth error to a CloudError.

    Server errors (5xx), 429 and failures to connect or to get an answer
    are retriable; client errors (4xx) never are. Anything else is not an
    OpenStack error and is raised as it is.
    """
    if isinstance(exc, exception.CloudError):
        return exc
    if isinstance(exc, sdk_exc.NotFoundException):
        return exception.NotFound(f'{what}: {message(exc)}')
    if isinstance(exc, sdk_exc.HttpException) and exc.status_code:
        status = exc.status_code
        return exception.CloudError(
            f'{what}: HTTP {status}: {message(exc)}', status=status,
            retriable=status >= 500 or status == 429)
    if isinstance(exc, (ks_exc.ConnectionError, ks_exc.ConnectFailure,
                        ks_exc.ConnectTimeout, sdk_exc.SDKException,
                        ks_exc.RetriableConnectionFailure)):
        return exception.CloudError(f'{what}: {message(exc)}',
                                    retriable=True,
                                    delivered=_may_have_arrived(exc))
    if isinstance(exc, ks_exc.ClientException):
        status = getattr(exc, 'http_status', None)
        return exception.CloudError(f'{what}: {message(exc)}',
                                    status=status,
                                    retriable=status is None)
    raise exc


def _may_have_arrived(exc: Exception) -> bool:
    """False when the connection itself could not be made.

    keystoneauth raises ConnectFailure both for a refused connection and
    for one the server dropped after the request was sent (only the first
    names urllib3's NewConnectionError), and ConnectTimeout for any timeout,
    reading the answer included: both may have arrived.
    """
    text = str(exc)
    return not ('NewConnectionError' in text
                or 'Connection refused' in text
                or 'Name or service not known' in text)


def backup_create_error(error: exception.CloudError) -> exception.CloudError:
    """What Cinder's refusal of a backup create means."""
    text = str(error)
    if error.status == 413:
        return exception.QuotaExceeded(f'quota exceeded: {text}',
                                       status=413)
    if error.status == 400 and _NO_PARENT in text:
        return exception.NoParentBackup(text, status=400)
    if error.status == 400 and _VOLUME_STATUS in text:
        return exception.VolumeBusy(text, status=400)
    if error.status == 400 and _SNAPSHOT_TO_BACK_UP in text:
        return exception.SnapshotBusy(text, status=400)
    return error


def snapshot_delete_error(error: exception.CloudError
                          ) -> exception.CloudError:
    """What Cinder's refusal of a snapshot delete means."""
    if error.status == 400 and _SNAPSHOT_STATUS in str(error):
        return exception.SnapshotBusy(str(error), status=400)
    return error


def server_image_error(error: exception.CloudError) -> exception.CloudError:
    """What Nova's refusal of a createImage means.

    403 is a refusal by policy, or the snapshot quota checked for all the
    server's volumes at once (nothing was made); 409 a server in a state
    that cannot be snapshotted; a refused freeze of a guest whose image
    requires one is a 400 (no agent) or a 409 (the agent did not answer);
    a 400 naming a volume's status is a volume Cinder could not snapshot
    (``backing-up``, say), and the snapshots made before it are left.
    """
    text = str(error)
    if error.status == 403 and _SNAPSHOT_QUOTA in text:
        return exception.QuotaExceeded(f'snapshot quota exceeded: {text}',
                                       status=403)
    if error.status in (400, 409) and (_NO_AGENT in text
                                       or _NOT_FROZEN in text):
        return exception.QuiesceFailed(text, status=error.status)
    if error.status == 409 and _WRONG_STATE in text:
        return exception.ServerBusy(text, status=409)
    if error.status == 400 and _VOLUME_NOT_SNAPSHOTTABLE in text:
        return exception.VolumeBusy(text, status=400)
    return error


def backup_delete_error(error: exception.CloudError) -> exception.CloudError:
    """What Cinder's refusal of a backup delete means."""
    text = str(error)
    if error.status == 400 and (_HAS_DEPENDENTS in text
                                or _BACKUP_STATUS in text):
        return exception.BackupBusy(text, status=400)
    return error
