"""What Staffeln reads from OpenStack, as plain records.

Cinder's status strings are interpreted here: a volume says whether it can
be backed up, a backup says what state it is in as a :class:`BackupState`.
The raw status is kept for messages.
"""

import dataclasses
import datetime
import enum
import json

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
    #: The Glance image it was booted from; None when it was booted from
    #: a volume (Nova shows ``"image": ""``).
    image_id: str | None = None

    @property
    def volume_backed(self) -> bool:
        """Whether Nova's createImage snapshots its volumes in Cinder."""
        return self.image_id is None


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
    #: The Glance image properties the volume carries (Cinder's
    #: ``volume_image_metadata``); a server booted from it has them, e.g.
    #: ``hw_qemu_guest_agent``, and Nova copies them to its images.
    image_metadata: dict = dataclasses.field(default_factory=dict)

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
    #: The snapshot it was made from, if any.
    snapshot_id: str | None = None

    @property
    def state(self) -> BackupState:
        return BackupState.of(self.status)


@dataclasses.dataclass
class Snapshot:
    """A Cinder volume snapshot."""

    id: str
    name: str | None
    project_id: str
    volume_id: str
    #: Cinder's status: creating, available, backing-up, deleting, error,
    #: error_deleting, ...
    status: str
    size: int
    metadata: dict
    created_at: datetime.datetime | None

    @property
    def available(self) -> bool:
        """Whether a backup can be made from it, or it can be deleted."""
        return self.status == 'available'

    @property
    def failed(self) -> bool:
        return self.status in ('error', 'error_deleting')


@dataclasses.dataclass
class ImageSnapshot:
    """One volume snapshot that an image's block device mapping names."""

    snapshot_id: str
    device_name: str | None
    #: 0 for the root disk, None for the others.
    boot_index: int | None
    size: int | None


@dataclasses.dataclass
class Image:
    """A Glance image.

    Nova's createImage of a volume-backed server leaves one with no data
    and a block device mapping that names one snapshot per volume.
    """

    id: str
    name: str | None
    project_id: str
    status: str
    created_at: datetime.datetime | None
    #: The extra properties (createImage's metadata among them).
    properties: dict
    snapshots: list

    @property
    def snapshot_ids(self) -> list[str]:
        return [s.snapshot_id for s in self.snapshots]


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
    image = item.get('image')
    return Server(id=item['id'], name=item.get('name') or '',
                  project_id=item.get('tenant_id') or '',
                  metadata=dict(item.get('metadata') or {}),
                  tags=list(item.get('tags') or []),
                  volume_ids=[v['id'] for v in volumes],
                  image_id=(image.get('id') or None) if isinstance(
                      image, dict) else None)


def volume(item: dict) -> Volume:
    """A volume of a Cinder listing or read."""
    return Volume(id=item['id'], name=item.get('name'),
                  project_id=item.get('os-vol-tenant-attr:tenant_id') or '',
                  size=item.get('size') or 0, status=item.get('status'),
                  metadata=dict(item.get('metadata') or {}),
                  server_ids=[a.get('server_id')
                              for a in item.get('attachments') or []],
                  image_metadata=dict(
                      item.get('volume_image_metadata') or {}))


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
        created_at=_time(item.get('created_at')),
        snapshot_id=item.get('snapshot_id'))


def snapshot(item: dict) -> Snapshot:
    """A snapshot of a Cinder listing or read."""
    return Snapshot(
        id=item['id'], name=item.get('name'),
        project_id=item.get(
            'os-extended-snapshot-attributes:project_id') or '',
        volume_id=item.get('volume_id'), status=item.get('status'),
        size=item.get('size') or 0,
        metadata=dict(item.get('metadata') or {}),
        created_at=_time(item.get('created_at')))


# Glance's core image fields; every other key of an image is a property.
_IMAGE_FIELDS = frozenset((
    'id', 'name', 'status', 'owner', 'visibility', 'size', 'virtual_size',
    'checksum', 'protected', 'min_ram', 'min_disk', 'disk_format',
    'container_format', 'os_hidden', 'os_hash_algo', 'os_hash_value',
    'created_at', 'updated_at', 'tags', 'self', 'file', 'schema', 'stores',
    'locations', 'direct_url'))


def image_snapshots(mapping) -> list[ImageSnapshot]:
    """The snapshots an image's ``block_device_mapping`` names.

    Glance keeps the property as Nova wrote it: a JSON string of a list.
    Entries that are not volume snapshots are skipped; a mapping that
    cannot be read names none.
    """
    if isinstance(mapping, str):
        try:
            mapping = json.loads(mapping)
        except ValueError:
            return []
    if not isinstance(mapping, list):
        return []
    found = []
    for entry in mapping:
        if not isinstance(entry, dict) or not entry.get('snapshot_id') or (
                entry.get('source_type', 'snapshot') != 'snapshot'):
            continue
        found.append(ImageSnapshot(
            snapshot_id=entry['snapshot_id'],
            device_name=entry.get('device_name'),
            boot_index=entry.get('boot_index'),
            size=entry.get('volume_size')))
    return found


def image(item: dict) -> Image:
    """An image of Glance's v2 API (properties beside the core fields)."""
    properties = {k: v for k, v in item.items() if k not in _IMAGE_FIELDS}
    return Image(
        id=item['id'], name=item.get('name'),
        project_id=item.get('owner') or '', status=item.get('status'),
        created_at=_time(item.get('created_at')), properties=properties,
        snapshots=image_snapshots(properties.get('block_device_mapping')))
