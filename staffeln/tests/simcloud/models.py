"""The records the simulated cloud keeps: plain dataclasses, no behaviour."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

DEFAULT_DOMAIN_ID = 'default'


@dataclasses.dataclass(slots=True)
class Domain:
    id: str
    name: str
    enabled: bool = True
    description: str = ''


@dataclasses.dataclass(slots=True)
class Project:
    id: str
    name: str
    domain_id: str = DEFAULT_DOMAIN_ID
    description: str = ''
    enabled: bool = True


@dataclasses.dataclass(slots=True)
class Role:
    id: str
    name: str


@dataclasses.dataclass(slots=True)
class User:
    id: str
    name: str
    password: str
    domain_id: str = DEFAULT_DOMAIN_ID
    email: str | None = None
    enabled: bool = True
    default_project_id: str | None = None


@dataclasses.dataclass(slots=True, frozen=True)
class Assignment:
    """A role on a project, or on a domain (optionally inherited)."""

    role_id: str
    user_id: str
    project_id: str | None = None
    domain_id: str | None = None
    inherited: bool = False


@dataclasses.dataclass(slots=True)
class Token:
    id: str
    user_id: str
    project_id: str | None
    domain_id: str | None
    role_ids: list[str]
    issued_at: datetime.datetime
    expires_at: datetime.datetime
    audit_id: str
    methods: list[str] = dataclasses.field(
        default_factory=lambda: ['password'])


@dataclasses.dataclass(slots=True)
class Server:
    id: str
    project_id: str
    user_id: str
    name: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    status: str = 'ACTIVE'
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    tags: list[str] = dataclasses.field(default_factory=list)
    volume_ids: list[str] = dataclasses.field(default_factory=list)
    description: str | None = None
    availability_zone: str = 'nova'
    host: str = 'sim-compute-1'
    key_name: str | None = None
    #: The Glance image it was booted from; None for a volume-backed server
    #: (booted from its first volume).
    image_id: str | None = None
    #: The image properties Nova keeps from the boot image or volume
    #: (``hw_qemu_guest_agent``, ``os_require_quiesce``, ...).
    image_properties: dict[str, str] = dataclasses.field(
        default_factory=dict)
    #: Whether the guest agent answers a freeze (with the agent enabled).
    guest_agent_answers: bool = True


@dataclasses.dataclass(slots=True)
class VolumeAttachment:
    id: str
    server_id: str
    device: str
    attached_at: datetime.datetime


@dataclasses.dataclass(slots=True)
class Volume:
    id: str
    project_id: str
    user_id: str
    name: str
    size: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    status: str = 'available'
    description: str | None = None
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    bootable: bool = False
    attachments: list[VolumeAttachment] = dataclasses.field(
        default_factory=list)
    previous_status: str | None = None
    availability_zone: str = 'nova'
    volume_type: str = '__DEFAULT__'
    snapshot_id: str | None = None
    source_volid: str | None = None
    backup_id: str | None = None
    #: Glance image properties of the volume (``volume_image_metadata``):
    #: a server booted from it gets them, e.g. ``hw_qemu_guest_agent``.
    image_metadata: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class Snapshot:
    id: str
    project_id: str
    user_id: str
    volume_id: str
    size: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    status: str = 'creating'
    name: str | None = None
    description: str | None = None
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class Image:
    """A Glance image.

    Nova's createImage of a volume-backed server makes one with no data
    whose properties name the volume snapshots.
    """

    id: str
    name: str | None
    owner: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    status: str = 'active'
    size: int | None = 0
    visibility: str = 'private'
    disk_format: str | None = 'raw'
    container_format: str | None = 'bare'
    min_disk: int = 0
    min_ram: int = 0
    protected: bool = False
    #: Every other property, as Glance stores them: strings.
    properties: dict[str, str] = dataclasses.field(default_factory=dict)
    #: Not in the API: whether Nova froze the guest for it (tests read it).
    quiesced: bool = False


@dataclasses.dataclass(slots=True)
class Backup:
    id: str
    project_id: str
    user_id: str
    volume_id: str
    size: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    data_timestamp: datetime.datetime
    status: str = 'creating'
    name: str | None = None
    description: str | None = None
    container: str | None = None
    parent_id: str | None = None
    snapshot_id: str | None = None
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    fail_reason: str | None = None
    object_count: int = 0
    availability_zone: str | None = 'nova'
    encryption_key_id: str | None = None
    restore_volume_id: str | None = None
    deleted_at: datetime.datetime | None = None
    #: Children in any status: while one exists, deletion is refused.
    child_ids: set[str] = dataclasses.field(default_factory=set)
    #: Children that completed (Cinder counts them when they finish).
    num_dependent_backups: int = 0
    #: What the simulated backup service will do: 'ok', 'error', 'stuck'.
    outcome: str = 'ok'
    outcome_reason: str | None = None

    @property
    def is_incremental(self) -> bool:
        return self.parent_id is not None

    @property
    def has_dependent_backups(self) -> bool:
        return self.num_dependent_backups > 0


def to_plain(record: Any) -> dict[str, Any]:
    """A JSON-friendly dict of a record (datetimes as ISO 8601 strings)."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        elif isinstance(value, set):
            value = sorted(value)
        elif isinstance(value, list):
            value = [to_plain(v) if dataclasses.is_dataclass(v) else v
                     for v in value]
        elif isinstance(value, dict):
            value = dict(value)
        out[field.name] = value
    return out
