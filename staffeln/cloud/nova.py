"""Nova: the servers of every project, their metadata, and createImage."""

from openstack import exceptions as sdk_exc

from staffeln.cloud import calls
from staffeln.cloud import errors
from staffeln.cloud import records
from staffeln.common import exception

#: Compute API microversion of server listings: 2.26 adds server tags.
COMPUTE_MICROVERSION = '2.26'
#: createImage answers with the image's id from 2.45 on (before, only in a
#: Location header).
CREATE_IMAGE_MICROVERSION = '2.45'


class NovaCalls(calls.Calls):

    def list_servers(self) -> list[records.Server]:
        """Every server of every project, one paginated listing."""
        return self._list('listing servers', lambda: self._service.compute,
                          '/servers/detail', 'servers', records.server,
                          microversion=COMPUTE_MICROVERSION)

    def set_server_metadata(self, server_id: str, key: str, value: str,
                            retry: bool = True) -> None:
        self._call(f'setting metadata {key} of server {server_id}',
                   lambda: self._service.compute.set_server_metadata(
                       server_id, **{key: value}), retry=retry)

    def check_all_projects_listing(self) -> None:
        """Raise CloudError unless every project's servers can be listed.

        One request for one server; Nova answers 403 to a non-admin.
        """
        def fetch():
            # Inside: the first use of a proxy authenticates.
            response = self._service.compute.get(
                '/servers/detail', params={'all_tenants': 1, 'limit': 1},
                microversion=COMPUTE_MICROVERSION)
            sdk_exc.raise_from_response(response)
        self._call('listing the servers of all projects', fetch)

    def create_server_image(self, project_id: str, server_id: str,
                            name: str, metadata: dict) -> str:
        """Nova's createImage of a server, in the server's project; its id.

        For a volume-backed server Nova freezes the guest (when its image
        enables the guest agent), has Cinder snapshot every attached volume
        ("snapshot for <name>") and records an image of no data whose
        block device mapping names the snapshots; the snapshots are still
        ``creating`` when this returns. In the server's project, because
        the snapshots and the image belong to the caller's project.
        ``metadata`` becomes image properties.

        Never sent twice: not retried here, nor by openstacksdk
        (``connect_retries=0``). After an ambiguous failure the caller
        must look for the snapshots and the image by ``name`` before trying
        again.

        :raises QuotaExceeded: the snapshot quota cannot take one
            snapshot per volume (nothing was made).
        :raises ServerBusy: the server's state does not allow it.
        :raises QuiesceFailed: the image requires a frozen guest and it
            could not be frozen.
        :raises VolumeBusy: Cinder could not snapshot one of the volumes
            (a backup of it is being made, say). Nova stops there: the
            snapshots of the volumes before it are left, and no image is
            recorded; the caller deletes them (found by name).
        """
        body = {'createImage': {'name': name, 'metadata': dict(metadata)}}

        def create(conn):
            response = conn.compute.post(
                f'/servers/{server_id}/action', json=body,
                microversion=CREATE_IMAGE_MICROVERSION, connect_retries=0)
            sdk_exc.raise_from_response(response)
            return response.json()['image_id']
        try:
            return self._project_call(
                project_id, f'creating an image of server {server_id}',
                create)
        except exception.ProjectUnavailable:
            raise
        except exception.CloudError as exc:
            raise errors.server_image_error(exc) from exc
