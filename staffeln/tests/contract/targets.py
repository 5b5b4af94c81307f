"""Where a contract scenario runs: the simulated cloud or the real one.

A target sets up what a scenario needs (projects, member users, volumes,
servers, quota limits) by the quickest honest route (the simulator's
in-memory state, or admin API calls on the real cloud) and waits for backups
the way each cloud allows: the simulator's clock is advanced, the real cloud
is polled. The scenario itself then speaks only openstacksdk.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
import uuid

import fixtures
import openstack

from staffeln.tests import realcloud
from staffeln.tests.simcloud import fixture as sim_fixture

Connection = openstack.connection.Connection

BACKUP_BUSY = ('creating', 'deleting', 'restoring')
#: How many clock steps the simulator gets to finish a backup.
SIM_MAX_STEPS = 20
#: Seconds the simulator takes to make a volume snapshot.
SIM_SNAPSHOT_DURATION = 10.0


@dataclasses.dataclass(frozen=True)
class Tenant:
    """A project with a member user and that user's project-scoped conn."""

    project_id: str
    conn: Connection


class Target(fixtures.Fixture, metaclass=abc.ABCMeta):
    """The cloud a scenario runs against."""

    #: An admin connection, scoped to the admin project.
    admin: Connection
    #: Whether the target has Nova.
    has_compute: bool = True

    @property
    def admin_project_id(self) -> str:
        return self.admin.current_project_id

    @abc.abstractmethod
    def add_tenant(self) -> Tenant:
        """A fresh project with a user holding ``member`` in it."""

    @abc.abstractmethod
    def add_volume(self, tenant: Tenant, *, size: int = 1,
                   name: str | None = None,
                   metadata: Mapping[str, str] | None = None) -> str:
        """An ``available`` volume of the tenant; its id."""

    @abc.abstractmethod
    def wait_volume(self, conn: Connection, volume_id: str,
                    status: str = 'available') -> Any:
        """The volume once it has ``status``."""

    @abc.abstractmethod
    def wait_volume_deleted(self, conn: Connection, volume_id: str) -> None:
        """Returns once the volume is gone."""

    @abc.abstractmethod
    def wait_snapshot(self, conn: Connection, snapshot_id: str) -> Any:
        """The snapshot once it is ``available``."""

    @abc.abstractmethod
    def wait_snapshot_deleted(self, conn: Connection,
                              snapshot_id: str) -> None:
        """Returns once the snapshot is gone."""

    @abc.abstractmethod
    def add_volume_backed_server(
            self, tenant: Tenant, name: str, *,
            volume_ids: Iterable[str] = (),
            image_metadata: Mapping[str, str] | None = None
    ) -> tuple[str, str]:
        """An ``ACTIVE`` server booted from a fresh volume.

        The boot volume has ``image_metadata`` as its Glance image
        properties before the boot; ``volume_ids`` are attached too.
        Returns the server's and the boot volume's ids.
        """

    @abc.abstractmethod
    def add_image_booted_server(self, tenant: Tenant, name: str) -> str:
        """An ``ACTIVE`` server booted from a Glance image; its id."""

    @abc.abstractmethod
    def reset_server_state(self, server_id: str, state: str) -> None:
        """An admin's ``os-resetState`` (``error`` or ``active``)."""

    @abc.abstractmethod
    def add_servers(self, tenant: Tenant, names: Sequence[str], *,
                    metadata: Mapping[str, str] | None = None) -> list[str]:
        """``ACTIVE`` servers of the tenant; their ids."""

    @abc.abstractmethod
    def attach(self, tenant: Tenant, server_id: str, volume_id: str) -> None:
        """Attach a volume to a server: the volume becomes ``in-use``."""

    @abc.abstractmethod
    def set_quota(self, project_id: str, **limits: int) -> None:
        """Cinder quota limits, e.g. ``backups=1``."""

    @abc.abstractmethod
    def wait_backup(self, conn: Connection, backup_id: str,
                    status: str = 'available') -> Any:
        """The backup (an SDK resource) once it has reached ``status``."""

    @abc.abstractmethod
    def wait_backup_deleted(self, conn: Connection, backup_id: str) -> None:
        """Return once the backup is gone."""

    def add_server(self, tenant: Tenant, name: str, *,
                   metadata: Mapping[str, str] | None = None,
                   volume_ids: Iterable[str] = ()) -> str:
        """An ``ACTIVE`` server with these volumes attached; its id."""
        [server_id] = self.add_servers(tenant, [name], metadata=metadata)
        for volume_id in volume_ids:
            self.attach(tenant, server_id, volume_id)
        return server_id

    def delete_backups_later(self, conn: Connection,
                             backup_ids: Iterable[str]) -> None:
        """Delete backups (children first) when the test ends.

        Backups that live in a tenant project are purged with it; this is
        for the others, e.g. those an admin token put in the admin project.
        """
        self.addCleanup(self._delete_backups, conn, list(backup_ids))

    def _delete_backups(self, conn: Connection,
                        backup_ids: list[str]) -> None:
        realcloud.delete_backups(conn, backup_ids)


class SimTarget(Target):
    """The simulated cloud, served over HTTP, with a manual clock."""

    def _setUp(self) -> None:
        # Snapshots take time, as on the real cloud, so that a scenario
        # sees them ``creating`` first.
        self.sim = self.useFixture(sim_fixture.SimCloudFixture(
            snapshot_duration=SIM_SNAPSHOT_DURATION))
        self.cloud = self.sim.cloud
        self.admin = self.sim.admin_connection()

    def add_tenant(self) -> Tenant:
        name = f'tenant-{uuid.uuid4().hex[:8]}'
        password = uuid.uuid4().hex
        project, user = self.sim.add_tenant(name, password=password)
        return Tenant(project.id, self.sim.connect(
            project=project.name, user=user.name, password=password))

    def add_volume(self, tenant: Tenant, *, size: int = 1,
                   name: str | None = None,
                   metadata: Mapping[str, str] | None = None) -> str:
        return self.cloud.add_volume(
            tenant.project_id, size=size, name=name or realcloud.unique_name(
                'vol'), metadata=dict(metadata or {})).id

    def add_servers(self, tenant: Tenant, names: Sequence[str], *,
                    metadata: Mapping[str, str] | None = None) -> list[str]:
        return [self.cloud.add_server(tenant.project_id, name,
                                      metadata=dict(metadata or {})).id
                for name in names]

    def add_server(self, tenant: Tenant, name: str, *,
                   metadata: Mapping[str, str] | None = None,
                   volume_ids: Iterable[str] = ()) -> str:
        return self.cloud.add_server(tenant.project_id, name,
                                     metadata=dict(metadata or {}),
                                     volume_ids=list(volume_ids)).id

    def attach(self, tenant: Tenant, server_id: str, volume_id: str) -> None:
        self.cloud.attach(self.cloud.servers.get(server_id), volume_id)

    def add_volume_backed_server(
            self, tenant: Tenant, name: str, *,
            volume_ids: Iterable[str] = (),
            image_metadata: Mapping[str, str] | None = None
    ) -> tuple[str, str]:
        boot = self.cloud.add_volume(
            tenant.project_id, name=f'{name}-boot', bootable=True,
            image_metadata=image_metadata)
        server = self.cloud.add_server(tenant.project_id, name,
                                       volume_ids=[boot.id, *volume_ids])
        return server.id, boot.id

    def add_image_booted_server(self, tenant: Tenant, name: str) -> str:
        return self.cloud.add_server(tenant.project_id, name,
                                     image_id=str(uuid.uuid4())).id

    def reset_server_state(self, server_id: str, state: str) -> None:
        self.cloud.servers.get(server_id).status = state.upper()

    def set_quota(self, project_id: str, **limits: int) -> None:
        self.cloud.set_quota(project_id, **limits)

    def _step(self) -> None:
        self.sim.clock.advance(max(self.cloud.backup_duration,
                                   self.cloud.backup_delete_duration, 1.0))

    def wait_backup(self, conn: Connection, backup_id: str,
                    status: str = 'available') -> Any:
        for _ in range(SIM_MAX_STEPS):
            backup = conn.block_storage.get_backup(backup_id)
            if backup.status == status:
                return backup
            if backup.status not in BACKUP_BUSY:
                raise AssertionError(
                    f'backup {backup_id} ended {backup.status}, not {status}')
            self._step()
        raise AssertionError(f'backup {backup_id} stuck in {backup.status}')

    def wait_backup_deleted(self, conn: Connection, backup_id: str) -> None:
        for _ in range(SIM_MAX_STEPS):
            try:
                backup = conn.block_storage.get_backup(backup_id)
            except openstack.exceptions.NotFoundException:
                return
            if backup.status == 'deleted':
                return
            self._step()
        raise AssertionError(f'backup {backup_id} not deleted')

    def _delete_backups(self, conn: Connection,
                        backup_ids: list[str]) -> None:
        """Nothing to do: the simulated cloud goes away with the test."""

    def wait_volume(self, conn: Connection, volume_id: str,
                    status: str = 'available') -> Any:
        for _ in range(SIM_MAX_STEPS):
            volume = conn.block_storage.get_volume(volume_id)
            if volume.status == status:
                return volume
            self.sim.clock.advance(max(self.cloud.restore_duration, 1.0))
        raise AssertionError(f'volume {volume_id} stuck in {volume.status}')

    def wait_snapshot(self, conn: Connection, snapshot_id: str) -> Any:
        for _ in range(SIM_MAX_STEPS):
            snapshot = conn.block_storage.get_snapshot(snapshot_id)
            if snapshot.status == 'available':
                return snapshot
            self.sim.clock.advance(max(self.cloud.snapshot_duration, 1.0))
        raise AssertionError(f'snapshot {snapshot_id} not available')

    def wait_snapshot_deleted(self, conn: Connection,
                              snapshot_id: str) -> None:
        for _ in range(SIM_MAX_STEPS):
            try:
                conn.block_storage.get_snapshot(snapshot_id)
            except openstack.exceptions.NotFoundException:
                return
            self._step()
        raise AssertionError(f'snapshot {snapshot_id} not deleted')

    def wait_volume_deleted(self, conn: Connection, volume_id: str) -> None:
        for _ in range(SIM_MAX_STEPS):
            try:
                conn.block_storage.get_volume(volume_id)
            except openstack.exceptions.NotFoundException:
                return
            self._step()
        raise AssertionError(f'volume {volume_id} not deleted')


class RealTarget(Target):
    """The real Keystone, Nova and Cinder on loopback (``realcloud``)."""

    def _setUp(self) -> None:
        self.admin = realcloud.admin_connection()
        # Authenticate now: an unreachable cloud fails here, loudly.
        self.admin.authorize()
        self.has_compute = realcloud.has_compute(self.admin)
        self._flavor_id: str | None = None

    def add_tenant(self) -> Tenant:
        tenant = self.useFixture(realcloud.Tenant(self.admin))
        return Tenant(tenant.project_id, tenant.connection)

    def add_volume(self, tenant: Tenant, *, size: int = 1,
                   name: str | None = None,
                   metadata: Mapping[str, str] | None = None) -> str:
        return realcloud.create_volume(tenant.conn, size=size, name=name,
                                       metadata=metadata).id

    def add_servers(self, tenant: Tenant, names: Sequence[str], *,
                    metadata: Mapping[str, str] | None = None) -> list[str]:
        if self._flavor_id is None:
            self._flavor_id = self.useFixture(realcloud.Flavor(self.admin)).id
        servers = realcloud.boot_servers(tenant.conn, self._flavor_id, names,
                                         metadata=metadata)
        return [server.server_id for server in servers]

    def attach(self, tenant: Tenant, server_id: str, volume_id: str) -> None:
        realcloud.attach_volume(tenant.conn, server_id, volume_id)

    def add_volume_backed_server(
            self, tenant: Tenant, name: str, *,
            volume_ids: Iterable[str] = (),
            image_metadata: Mapping[str, str] | None = None
    ) -> tuple[str, str]:
        if self._flavor_id is None:
            self._flavor_id = self.useFixture(realcloud.Flavor(self.admin)).id
        [server] = realcloud.boot_servers(tenant.conn, self._flavor_id,
                                          [name],
                                          image_metadata=image_metadata)
        for volume_id in volume_ids:
            self.attach(tenant, server.server_id, volume_id)
        return server.server_id, server.boot_volume_id

    def add_image_booted_server(self, tenant: Tenant, name: str) -> str:
        """From a 1 KiB public image, with a flavor that has a disk.

        Nova refuses a member's boot from an image with a ``disk=0``
        flavor, and the fake driver needs no real image data.
        """
        image = self.admin.image.create_image(
            name=realcloud.unique_name('image'), disk_format='raw',
            container_format='bare', visibility='public',
            data=b'\0' * 1024)
        self.addCleanup(self.admin.image.delete_image, image.id,
                        ignore_missing=True)
        flavor = self.admin.compute.create_flavor(
            name=realcloud.unique_name('flavor'), ram=64, vcpus=1, disk=1)
        self.addCleanup(self.admin.compute.delete_flavor, flavor.id)
        server = tenant.conn.compute.create_server(
            name=name, flavor_id=flavor.id, image_id=image.id,
            networks='none')
        realcloud.wait_for(
            lambda: tenant.conn.compute.get_server(server.id),
            lambda s: s.status == 'ACTIVE', what=f'server {name} boot',
            timeout=realcloud.SERVER_TIMEOUT,
            failed=lambda s: s.status == 'ERROR')
        return server.id

    def reset_server_state(self, server_id: str, state: str) -> None:
        response = self.admin.compute.post(
            f'/servers/{server_id}/action',
            json={'os-resetState': {'state': state}})
        openstack.exceptions.raise_from_response(response)

    def set_quota(self, project_id: str, **limits: int) -> None:
        self.admin.block_storage.update_quota_set(project_id, **limits)

    def wait_backup(self, conn: Connection, backup_id: str,
                    status: str = 'available') -> Any:
        return realcloud.wait_backup(conn, backup_id, status)

    def wait_backup_deleted(self, conn: Connection, backup_id: str) -> None:
        realcloud.wait_backup_deleted(conn, backup_id)

    def wait_volume(self, conn: Connection, volume_id: str,
                    status: str = 'available') -> Any:
        return realcloud.wait_volume(conn, volume_id, status)

    def wait_volume_deleted(self, conn: Connection, volume_id: str) -> None:
        realcloud.wait_volume_deleted(conn, volume_id)

    def wait_snapshot_deleted(self, conn: Connection,
                              snapshot_id: str) -> None:
        realcloud.wait_snapshot_deleted(conn, snapshot_id)

    def wait_snapshot(self, conn: Connection, snapshot_id: str) -> Any:
        return realcloud.wait_for(
            lambda: conn.block_storage.get_snapshot(snapshot_id),
            lambda s: s.status == 'available',
            what=f'snapshot {snapshot_id} available',
            timeout=realcloud.VOLUME_TIMEOUT)


def scenarios() -> list[tuple[str, dict[str, Any]]]:
    """The simulator always; the real cloud with ``STAFFELN_REALCLOUD=1``."""
    found: list[tuple[str, dict[str, Any]]] = [
        ('sim', {'target_factory': SimTarget})]
    if realcloud.enabled():
        found.append(('realcloud', {'target_factory': RealTarget}))
    return found
