"""The base of the integration tests: Staffeln against the real cloud.

These tests run only with ``STAFFELN_REALCLOUD=1`` (the real Keystone, Nova
and Cinder that ``../shared/realcloud/up.sh`` starts on loopback). Without it
they skip, saying why; with it and no cloud answering, they fail.

:class:`RealCloud` is what an end-to-end test needs: tenants (a fresh project
with a member user, purged on cleanup), volumes, and servers booted from
volume with more volumes attached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import fixtures
import testtools

from staffeln.tests import realcloud

#: Seconds an integration test may take.
TIMEOUT = 1800


class RealCloud(fixtures.Fixture):
    """An admin connection to the real cloud and helpers to populate it."""

    def _setUp(self) -> None:
        self.admin = realcloud.admin_connection()
        # Authenticate now: an unreachable cloud fails here, loudly.
        self.admin.authorize()
        self.has_compute = realcloud.has_compute(self.admin)
        self._flavor: realcloud.Flavor | None = None

    @property
    def flavor_id(self) -> str:
        """A ``disk=0`` flavor, created on first use."""
        if self._flavor is None:
            self._flavor = self.useFixture(realcloud.Flavor(self.admin))
        return self._flavor.id

    def add_tenant(self) -> realcloud.Tenant:
        """A fresh project with a ``member`` user (``.connection``)."""
        return self.useFixture(realcloud.Tenant(self.admin))

    def create_volume(self, tenant: realcloud.Tenant, *, size: int = 1,
                      name: str | None = None,
                      metadata: Mapping[str, str] | None = None) -> Any:
        """An ``available`` volume of the tenant."""
        return realcloud.create_volume(tenant.connection, size=size,
                                       name=name, metadata=metadata)

    def boot_servers(self, tenant: realcloud.Tenant, names: Sequence[str],
                     metadata: Mapping[str, str] | None = None
                     ) -> list[realcloud.BootedServer]:
        """``ACTIVE`` servers, each booted from its own 1 GB volume."""
        return realcloud.boot_servers(tenant.connection, self.flavor_id,
                                      names, metadata=metadata)

    def boot_from_volume(self, tenant: realcloud.Tenant, name: str,
                         metadata: Mapping[str, str] | None = None
                         ) -> realcloud.BootedServer:
        [server] = self.boot_servers(tenant, [name], metadata=metadata)
        return server

    def attach_volume(self, tenant: realcloud.Tenant, server_id: str,
                      volume_id: str) -> None:
        """Attach through Nova; returns once the volume is ``in-use``."""
        realcloud.attach_volume(tenant.connection, server_id, volume_id)


class IntegrationTestCase(testtools.TestCase):
    """A test against the real cloud, with :attr:`cloud` set up."""

    def setUp(self) -> None:
        super().setUp()
        if not realcloud.enabled():
            self.skipTest(f'set {realcloud.ENV_FLAG}=1 to run the tests '
                          'against the real cloud')
        self.useFixture(fixtures.Timeout(TIMEOUT, gentle=True))
        self.cloud = self.useFixture(RealCloud())

    def requires_compute(self) -> None:
        if not self.cloud.has_compute:
            self.skipTest('the real cloud runs without Nova (WITH_NOVA=0)')
