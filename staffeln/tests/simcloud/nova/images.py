"""Nova's createImage server action: snapshots of a server's volumes.

Checked against Nova 2026.1 with the fake virt driver and a real Glance:

* The body is validated first (400 "Invalid input for field/attribute
  createImage. Value: {}. 'name' is a required property"), then the server
  is found (404) and the caller's role checked (403 "Policy doesn't allow
  os_compute_api:servers:create_image to be performed." for a reader).
* A volume-backed server (booted from a volume; its ``image`` is ``""``)
  also needs ``os_compute_api:servers:create_image:allow_volume_backed``
  (project members by default). Its vm_state must be active, stopped,
  paused or suspended (409 "Cannot 'createImage' instance <id> while it is
  in vm_state error"). Nova checks the snapshot quota for all the volumes
  first (403 "Quota exceeded for resources: snapshots", nothing made),
  freezes an active guest, asks Cinder for a forced snapshot of every
  attached volume ("snapshot for <image name>", the volume's description,
  no metadata) in the caller's project, thaws the guest and records an
  ``active`` image of size 0, owned by the caller's project, whose
  ``block_device_mapping`` property (a JSON string) names the snapshots;
  ``bdm_v2`` is ``"True"`` and ``root_device_name`` the root device. The
  answer is 202 with ``{"image_id": ...}`` from microversion 2.45, an empty
  body and a ``Location`` before. The snapshots are still ``creating``
  when it answers.
* A volume Cinder cannot snapshot (``backing-up``, say) fails the call
  half-way: 400 "Invalid input received: Invalid volume: Volume <id> status
  must be available, in-use, but current status is: backing-up. (HTTP 400)
  (Request-ID: req-...)"; the snapshots of the volumes before it stay, and
  no image is recorded.
* An admin calling it on a tenant's server puts the snapshots and the
  image in the admin's project (the image is then ``shared``): Staffeln
  must call it in the server's project.
* An image-booted server's snapshot is an upload of its root disk: no Cinder
  snapshot, and the image is ``queued`` (the fake driver never uploads).

Freezing is not observable through the API. The simulator follows Nova's
source for it: an active guest is frozen when its image properties enable
``hw_qemu_guest_agent`` and the agent answers; otherwise the snapshot goes
on unfrozen, unless ``os_require_quiesce`` is set (400 "QEMU guest agent is
not enabled", or 409 "Failed to quiesce instance: ..." when the agent does
not answer). The fake driver of the real test cloud freezes every active
guest, so these refusals are not contract-tested. Whether an image was
frozen is kept on the image record (``quiesced``) for tests.
"""

from __future__ import annotations

import json
from typing import Any

from staffeln.tests.simcloud.cinder import volumes as volumes_mod
from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud.glance import rules as glance_rules
from staffeln.tests.simcloud import models
from staffeln.tests.simcloud.nova import rules as nova_rules
from staffeln.tests.simcloud import state

CREATE_IMAGE = 'os_compute_api:servers:create_image'
ALLOW_VOLUME_BACKED = CREATE_IMAGE + ':allow_volume_backed'
#: Nova's vm_states in which a server can be snapshotted, by API status.
SNAPSHOT_STATES = ('ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED')
_VM_STATE = {'SHUTOFF': 'stopped', 'ERROR': 'error', 'BUILD': 'building',
             'SHELVED_OFFLOADED': 'shelved_offloaded'}
IMAGE_ID_BODY = (2, 45)
_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')


def _policy(rule: str) -> errors.Forbidden:
    return errors.Forbidden(f"Policy doesn't allow {rule} to be performed.")


def _flag(value: str | None) -> bool:
    return str(value or '').strip().lower() in _TRUE


def _spec(body: Any) -> dict[str, Any]:
    """Nova's create_image schema: a name, optional string metadata."""
    spec = body.get('createImage') if isinstance(body, dict) else None
    if not isinstance(spec, dict) or 'name' not in spec:
        raise errors.BadRequest(
            'Invalid input for field/attribute createImage. Value: '
            f"{spec!r}. 'name' is a required property")
    name = spec['name']
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 255:
        raise errors.BadRequest(
            f'Invalid input for field/attribute name. Value: {name!r}. '
            f"{name!r} is not a 'name'")
    metadata = spec.get('metadata') or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values()):
        raise errors.BadRequest(
            'Invalid input for field/attribute metadata. Value: '
            f"{metadata!r}. {metadata!r} is not of type 'object'")
    return {'name': name.strip(), 'metadata': dict(metadata)}


def _mapping(snapshot: models.Snapshot, device: str | None,
             boot_index: int | None) -> dict[str, Any]:
    """One entry of the image's block_device_mapping, in Nova's order."""
    return {'encryption_format': None, 'volume_id': None,
            'source_type': 'snapshot', 'device_type': None,
            'encryption_secret_uuid': None, 'guest_format': None,
            'volume_type': None, 'snapshot_id': snapshot.id,
            'encryption_options': None, 'disk_bus': None,
            'volume_size': snapshot.size, 'tag': None, 'encrypted': None,
            'device_name': device, 'destination_type': 'volume',
            'boot_index': boot_index, 'no_device': None,
            'delete_on_termination': False, 'image_id': None}


class ServerImageService:
    def __init__(self, cloud: state.Cloud,
                 compute: nova_rules.ComputeService,
                 volumes: volumes_mod.VolumeService,
                 images: glance_rules.ImageService) -> None:
        self.cloud = cloud
        self.compute = compute
        self.volumes = volumes
        self.images = images

    def create_image(self, ctx: ctx_mod.RequestContext, server_id: str,
                     body: Any) -> models.Image:
        spec = _spec(body)
        server = self.compute.get(ctx, server_id)
        self._allow(ctx, CREATE_IMAGE)
        if server.image_id is None:
            self._allow(ctx, ALLOW_VOLUME_BACKED)
        self._check_state(server)
        if server.image_id is not None:
            return self._upload(ctx, server, spec)
        return self._snapshot_volumes(ctx, server, spec)

    def _allow(self, ctx: ctx_mod.RequestContext, rule: str) -> None:
        allowed = ctx.is_admin or 'member' in ctx.roles
        if rule in self.cloud.nova_denied or not allowed:
            raise _policy(rule)

    @staticmethod
    def _check_state(server: models.Server) -> None:
        if server.status not in SNAPSHOT_STATES:
            state = _VM_STATE.get(server.status, server.status.lower())
            raise errors.Conflict(
                f"Cannot 'createImage' instance {server.id} while it is in "
                f'vm_state {state}')

    def _snapshot_volumes(self, ctx: ctx_mod.RequestContext,
                          server: models.Server,
                          spec: dict[str, Any]) -> models.Image:
        project_id = ctx.project_id or ''
        volumes = [self.cloud.volumes.get(v) for v in server.volume_ids]
        limit = self.cloud.quotas.limit(project_id, 'snapshots')
        used = self.cloud.quotas.in_use(project_id, 'snapshots')
        if limit > -1 and used + len(volumes) > limit:
            raise errors.Forbidden(
                'Quota exceeded for resources: snapshots')
        quiesced = self._quiesce(server)
        mapping = []
        for index, volume in enumerate(volumes):
            if volume is None:
                continue
            try:
                snapshot = self.volumes.create_snapshot_force(
                    ctx, volume, f"snapshot for {spec['name']}",
                    volume.description)
            except errors.SimError as refusal:
                # Nova's cinder client error, as it words it; the
                # snapshots made before stay.
                raise errors.BadRequest(
                    f'Invalid input received: {refusal.message} (HTTP '
                    f'{refusal.code}) (Request-ID: '
                    f'req-{self.cloud.ids.uuid()})') from None
            device = next((a.device for a in volume.attachments
                           if a.server_id == server.id), None)
            mapping.append(_mapping(snapshot, device,
                                    0 if index == 0 else None))
        properties = self._inherited(server)
        properties.update(spec['metadata'])
        properties['root_device_name'] = (
            mapping[0]['device_name'] if mapping else '/dev/vda')
        if mapping:
            properties['block_device_mapping'] = json.dumps(mapping)
            properties['bdm_v2'] = 'True'
        return self.images.add(
            project_id, spec['name'], 'active', properties,
            visibility=self._visibility(ctx, server), quiesced=quiesced)

    def _upload(self, ctx: ctx_mod.RequestContext, server: models.Server,
                spec: dict[str, Any]) -> models.Image:
        """An image-booted server: its disk is uploaded, nothing else."""
        properties = self._inherited(server)
        properties.update({'base_image_ref': server.image_id or '',
                           'instance_uuid': server.id,
                           'user_id': server.user_id,
                           'image_type': 'snapshot'})
        properties.update(spec['metadata'])
        return self.images.add(
            ctx.project_id or '', spec['name'], 'queued', properties,
            size=None, disk_format=None, container_format=None,
            min_disk=1, visibility=self._visibility(ctx, server))

    def _inherited(self, server: models.Server) -> dict[str, str]:
        """The properties Nova copies from the server's boot image."""
        identity = self.cloud.identity
        project = identity.find_project(server.project_id)
        user = identity.users.get(server.user_id)
        properties = dict(server.image_properties)
        properties.update({
            'base_image_ref': '',
            'owner_user_name': user.name if user else '',
            'owner_project_name': project.name if project else '',
            'boot_roles': 'reader,member'})
        return properties

    @staticmethod
    def _visibility(ctx: ctx_mod.RequestContext,
                    server: models.Server) -> str:
        return 'private' if ctx.project_id == server.project_id else (
            'shared')

    def _quiesce(self, server: models.Server) -> bool:
        """Freeze an active guest; whether it was frozen (see above)."""
        if server.status != 'ACTIVE':
            return False
        props = server.image_properties
        if not _flag(props.get('hw_qemu_guest_agent')):
            refusal: errors.SimError = errors.BadRequest(
                'QEMU guest agent is not enabled')
        elif not server.guest_agent_answers:
            refusal = errors.Conflict(
                'Failed to quiesce instance: the guest agent did not '
                'answer')
        else:
            return True
        if _flag(props.get('os_require_quiesce')):
            raise refusal
        return False
