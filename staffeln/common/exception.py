"""Staffeln's domain exceptions, with messages an operator can act on.

The cloud adapter (:mod:`staffeln.cloud`) raises the :class:`CloudError`
family: what OpenStack answered, already interpreted, so that no other code
needs to know Cinder's status codes or error texts.
"""


class StaffelnException(Exception):
    """Base of Staffeln's own errors."""


class ConfigurationError(StaffelnException):
    """A setting is missing or invalid."""


class InvalidInput(StaffelnException):
    """What a user asked for cannot be done as given.

    The message names the field and says why, in one line.
    """


class NoSuchObject(StaffelnException):
    """What a user named (a policy, a volume, a backup) does not exist."""


class Conflict(StaffelnException):
    """What a user asked for clashes with what exists or is under way."""


class DatabaseUnavailable(StaffelnException):
    """The database cannot be read or written right now."""


class CloudError(StaffelnException):
    """An OpenStack API call failed.

    ``status`` is the HTTP status (None for a connection failure or a
    timeout), ``retriable`` says whether trying again can help, and
    ``delivered`` is False only when the request certainly never reached
    the service (the connection could not be made).
    """

    def __init__(self, message: str, status: int | None = None,
                 retriable: bool = False, delivered: bool = True):
        super().__init__(message)
        self.status = status
        self.retriable = retriable
        self.delivered = delivered

    @property
    def ambiguous(self) -> bool:
        """Whether the request may have taken effect despite the error."""
        return self.delivered and (self.status is None or self.status >= 500)


class NotFound(CloudError):
    def __init__(self, message: str):
        super().__init__(message, status=404)


class ProjectUnavailable(CloudError):
    """No token can be had for the project.

    It was deleted or disabled, or the service user has no role in it.
    """


class QuotaExceeded(CloudError):
    """A backup or snapshot was refused: the project's quota is used up."""


class NoParentBackup(CloudError):
    """Cinder has no available backup to base an incremental backup on."""


class VolumeBusy(CloudError):
    """Cinder cannot back up the volume in its current status."""


class BackupBusy(CloudError):
    """Cinder cannot delete the backup now.

    Its status does not allow it, or incremental backups depend on it.
    """


class ServerBusy(CloudError):
    """Nova cannot snapshot the server in its current state."""


class QuiesceFailed(CloudError):
    """Nova could not freeze the guest and the image requires it.

    The image has ``os_require_quiesce``, and the guest agent is not
    enabled or did not answer.
    """


class SnapshotBusy(CloudError):
    """Cinder cannot back up or delete the snapshot in its current status."""
