"""``staffeln-manage retention preview`` as an operator runs it."""

import os
import subprocess
import sys

from staffeln.db import states
from staffeln.tests.functional.conductor import base as conductor_base
from staffeln.tests.functional.retention import base
from staffeln.tests.simcloud import fixture as sim_fixture

load_tests = base.load_tests
MANAGE = os.path.join(os.path.dirname(sys.executable), 'staffeln-manage')


class TestPreviewCommand(base.RetentionTestCase):

    # The command runs in its own process with the wall clock, long after
    # the simulator's backups (January 2026): all are older than 14 days.
    scenarios = [('sqlite', {'backend': 'sqlite'})]

    def manage(self, *args, extra: str = ''):
        config = os.path.join(self.conf.state_path, 'staffeln.conf')
        with open(config, 'w') as f:
            f.write(f'[database]\nconnection = {self.db.url}\n'
                    f'[openstack]\nauth_type = password\n'
                    f'auth_url = {self.sim.auth_url}\n'
                    f'username = {conductor_base.SERVICE_USER}\n'
                    f'password = {conductor_base.SERVICE_PASSWORD}\n'
                    f'project_name = service\n'
                    f'user_domain_name = Default\n'
                    f'project_domain_name = Default\n'
                    f'region_name = {sim_fixture.REGION}\n{extra}')
        return subprocess.run([MANAGE, '--config-file', config, *args],
                              capture_output=True, text=True, timeout=300)

    def test_preview_lists_and_changes_nothing(self):
        acme = self.tenant('acme')
        self.server(acme, 'web')
        self.server(self.tenant('globex'), 'app')
        self.history(5)
        result = self.manage('retention', 'preview')
        self.assertEqual(0, result.returncode, result.stderr)
        lines = result.stdout.splitlines()
        # Per volume: 5 (incremental) is the last good backup, 4 (its
        # full) is needed, 1 to 3 go.
        self.assertEqual('Retention preview: 10 backups, 4 kept, 6 to '
                         'delete.', lines[0])
        self.assertEqual(2, sum(1 for line in lines
                                if 'keep    last good backup' in line))
        self.assertEqual(2, sum(1 for line in lines
                                if 'needed by kept incremental' in line))
        self.assertEqual(6, sum(1 for line in lines if ' DELETE ' in line))
        self.assertEqual([states.AVAILABLE],
                         sorted({t.status for t in self.tasks()}))

        mine = self.manage('retention', 'preview', '--project', acme.id)
        self.assertEqual(0, mine.returncode, mine.stderr)
        self.assertIn('5 backups, 2 kept, 3 to delete', mine.stdout)
        self.assertNotIn('globex', mine.stdout)

    def test_a_retention_time_outside_the_bounds_is_refused(self):
        result = self.manage('retention', 'preview',
                             extra='[retention]\nretention_time = 2d\n')
        self.assertEqual(2, result.returncode)
        self.assertEqual(
            ['staffeln-manage: error: [retention] retention_time (2d) is '
             'not within min_retention (1w) and max_retention (1y)'],
            result.stderr.strip().splitlines())
