"""What the tests of the devstack plugin share."""

from __future__ import annotations

import configparser
import time

import requests
import testtools

from staffeln.tests.functional.devstack import sandbox
from staffeln.tests.simcloud import fixture as sim_fixture

#: local.conf's SERVICE_PASSWORD, which the plugin gives Staffeln's user.
SERVICE_PASSWORD = 'secret'


def ini(path: str) -> configparser.ConfigParser:
    """An INI file as devstack's iniset writes it."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(path)
    return parser


class TestCase(testtools.TestCase):

    def devstack(self, *localrc: str, keystone: str | None = None
                 ) -> sandbox.Devstack:
        """Devstack whose local.conf has ``localrc`` lines (IPv4 if none)."""
        return self.useFixture(sandbox.Devstack(
            '\n'.join(localrc or ['HOST_IP=127.0.0.1']), keystone=keystone))

    def keystone(self, user: bool = True, inherited: bool = True) -> str:
        """A simulated cloud; the ``host:port`` of its Keystone.

        With ``user``, it has the ``staffeln`` user that the plugin's
        (recorded) openstack calls would have made: admin in the service
        project and, with ``inherited``, member inherited on the domain.
        """
        sim = self.useFixture(sim_fixture.SimCloudFixture())
        if user:
            sim.cloud.add_user(
                'staffeln', SERVICE_PASSWORD,
                roles={sim.cloud.service_project.id: ['admin']},
                inherited_roles=['member'] if inherited else [])
        return sim.url.split('://', 1)[1]

    def wait_for(self, url: str, timeout: float = 60) -> requests.Response:
        """GET ``url`` once the process behind it answers."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return requests.get(url, timeout=10)
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
