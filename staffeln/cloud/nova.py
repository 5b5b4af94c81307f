"""Nova: the servers of every project, and their metadata."""

from openstack import exceptions as sdk_exc

from staffeln.cloud import calls
from staffeln.cloud import records

#: Compute API microversion of server listings: 2.26 adds server tags.
COMPUTE_MICROVERSION = '2.26'


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
