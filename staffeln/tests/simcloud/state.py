"""The in-memory cloud that the simulated Keystone, Nova, Cinder and Glance
share.

Time only moves with the injected clock. Work that takes time in a real cloud
(a backup running, a deletion) is an event due at a clock time; due events run
lazily, at the start of the next request (``tick``), so there is no background
thread and a test decides exactly when things finish.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
import datetime
import heapq
import itertools
import threading
from typing import Any

from staffeln.common import clock as clock_mod
from staffeln.tests.simcloud.cinder import quotas as quotas_mod
from staffeln.tests.simcloud import faults as faults_mod
from staffeln.tests.simcloud import ids as ids_mod
from staffeln.tests.simcloud import index
from staffeln.tests.simcloud.keystone import rules as keystone_rules
from staffeln.tests.simcloud import models

ADMIN_PASSWORD = 'secret'
Event = Callable[[datetime.datetime], None]


class Cloud:
    """Projects, users, servers, volumes, snapshots, backups, images."""

    def __init__(self, clock: clock_mod.Clock | None = None, *,
                 seed: int | str = 0,
                 backup_duration: float = 60.0,
                 backup_delete_duration: float = 0.0,
                 restore_duration: float = 60.0,
                 snapshot_duration: float = 0.0,
                 default_quotas: Mapping[str, int] | None = None) -> None:
        self.clock = clock or clock_mod.ManualClock()
        self.lock = threading.RLock()
        self.backup_duration = backup_duration
        self.backup_delete_duration = backup_delete_duration
        self.restore_duration = restore_duration
        self.snapshot_duration = snapshot_duration
        self.ids = ids_mod.IdFactory(seed)
        self.identity = keystone_rules.IdentityStore(self.ids)
        self.servers: index.OrderedStore[models.Server] = (
            index.OrderedStore(('project_id',)))
        self.volumes: index.OrderedStore[models.Volume] = (
            index.OrderedStore(('project_id',)))
        self.snapshots: index.OrderedStore[models.Snapshot] = (
            index.OrderedStore(('project_id', 'volume_id')))
        self.backups: index.OrderedStore[models.Backup] = (
            index.OrderedStore(('project_id', 'volume_id')))
        self.deleted_backups: dict[str, models.Backup] = {}
        self.images: index.OrderedStore[models.Image] = (
            index.OrderedStore(('owner',)))
        #: Nova policy rules that refuse every caller (403), e.g.
        #: ``os_compute_api:servers:create_image:allow_volume_backed``.
        self.nova_denied: set[str] = set()
        self.quotas = quotas_mod.QuotaBook(dict(default_quotas or {}))
        self.faults = faults_mod.FaultSet()
        self.backup_outcomes = faults_mod.OutcomeQueue()
        self.delete_outcomes = faults_mod.OutcomeQueue()
        self.restore_outcomes = faults_mod.OutcomeQueue()
        self.calls: Counter[tuple[str, str]] = Counter()
        #: Cinder's services as ``os-services`` lists them, by binary.
        self.cinder_services: dict[str, dict[str, Any]] = {
            binary: {'host': host, 'zone': 'nova', 'status': 'enabled',
                     'state': 'up', 'disabled_reason': None}
            for binary, host in (('cinder-scheduler', 'simcloud'),
                                 ('cinder-volume', 'simcloud@sim'),
                                 ('cinder-backup', 'simcloud'))}
        #: Services of the catalog beyond Keystone, Nova and Cinder, as
        #: (type, name, url): a test registers staffeln-api here.
        self.catalog_extras: list[tuple[str, str, str]] = []
        self._events: list[tuple[datetime.datetime, int, Event]] = []
        #: Sends Nova's and Cinder's notifications (see the notifications
        #: module); None sends none.
        self.emitter = None
        #: With ``track_creating``, the most backups creating at once, in
        #: all and in one project, sampled as each backup is created.
        self.track_creating = False
        self.peak_creating = 0
        self.peak_creating_per_project = 0
        self._seq = itertools.count()
        self.admin_project = self.add_project('admin')
        self.service_project = self.add_project('service')
        self.admin_user = self.add_user(
            'admin', ADMIN_PASSWORD, email='admin@example.org',
            roles={self.admin_project.id: ['admin']})

    # -- time ----------------------------------------------------------------
    def now(self) -> datetime.datetime:
        """The clock's time to the second, as the services' DBs store it."""
        return self.clock.now().replace(microsecond=0)

    def advance(self, seconds: float) -> datetime.datetime:
        """Move a ManualClock on (and run what became due)."""
        if not isinstance(self.clock, clock_mod.ManualClock):
            raise TypeError('only a ManualClock can be advanced')
        when = self.clock.advance(seconds)
        self.tick()
        return when

    def schedule(self, delay: float, event: Event) -> datetime.datetime:
        due = self.now() + datetime.timedelta(seconds=delay)
        with self.lock:
            heapq.heappush(self._events, (due, next(self._seq), event))
        return due

    def tick(self) -> None:
        """Run every event that is due by now, in due order."""
        with self.lock:
            now = self.clock.now()
            while self._events and self._events[0][0] <= now:
                due, _seq, event = heapq.heappop(self._events)
                event(due)

    def sample_creating(self) -> None:
        if not self.track_creating:
            return
        with self.lock:
            counts = Counter(b.project_id for b in self.backups.values()
                             if b.status == 'creating')
            self.peak_creating = max(self.peak_creating,
                                     sum(counts.values()))
            self.peak_creating_per_project = max(
                self.peak_creating_per_project,
                max(counts.values(), default=0))

    def emit(self, method: str, *args: Any) -> None:
        """A notification, when an emitter is attached."""
        if self.emitter is not None:
            getattr(self.emitter, method)(*args)

    # -- call counting -------------------------------------------------------
    def record_call(self, method: str, template: str) -> None:
        with self.lock:
            self.calls[(method.upper(), template)] += 1

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    def calls_matching(self, prefix: str = '', method: str | None = None
                       ) -> int:
        """How many calls went to paths starting with ``prefix``."""
        with self.lock:
            return sum(n for (m, path), n in self.calls.items()
                       if path.startswith(prefix)
                       and method in (None, m))

    # -- identity ------------------------------------------------------------
    def add_project(self, name: str, domain: str = 'default',
                    description: str = '') -> models.Project:
        with self.lock:
            return self.identity.add_project(name, domain, description)

    def delete_project(self, project_id: str) -> None:
        """Delete a project from Keystone only, as an operator would."""
        with self.lock:
            self.identity.delete_project(project_id)

    def add_user(self, name: str, password: str, email: str | None = None,
                 roles: Mapping[str, Iterable[str]] | None = None,
                 domain: str = 'default',
                 domain_roles: Iterable[str] = (),
                 inherited_roles: Iterable[str] = ()) -> models.User:
        """A user; ``roles`` maps project ids (or names) to role names.

        ``domain_roles`` are granted on the user's domain; ``inherited_roles``
        on the domain too, inherited by every project in it (how a service
        user gets a role in every tenant).
        """
        with self.lock:
            return self.identity.add_user(
                name, password, email=email, roles=roles, domain=domain,
                domain_roles=domain_roles, inherited_roles=inherited_roles)

    def project(self, ref: str) -> models.Project:
        found = self.identity.find_project(ref)
        if found is None:
            raise KeyError(f'no project {ref}')
        return found

    # -- compute and block storage -------------------------------------------
    def add_volume(self, project_id: str, size: int = 1,
                   name: str | None = None, status: str = 'available',
                   metadata: Mapping[str, str] | None = None,
                   bootable: bool = False, user_id: str | None = None,
                   description: str | None = None,
                   image_metadata: Mapping[str, str] | None = None
                   ) -> models.Volume:
        with self.lock:
            now = self.now()
            volume = models.Volume(
                id=self.ids.uuid(), project_id=project_id,
                user_id=user_id or self.admin_user.id,
                name=name if name is not None else (
                    f'volume-{len(self.volumes) + 1}'),
                size=size, status=status, metadata=dict(metadata or {}),
                bootable=bootable, description=description,
                image_metadata=dict(image_metadata or {}),
                created_at=now, updated_at=now)
            self.volumes.add(volume)
            self.quotas.use(project_id, volumes=1, gigabytes=size)
            return volume

    def add_server(self, project_id: str, name: str,
                   metadata: Mapping[str, str] | None = None,
                   tags: Iterable[str] | None = None,
                   volume_ids: Iterable[str] = (), status: str = 'ACTIVE',
                   user_id: str | None = None,
                   image_id: str | None = None,
                   image_properties: Mapping[str, str] | None = None
                   ) -> models.Server:
        """A server; its volumes become ``in-use``, attached to it.

        Without ``image_id`` the server is volume-backed: booted from its
        first volume. ``image_properties`` are the boot image's, e.g.
        ``hw_qemu_guest_agent``; by default a volume-backed server gets its
        boot volume's image metadata, as Nova does at boot.
        """
        with self.lock:
            now = self.now()
            volume_ids = list(volume_ids)
            if image_properties is None and image_id is None and volume_ids:
                boot = self.volumes.get(volume_ids[0])
                image_properties = boot.image_metadata if boot else None
            server = models.Server(
                id=self.ids.uuid(), project_id=project_id,
                user_id=user_id or self.admin_user.id, name=name,
                status=status, metadata=dict(metadata or {}),
                tags=list(tags or []), created_at=now, updated_at=now,
                image_id=image_id,
                image_properties=dict(image_properties or {}))
            for volume_id in volume_ids:
                self.attach(server, volume_id)
            self.servers.add(server)
            return server

    def attach(self, server: models.Server, volume_id: str) -> None:
        volume = self.volumes.get(volume_id)
        if volume is None:
            raise KeyError(f'no volume {volume_id}')
        device = '/dev/vd' + 'abcdefghijklmnopqrstuvwxyz'[
            len(server.volume_ids)]
        volume.attachments.append(models.VolumeAttachment(
            id=self.ids.uuid(), server_id=server.id, device=device,
            attached_at=self.now()))
        volume.status = 'in-use'
        server.volume_ids.append(volume_id)

    def set_quota(self, project_id: str, **limits: int) -> None:
        """Cinder quota limits: ``backups=0``, ``backup_gigabytes=5``..."""
        with self.lock:
            self.quotas.set(project_id, **limits)

    def set_service(self, binary: str, *, state: str | None = None,
                    status: str | None = None) -> None:
        """A Cinder service ``up`` or ``down``, ``enabled`` or ``disabled``."""
        with self.lock:
            service = self.cinder_services[binary]
            if state is not None:
                service['state'] = state
            if status is not None:
                service['status'] = status

    # -- planned outcomes ----------------------------------------------------
    def fail_next_backups(self, volume_id: str | None = None, count: int = 1,
                          reason: str = 'Simulated backup failure') -> None:
        """The next ``count`` backups (of that volume) end in ``error``."""
        with self.lock:
            self.backup_outcomes.push(faults_mod.Outcome(
                'error', volume_id, count, reason))

    def stick_next_backups(self, volume_id: str | None = None,
                           count: int = 1) -> None:
        """The next ``count`` backups (of that volume) stay ``creating``."""
        with self.lock:
            self.backup_outcomes.push(faults_mod.Outcome(
                'stuck', volume_id, count))

    def fail_next_restores(self, backup_id: str | None = None,
                           count: int = 1) -> None:
        """The next ``count`` volumes made from (that) backup end in error.

        The backup stays available, as Cinder leaves it.
        """
        with self.lock:
            self.restore_outcomes.push(faults_mod.Outcome(
                'error', backup_id, count))

    def fail_next_backup_deletes(self, volume_id: str | None = None,
                                 count: int = 1) -> None:
        """The next ``count`` deletions end in ``error_deleting``."""
        with self.lock:
            self.delete_outcomes.push(faults_mod.Outcome(
                'error', volume_id, count))

    # -- reads for tests -----------------------------------------------------
    # Due events run on the next request; these reads run them first, so a
    # test that moved the clock sees what an API call would.
    def server(self, server_id: str) -> models.Server | None:
        self.tick()
        return self.servers.get(server_id)

    def volume(self, volume_id: str) -> models.Volume | None:
        self.tick()
        return self.volumes.get(volume_id)

    def image(self, image_id: str) -> models.Image | None:
        self.tick()
        return self.images.get(image_id)

    def backup(self, backup_id: str) -> models.Backup | None:
        self.tick()
        return self.backups.get(backup_id) or self.deleted_backups.get(
            backup_id)

    def all_backups(self, include_deleted: bool = False
                    ) -> list[dict[str, Any]]:
        """Every backup with project, metadata and parent, oldest first."""
        with self.lock:
            self.tick()
            records = list(self.backups.values())
            if include_deleted:
                records += self.deleted_backups.values()
            records.sort(key=index.sort_key)
            out = []
            for backup in records:
                plain = models.to_plain(backup)
                plain['is_incremental'] = backup.is_incremental
                plain['has_dependent_backups'] = backup.has_dependent_backups
                out.append(plain)
            return out
