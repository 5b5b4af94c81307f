"""Seed scenarios."""

import testtools

from staffeln.tests.simcloud import seed
from staffeln.tests.simcloud import state


class TestSeed(testtools.TestCase):

    def test_demo(self):
        cloud = state.Cloud()
        summary = seed.seed(cloud, 'demo')
        self.assertEqual({'alpha', 'beta', 'gamma'},
                         set(summary['projects']))
        self.assertEqual('error', cloud.volume(summary['error_volume']).status)
        skipped = [v for v in cloud.volumes.values()
                   if v.metadata.get('backup_skip') == 'yes']
        self.assertEqual(1, len(skipped))
        opted = [s for s in cloud.servers.values()
                 if s.metadata.get('backup', '').lower() in ('yes', 'true')]
        self.assertEqual(4, len(opted))
        self.assertIsNotNone(cloud.identity.find_user(seed.SERVICE_USER))

    def test_bench(self):
        cloud = state.Cloud()
        summary = seed.seed(cloud, 'bench', projects=7, servers=1000,
                            tagged=100, volumes_per_server=2)
        self.assertEqual(2000, summary['volumes'])
        self.assertEqual(1000, len(cloud.servers))
        self.assertEqual(100, sum(1 for s in cloud.servers.values()
                                  if s.tags == ['backup']))
        project = cloud.project('bench-00000')
        self.assertEqual(143 * 2, cloud.quotas.in_use(project.id,
                                                      'volumes'))
        self.assertEqual(-1, cloud.quotas.limit(project.id, 'backups'))

    def test_same_seed_same_ids(self):
        first, second = state.Cloud(), state.Cloud()
        seed.seed(first, 'demo')
        seed.seed(second, 'demo')
        self.assertEqual(sorted(first.servers.values(), key=lambda s: s.id),
                         sorted(second.servers.values(), key=lambda s: s.id))

    def test_unknown_scenario(self):
        self.assertRaises(ValueError, seed.seed, state.Cloud(), 'nope')
