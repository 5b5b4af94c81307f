"""Which volumes Staffeln backs up, and what it costs to find them."""

import math

from staffeln.db import api as db_api
from staffeln.tests.functional.conductor import base
from staffeln.tests.simcloud import fixture as sim_fixture

load_tests = base.load_tests


class TestDiscovery(base.ConductorTestCase):

    def test_opted_in_servers_volumes_are_backed_up(self):
        project = self.tenant('acme')
        values = ('yes', 'True', '1', 'ON')
        opted = [self.server(project, f'in-{v}', metadata={'backup': v})
                 for v in values]
        self.server(project, 'no', metadata={'backup': 'no'})
        self.server(project, 'untagged', opted_in=False)
        result = self.make_manager().run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        backed_up = {b['volume_id'] for b in self.backups()}
        self.assertEqual({s.volume_ids[0] for s in opted}, backed_up)

    def test_tag_opts_in_when_configured(self):
        project = self.tenant('acme')
        tagged = self.server(project, 'tagged', opted_in=False,
                             tags=['nightly-backup'])
        result = self.make_manager().run_once(self.context)
        self.assertEqual([], result.tasks)
        self.flags(group='conductor', backup_tag='nightly-backup')
        result = self.make_manager().run_once(self.context)
        self.assertEqual([tagged.volume_ids[0]],
                         [t.volume_id for t in result.tasks])

    def test_skip_key_and_bad_status_are_recorded_not_dropped(self):
        project = self.tenant('acme')
        server = self.server(project, 'web', volumes=3)
        skip, broken, good = server.volume_ids
        self.sim.cloud.volume(skip).metadata['backup_skip'] = 'Yes'
        self.sim.cloud.volume(broken).status = 'error'
        result = self.make_manager().run_once(self.context)
        self.assertEqual([good], [t.volume_id for t in result.tasks])
        reasons = {c.volume.id: c.skip_reason for c in result.skipped}
        self.assertEqual(
            {skip: 'opted out by volume metadata backup_skip',
             broken: 'volume status is error'}, reasons)
        self.assertEqual('volume status is error',
                         db_api.get_volume(self.context, broken).skip_reason)

    def test_volume_on_two_servers_is_backed_up_once(self):
        project = self.tenant('acme')
        first = self.server(project, 'first')
        second = self.server(project, 'second', volumes=0)
        self.sim.cloud.attach(second, first.volume_ids[0])
        result = self.make_manager().run_once(self.context)
        self.assertEqual(1, len(result.tasks))
        self.assertEqual(1, len(self.backups()))

    def test_per_project_volume_limit(self):
        self.flags(group='conductor', max_volumes_per_project=2)
        project = self.tenant('acme')
        self.server(project, 'big', volumes=3)
        result = self.make_manager().run_once(self.context)
        self.assertEqual(2, len(result.tasks))
        self.assertEqual(['over the limit of 2 volumes backed up per '
                          'project'],
                         [c.skip_reason for c in result.skipped])

    def _discovery_calls(self, projects: int, servers: int) -> int:
        """Calls of one discovery in a fresh cloud of that shape."""
        self.sim = self.useFixture(sim_fixture.SimCloudFixture())
        base.configure_cloud(self.conf, self.sim)
        for p in range(projects):
            project = self.tenant(f'p{p}')
            for s in range(servers // projects):
                self.server(project, f'p{p}-s{s}', volumes=2)
        mgr = self.make_manager()
        mgr.cloud.connections.service().authorize()
        self.sim.cloud.reset_calls()
        mgr.discover_and_schedule(self.context)
        return sum(self.sim.cloud.calls.values())

    def test_discovery_cost_does_not_grow_with_projects(self):
        page = 10
        self.flags(group='openstack', page_size=page)
        servers, volumes = 40, 80
        one = self._discovery_calls(projects=1, servers=servers)
        many = self._discovery_calls(projects=20, servers=servers)
        self.assertEqual(one, many)
        # One page each, one empty page after a full last page, and the
        # version discovery of compute and block storage.
        self.assertLessEqual(
            many, math.ceil(servers / page) + math.ceil(volumes / page) + 5)

    def test_override_problems_are_recorded_at_discovery(self):
        project = self.tenant('acme')
        server = self.server(project, 'web', metadata={
            'backup_interval': 'often', 'backup_retention': '1d',
            'backup_keep': 'daily=7'})
        self.make_manager().discover_and_schedule(self.context)
        volume = db_api.get_volume(self.context, server.volume_ids[0])
        problems = volume.problems.splitlines()
        self.assertEqual(2, len(problems), problems)
        self.assertIn("backup_interval ignored: 'often' is not a duration",
                      problems[0])
        self.assertIn('backup_retention 1d is shorter than the minimum 1w',
                      problems[1])
