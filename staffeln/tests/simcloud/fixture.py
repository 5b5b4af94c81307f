"""A test fixture: the simulated cloud served over HTTP for one test."""

from __future__ import annotations

from typing import Any

import fixtures
import openstack.connection

from staffeln.common import clock as clock_mod
from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import server as server_mod
from staffeln.tests.simcloud import state

REGION = 'RegionOne'


class SimCloudFixture(fixtures.Fixture):
    """``.cloud``, ``.clock``, ``.url``, ``.auth_url`` and ``.connect()``.

    Extra keyword arguments go to :class:`state.Cloud` (``backup_duration``
    and friends).
    """

    def __init__(self, clock: clock_mod.Clock | None = None,
                 **cloud_options: Any) -> None:
        super().__init__()
        self._clock = clock
        self._cloud_options = cloud_options

    def _setUp(self) -> None:
        self.clock = self._clock or clock_mod.ManualClock()
        self.cloud = state.Cloud(self.clock, **self._cloud_options)
        self.server = server_mod.SimServer(self.cloud).start()
        self.addCleanup(self.server.stop)
        self.url = self.server.url
        self.auth_url = f'{self.url}/identity/v3'

    def connect(self, project: str = 'admin', user: str = 'admin',
                password: str = state.ADMIN_PASSWORD,
                domain: str = 'Default',
                **options: Any) -> openstack.connection.Connection:
        """An SDK connection from explicit auth arguments.

        No clouds.yaml and no OS_* variables are read.
        """
        conn = openstack.connection.Connection(
            auth_type='password',
            auth_url=self.auth_url, username=user, password=password,
            project_name=project, user_domain_name=domain,
            project_domain_name=domain, region_name=REGION,
            identity_api_version='3', **options)
        self.addCleanup(conn.close)
        return conn

    def admin_connection(self, **options: Any
                         ) -> openstack.connection.Connection:
        return self.connect(**options)

    def add_tenant(self, name: str, user: str | None = None,
                   password: str = 'secret'
                   ) -> tuple[models.Project, models.User]:
        """A project with a member user (named ``user`` or ``<name>-user``)."""
        project = self.cloud.add_project(name)
        member = self.cloud.add_user(user or f'{name}-user', password,
                                     email=f'{user or name}@example.org',
                                     roles={project.id: ['member']})
        return project, member
