"""Helpers for tests against the real OpenStack on loopback ("realcloud").

The cloud is the one ``../shared/realcloud/up.sh`` starts. Tests that use it
run only when ``STAFFELN_REALCLOUD=1``; when it is set and the cloud does not
answer, they fail (nothing here turns a missing cloud into a skip).

Connections are built from an explicit keystoneauth session, never from
``clouds.yaml``/``OS_*``: with ``OS_CLIENT_CONFIG_FILE`` set, openstacksdk's
``openstack.connect(username=...)`` silently authenticates as the file's cloud.

Everything a test creates lives in a fresh project (:class:`Tenant`), and the
tenant's cleanup purges whatever is left in it, so a failed test leaves
nothing behind and the tests can run again and in parallel.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar
import uuid

import fixtures
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import openstack
from openstack import exceptions as os_exc

ENV_FLAG = 'STAFFELN_REALCLOUD'
NAME_PREFIX = 'staffeln-test'
MEMBER_ROLE = 'member'
BACKUP_TIMEOUT = 600.0
VOLUME_TIMEOUT = 180.0
SERVER_TIMEOUT = 180.0
HTTP_TIMEOUT = 60.0
POLL_INTERVAL = 0.5

BACKUP_BUSY = ('creating', 'deleting', 'restoring', 'backing-up')
VOLUME_BUSY = ('creating', 'attaching', 'detaching', 'reserved',
               'deleting', 'downloading', 'backing-up', 'restoring-backup',
               'maintenance')

T = TypeVar('T')


def enabled() -> bool:
    """Whether the realcloud tests are wanted (``STAFFELN_REALCLOUD=1``)."""
    return os.environ.get(ENV_FLAG) == '1'


def unique_name(kind: str) -> str:
    return f'{NAME_PREFIX}-{kind}-{uuid.uuid4().hex[:8]}'


@dataclasses.dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    project_id: str | None = None
    project_name: str | None = None
    auth_url: str = 'http://127.0.0.1:5000/v3'
    region: str = 'RegionOne'
    domain: str = 'Default'


def admin_credentials() -> Credentials:
    """The cloud's admin, overridable with ``STAFFELN_REALCLOUD_*``."""
    env = os.environ.get
    return Credentials(
        username=env('STAFFELN_REALCLOUD_USERNAME', 'admin'),
        password=env('STAFFELN_REALCLOUD_PASSWORD', 'secret'),
        project_name=env('STAFFELN_REALCLOUD_PROJECT', 'admin'),
        auth_url=env('STAFFELN_REALCLOUD_AUTH_URL',
                     'http://127.0.0.1:5000/v3'),
        region=env('STAFFELN_REALCLOUD_REGION', 'RegionOne'))


def connect(creds: Credentials) -> openstack.connection.Connection:
    """A Connection for exactly these credentials (no config files)."""
    auth = v3.Password(
        auth_url=creds.auth_url, username=creds.username,
        password=creds.password, user_domain_name=creds.domain,
        project_id=creds.project_id, project_name=creds.project_name,
        project_domain_name=creds.domain if creds.project_name else None)
    session = ks_session.Session(auth=auth, timeout=HTTP_TIMEOUT)
    return openstack.connection.Connection(
        session=session, region_name=creds.region)


def admin_connection() -> openstack.connection.Connection:
    return connect(admin_credentials())


def has_compute(conn: openstack.connection.Connection) -> bool:
    """Whether the catalog lists Nova (``WITH_NOVA=0`` leaves it out)."""
    catalog = conn.session.auth.get_access(conn.session).service_catalog
    return bool(catalog.get_endpoints(service_type='compute'))


# -- waiting --

def wait_for(fetch: Callable[[], T], done: Callable[[T], bool], *,
             what: str, timeout: float,
             failed: Callable[[T], bool] = lambda _: False) -> T:
    """Poll ``fetch`` until ``done``; raise on ``failed`` or timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if failed(value):
            raise AssertionError(f'{what}: failed: {value!r}')
        if time.monotonic() > deadline:
            raise AssertionError(f'{what}: not done after {timeout}s: '
                                 f'{value!r}')
        time.sleep(POLL_INTERVAL)


def _gone(fetch: Callable[[], Any]) -> Callable[[], Any]:
    def probe() -> Any:
        try:
            return fetch()
        except os_exc.NotFoundException:
            return None
    return probe


def wait_backup(conn: openstack.connection.Connection, backup_id: str,
                status: str = 'available',
                timeout: float = BACKUP_TIMEOUT) -> Any:
    """The backup once it has ``status`` (fails if it ends elsewhere)."""
    return wait_for(
        lambda: conn.block_storage.get_backup(backup_id),
        lambda b: b.status == status, what=f'backup {backup_id} -> {status}',
        timeout=timeout,
        failed=lambda b: b.status not in BACKUP_BUSY)


def wait_backup_deleted(conn: openstack.connection.Connection,
                        backup_id: str,
                        timeout: float = BACKUP_TIMEOUT) -> None:
    wait_for(_gone(lambda: conn.block_storage.get_backup(backup_id)),
             lambda b: b is None or b.status == 'deleted',
             what=f'backup {backup_id} deleted', timeout=timeout,
             failed=lambda b: b.status.startswith('error'))


def wait_volume(conn: openstack.connection.Connection, volume_id: str,
                status: str = 'available',
                timeout: float = VOLUME_TIMEOUT) -> Any:
    return wait_for(
        lambda: conn.block_storage.get_volume(volume_id),
        lambda v: v.status == status, what=f'volume {volume_id} -> {status}',
        timeout=timeout,
        failed=lambda v: v.status not in VOLUME_BUSY + ('available',
                                                        'in-use'))


def wait_volume_deleted(conn: openstack.connection.Connection,
                        volume_id: str,
                        timeout: float = VOLUME_TIMEOUT) -> None:
    wait_for(_gone(lambda: conn.block_storage.get_volume(volume_id)),
             lambda v: v is None, what=f'volume {volume_id} deleted',
             timeout=timeout,
             failed=lambda v: v.status == 'error_deleting')


def wait_snapshot_deleted(conn: openstack.connection.Connection,
                          snapshot_id: str,
                          timeout: float = VOLUME_TIMEOUT) -> None:
    wait_for(_gone(lambda: conn.block_storage.get_snapshot(snapshot_id)),
             lambda s: s is None, what=f'snapshot {snapshot_id} deleted',
             timeout=timeout,
             failed=lambda s: s.status == 'error_deleting')


def wait_server_deleted(conn: openstack.connection.Connection,
                        server_id: str,
                        timeout: float = SERVER_TIMEOUT) -> None:
    wait_for(_gone(lambda: conn.compute.get_server(server_id)),
             lambda s: s is None or s.status == 'DELETED',
             what=f'server {server_id} deleted', timeout=timeout)


# -- volumes and servers --

def create_volume(conn: openstack.connection.Connection, *, size: int = 1,
                  name: str | None = None,
                  metadata: Mapping[str, str] | None = None,
                  bootable: bool = False) -> Any:
    """A volume of the connection's project, once ``available``."""
    volume = conn.block_storage.create_volume(
        size=size, name=name or unique_name('vol'),
        metadata=dict(metadata or {}))
    volume = wait_volume(conn, volume.id)
    if bootable:
        conn.block_storage.set_volume_bootable_status(volume, True)
        volume = conn.block_storage.get_volume(volume.id)
    return volume


def attach_volume(conn: openstack.connection.Connection, server_id: str,
                  volume_id: str) -> None:
    """Attach through Nova and wait until Cinder says ``in-use``."""
    conn.compute.create_volume_attachment(server_id, volume_id=volume_id)
    wait_volume(conn, volume_id, 'in-use')


@dataclasses.dataclass
class BootedServer:
    """A server booted from its own volume by :func:`boot_servers`."""

    name: str
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    boot_volume_id: str = ''
    server_id: str = ''


def boot_servers(conn: openstack.connection.Connection, flavor_id: str,
                 names: Sequence[str],
                 metadata: Mapping[str, str] | None = None,
                 attempts: int = 2,
                 image_metadata: Mapping[str, str] | None = None
                 ) -> list[BootedServer]:
    """Boot servers from fresh 1 GB volumes, concurrently, in one project.

    ``image_metadata`` becomes each boot volume's Glance image properties
    (``os-set_image_metadata``) before the boot, as if the volume had been
    made from an image with them: Nova copies them to the server.

    Nova's fake driver boots only from volume; a first boot on a cold cloud
    sometimes fails, so a server that ends in ERROR is deleted and booted
    again from the same volume (``attempts`` in all).
    """
    specs = [BootedServer(name, dict(metadata or {})) for name in names]
    for spec in specs:
        spec.boot_volume_id = create_volume(
            conn, name=f'{spec.name}-boot', bootable=True).id
        if image_metadata:
            response = conn.block_storage.post(
                f'/volumes/{spec.boot_volume_id}/action',
                json={'os-set_image_metadata': {
                    'metadata': dict(image_metadata)}})
            os_exc.raise_from_response(response)
    pending = list(specs)
    for attempt in range(attempts):
        for spec in pending:
            spec.server_id = conn.compute.create_server(
                name=spec.name, flavor_id=flavor_id, networks='none',
                metadata=spec.metadata, block_device_mapping=[{
                    'boot_index': 0, 'uuid': spec.boot_volume_id,
                    'source_type': 'volume',
                    'destination_type': 'volume'}]).id
        failed = [spec for spec in pending
                  if not _becomes_active(conn, spec.server_id)]
        if not failed:
            break
        if attempt + 1 == attempts:
            raise AssertionError(
                f'servers did not boot: {[s.name for s in failed]}')
        for spec in failed:
            conn.compute.delete_server(spec.server_id)
            wait_server_deleted(conn, spec.server_id)
            wait_volume(conn, spec.boot_volume_id)
        pending = failed
    return specs


def _becomes_active(conn: openstack.connection.Connection,
                    server_id: str) -> bool:
    """Whether the server boots (False if it ends in ERROR or hangs)."""
    try:
        server = wait_for(lambda: conn.compute.get_server(server_id),
                          lambda s: s.status in ('ACTIVE', 'ERROR'),
                          what=f'server {server_id} boot',
                          timeout=SERVER_TIMEOUT)
    except AssertionError:
        return False
    return server.status == 'ACTIVE'


# -- cleanup --

def _in_project(items: Iterable[Any], project_id: str) -> list[Any]:
    return [item for item in items if item.project_id == project_id]


def delete_backups(conn: openstack.connection.Connection,
                   backup_ids: Iterable[str]) -> None:
    """Delete backups (children before parents), waiting until gone."""
    remaining = set(backup_ids)
    while remaining:
        backups = []
        for backup_id in sorted(remaining):
            try:
                backups.append(wait_for(
                    lambda: conn.block_storage.get_backup(backup_id),
                    lambda b: b.status not in BACKUP_BUSY,
                    what=f'backup {backup_id} settles',
                    timeout=BACKUP_TIMEOUT))
            except os_exc.NotFoundException:
                remaining.discard(backup_id)
        leaves = [b for b in backups if not b.has_dependent_backups]
        if backups and not leaves:
            raise AssertionError(f'cannot delete backups {remaining}')
        for backup in leaves:
            conn.block_storage.delete_backup(backup.id)
        for backup in leaves:
            wait_backup_deleted(conn, backup.id)
            remaining.discard(backup.id)


def has_image_service(conn: openstack.connection.Connection) -> bool:
    """Whether the catalog lists Glance."""
    catalog = conn.session.auth.get_access(conn.session).service_catalog
    return bool(catalog.get_endpoints(service_type='image'))


def delete_images(admin: openstack.connection.Connection,
                  project_id: str) -> None:
    """Delete the Glance images a project owns (createImage leaves them)."""
    response = admin.image.get('/images', params={'owner': project_id})
    os_exc.raise_from_response(response)
    for image in response.json().get('images', []):
        admin.image.delete(f"/images/{image['id']}")


def purge_project(admin: openstack.connection.Connection,
                  project_id: str) -> None:
    """Delete every server, backup, image and volume of a project.

    As admin; volumes go with their snapshots (cascade).
    """
    if has_compute(admin):
        servers = _in_project(admin.compute.servers(all_projects=True),
                              project_id)
        for server in servers:
            admin.compute.delete_server(server.id)
        for server in servers:
            wait_server_deleted(admin, server.id)
    delete_backups(admin, [b.id for b in _in_project(
        admin.block_storage.backups(all_projects=True), project_id)])
    if has_image_service(admin):
        delete_images(admin, project_id)
    volumes = _in_project(admin.block_storage.volumes(all_projects=True),
                          project_id)
    for volume in volumes:
        wait_for(lambda: admin.block_storage.get_volume(volume.id),
                 lambda v: v.status not in VOLUME_BUSY + ('in-use',),
                 what=f'volume {volume.id} settles', timeout=VOLUME_TIMEOUT)
        admin.block_storage.delete_volume(volume.id, cascade=True)
    for volume in volumes:
        wait_for(_gone(lambda: admin.block_storage.get_volume(volume.id)),
                 lambda v: v is None, what=f'volume {volume.id} deleted',
                 timeout=VOLUME_TIMEOUT)


# -- fixtures --

class Tenant(fixtures.Fixture):
    """A fresh project and a user with the ``member`` role in it.

    On cleanup every server, backup, image and volume (with its snapshots)
    left in the project is deleted, then the user and the project.
    """

    def __init__(self, admin: openstack.connection.Connection,
                 role: str = MEMBER_ROLE) -> None:
        super().__init__()
        self.admin = admin
        self.role = role

    def _setUp(self) -> None:
        identity = self.admin.identity
        self.project = identity.create_project(
            name=unique_name('project'), domain_id='default')
        self.project_id: str = self.project.id
        self.addCleanup(identity.delete_project, self.project_id)
        self.addCleanup(purge_project, self.admin, self.project_id)
        self.password = uuid.uuid4().hex
        self.user = identity.create_user(
            name=unique_name('user'), password=self.password,
            domain_id='default', default_project_id=self.project_id)
        self.user_name: str = self.user.name
        self.addCleanup(identity.delete_user, self.user.id)
        identity.assign_project_role_to_user(
            self.project_id, self.user.id, identity.find_role(
                self.role, ignore_missing=False))
        self.connection = connect(Credentials(
            username=self.user_name, password=self.password,
            project_id=self.project_id,
            auth_url=admin_credentials().auth_url,
            region=admin_credentials().region))


class Flavor(fixtures.Fixture):
    """A public flavor with ``disk=0`` (servers boot from volume)."""

    def __init__(self, admin: openstack.connection.Connection) -> None:
        super().__init__()
        self.admin = admin

    def _setUp(self) -> None:
        self.flavor = self.admin.compute.create_flavor(
            name=unique_name('flavor'), ram=64, vcpus=1, disk=0)
        self.id: str = self.flavor.id
        self.addCleanup(self.admin.compute.delete_flavor, self.id)
