"""The conductor in-process against the simulated cloud and a real DB."""

import os
import subprocess
import sys

from keystoneauth1 import loading as ks_loading
import testscenarios

from staffeln.cloud import client as cloud_client
from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln.conductor import manager
from staffeln.db import api as db_api
from staffeln.tests import base
from staffeln.tests.functional import db_fixture
from staffeln.tests.simcloud import fixture as sim_fixture

load_tests = testscenarios.load_tests_apply_scenarios

SERVICE_USER = 'staffeln'
SERVICE_PASSWORD = 'staffeln-secret'


def configure_cloud(conf, sim) -> None:
    """Point ``[openstack]`` at the simulator as Staffeln's service user.

    The service user is an admin (to list every project's servers) with an
    inherited member role on the domain, so it can scope to any project.
    """
    cloud = sim.cloud
    cloud.add_user(SERVICE_USER, SERVICE_PASSWORD,
                   roles={cloud.service_project.id: ['admin']},
                   inherited_roles=['member'])
    conf.register_opts(ks_loading.get_auth_plugin_conf_options('password'),
                       group='openstack')
    for key, value in {
            'auth_type': 'password', 'auth_url': sim.auth_url,
            'username': SERVICE_USER, 'password': SERVICE_PASSWORD,
            'project_name': 'service', 'user_domain_name': 'Default',
            'project_domain_name': 'Default',
            'region_name': sim_fixture.REGION}.items():
        conf.set_override(key, value, group='openstack')


class ConductorTestCase(base.TestCase):
    """One test per database backend, each with a fresh cloud."""

    scenarios = db_fixture.scenarios()

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(db_fixture.Database(self.backend))
        self.sim = self.useFixture(
            sim_fixture.SimCloudFixture(clock=self.make_clock()))
        self.clock = self.sim.clock
        configure_cloud(self.conf, self.sim)
        self.flags(group='conductor', run_once_poll_interval=30)
        self.context = staffeln_context.get_admin_context()

    def make_clock(self):
        return clock.ManualClock()

    def make_manager(self, notifier=None) -> manager.Manager:
        cloud = cloud_client.Cloud(self.conf, sleep=lambda s: None)
        return manager.Manager(self.conf, cloud, self.clock, notifier)

    def tenant(self, name: str):
        project, _user = self.sim.add_tenant(name)
        return project

    def server(self, project, name: str, volumes: int = 1, size: int = 1,
               metadata: dict | None = None, tags=None,
               opted_in: bool = True):
        """A server with ``volumes`` attached volumes (in-use)."""
        meta = {'backup': 'yes'} if opted_in else {}
        meta.update(metadata or {})
        vols = [self.sim.cloud.add_volume(project.id, size=size,
                                          name=f'{name}-vol{i}')
                for i in range(volumes)]
        return self.sim.cloud.add_server(project.id, name, metadata=meta,
                                         tags=tags,
                                         volume_ids=[v.id for v in vols])

    def write_config(self, **sections) -> str:
        """A config file for Staffeln's commands run as processes.

        It points at this test's database and simulated cloud; keyword
        arguments add sections, e.g. ``conductor={'poll_interval': 1}``.
        """
        values = {
            'DEFAULT': {'host': 'conductor-1',
                        'state_path': self.conf.state_path},
            'database': {'connection': self.db.url},
            'openstack': {
                'auth_type': 'password', 'auth_url': self.sim.auth_url,
                'username': SERVICE_USER, 'password': SERVICE_PASSWORD,
                'project_name': 'service', 'user_domain_name': 'Default',
                'project_domain_name': 'Default',
                'region_name': sim_fixture.REGION},
        }
        for section, options in sections.items():
            values.setdefault(section, {}).update(options)
        path = os.path.join(self.conf.state_path, 'staffeln.conf')
        with open(path, 'w') as f:
            for section, options in values.items():
                f.write(f'[{section}]\n')
                f.writelines(f'{k} = {v}\n' for k, v in options.items())
        return path

    def run_once_process(self, config: str, failpoint: str | None = None):
        """``staffeln-manage run-once`` as a process.

        It kills itself (SIGKILL) at ``failpoint``, if one is given
        (:mod:`staffeln.tests.failpoints`).
        """
        return subprocess.run(
            [sys.executable, '-m', 'staffeln.tests.failpoints',
             failpoint or '-', 'staffeln-manage', '--config-file', config,
             'run-once'],
            capture_output=True, text=True, timeout=120)

    def tasks(self, **filters):
        return db_api.list_tasks(self.context, **filters)

    def backups(self):
        return self.sim.cloud.all_backups()
