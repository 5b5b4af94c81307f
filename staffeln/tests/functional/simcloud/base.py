"""Functional tests of the simulated cloud: the real openstacksdk over HTTP."""

from __future__ import annotations

from typing import Any

import openstack.connection
import testtools

from staffeln.tests.simcloud import fixture


class SimCloudTestCase(testtools.TestCase):
    """A fresh simulated cloud per test, with a tenant and its member."""

    def setUp(self) -> None:
        super().setUp()
        self.sim = self.useFixture(fixture.SimCloudFixture())
        self.cloud = self.sim.cloud
        self.project, self.user = self.sim.add_tenant('tenant',
                                                      user='tenant-user')
        self.admin = self.sim.admin_connection()

    def tenant(self) -> openstack.connection.Connection:
        return self.sim.connect(project='tenant', user='tenant-user')

    def calls(self, method: str, path: str) -> int:
        return self.cloud.calls[(method, path)]

    def raw(self, conn: openstack.connection.Connection, service: str,
            method: str, url: str, microversion: str | None = None,
            **kwargs: Any) -> Any:
        """A request through the SDK's proxy, answered raw.

        Auth, catalog and version discovery are the SDK's; error answers
        are returned, not raised.
        """
        proxy = getattr(conn, service)
        return proxy.request(url, method, microversion=microversion,
                             raise_exc=False, **kwargs)

    def assertFault(self, response: Any, code: int, message: str,
                    name: str | None = None) -> None:
        self.assertEqual(code, response.status_code, response.text)
        body = response.json()
        (fault_name, fault), = body.items()
        if name is not None:
            self.assertEqual(name, fault_name)
        self.assertEqual(code, fault['code'])
        self.assertEqual(message, fault['message'])
