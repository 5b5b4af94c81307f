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
    return error


def backup_delete_error(error: exception.CloudError) -> exception.CloudError:
    """What Cinder's refusal of a backup delete means."""
    text = str(error)
    if error.status == 400 and (_HAS_DEPENDENTS in text
                                or _BACKUP_STATUS in text):
        return exception.BackupBusy(text, status=400)
    return error
