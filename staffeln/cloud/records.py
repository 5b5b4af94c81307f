"""What Staffeln reads from OpenStack, as plain records.

Cinder's status strings are interpreted here: a volume says whether it can
be backed up, a backup says what state it is in as a :class:`BackupState`.
The raw status is kept for messages.
"""

import dataclasses
import datetime
import enum

from oslo_utils import timeutils

#: Volume statuses in which Cinder backs a volume up.
_BACKUPABLE = frozenset(('available', 'in-use'))


class BackupState(str, enum.Enum):
    """What a Cinder backup's status means to Staffeln."""

    #: Being made.
    CREATING = 'creating'
    #: A good backup, which can be deleted.
    AVAILABLE = 'available'
    #: Being deleted.
    DELETING = 'deleting'
    #: Failed; it can be deleted.
    ERROR = 'error'
    #: Cinder failed to delete it; an admin must reset it to error.
    ERROR_DELETING = 'error_deleting'
    #: Busy with something else (restoring, ...): neither deletable nor
    #: being made.
    BUSY = 'busy'
    #: Deleted (a listing of deleted backups shows them).
    DELETED = 'deleted'

    @classmethod
    def of(cls, status: str | None) -> 'BackupState':
        try:
            return cls(status)
        except ValueError:
            return cls.BUSY

    @property
    def deletable(self) -> bool:
        """Whether Cinder accepts a delete of a backup in this state."""
        return self in (BackupState.AVAILABLE, BackupState.ERROR)


@dataclasses.dataclass
class Server:
    id: str
    name: str
    project_id: str
    metadata: dict
    tags: list
    volume_ids: list


@dataclasses.dataclass
class Volume:
    id: str
    name: str | None
    project_id: str
    size: int
    #: Cinder's status, for messages.
    status: str
    metadata: dict
    server_ids: list

    @property
    def backupable(self) -> bool:
        """Whether Cinder backs the volume up in its current status."""
        return self.status in _BACKUPABLE

    @property
    def backing_up(self) -> bool:
        """Whether a backup of the volume is being made right now."""
        return self.status == 'backing-up'


@dataclasses.dataclass
class Backup:
    id: str
    name: str | None
    project_id: str | None
    volume_id: str
    #: Cinder's status, for messages.
    status: str
    is_incremental: bool
    has_dependent_backups: bool
    size: int | None
    fail_reason: str | None
    metadata: dict
    created_at: datetime.datetime | None

    @property
    def state(self) -> BackupState:
        return BackupState.of(self.status)


def _time(value) -> datetime.datetime | None:
    if not value:
        return None
    parsed = timeutils.parse_isotime(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def server(item: dict) -> Server:
    """A server of a Nova listing (microversion 2.26 or later)."""
    volumes = item.get('os-extended-volumes:volumes_attached') or []
    return Server(id=item['id'], name=item.get('name') or '',
                  project_id=item.get('tenant_id') or '',
                  metadata=dict(item.get('metadata') or {}),
                  tags=list(item.get('tags') or []),
                  volume_ids=[v['id'] for v in volumes])


def volume(item: dict) -> Volume:
    """A volume of a Cinder listing or read."""
    return Volume(id=item['id'], name=item.get('name'),
                  project_id=item.get('os-vol-tenant-attr:tenant_id') or '',
                  size=item.get('size') or 0, status=item.get('status'),
                  metadata=dict(item.get('metadata') or {}),
                  server_ids=[a.get('server_id')
                              for a in item.get('attachments') or []])


def backup(item: dict) -> Backup:
    """A backup of a Cinder listing or read (microversion 3.43 or later)."""
    return Backup(
        id=item['id'], name=item.get('name'),
        project_id=item.get('os-backup-project-attr:project_id'),
        volume_id=item.get('volume_id'), status=item.get('status'),
        is_incremental=bool(item.get('is_incremental')),
        has_dependent_backups=bool(item.get('has_dependent_backups')),
        size=item.get('size'), fail_reason=item.get('fail_reason'),
        metadata=dict(item.get('metadata') or {}),
        created_at=_time(item.get('created_at')))
