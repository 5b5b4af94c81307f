"""What a tenant writes reaches only that tenant's backups.

Server metadata and names are the tenant's to choose. Whatever they hold,
discovery goes on for everybody else, and the server with the bad value is
told what was wrong.
"""

import os
import subprocess
import sys

from staffeln.db import api as db_api
from staffeln.tests.functional.conductor import base

load_tests = base.load_tests

HOSTILE = ('2739727y', '99999999999y', '9' * 5000, '9' * 5000 + 'y',
           '1' + '0' * 40 + 's', '\x00', '{volume_name}', 'ŝ' * 255)


class TestHostileMetadata(base.ConductorTestCase):

    def test_one_servers_metadata_never_stops_discovery(self):
        acme, evil = self.tenant('acme'), self.tenant('evil')
        self.sim.cloud.set_quota(evil.id, backups=-1, backup_gigabytes=-1)
        good = self.server(acme, 'web', volumes=2)
        hostile = []
        for number, value in enumerate(HOSTILE):
            for key in ('backup_interval', 'backup_retention',
                        'backup_keep'):
                hostile.append(self.server(
                    evil, f'evil-{key}-{number}', metadata={key: value}))
        result = self.make_manager().run_once(self.context)
        self.assertEqual([], result.errors)
        backed_up = {b['volume_id'] for b in self.backups()}
        # The good tenant's volumes, and the hostile ones too: a bad value
        # falls back to the operator's default.
        self.assertLessEqual(set(good.volume_ids), backed_up)
        self.assertEqual(2 + len(hostile), len(backed_up))
        for server in hostile:
            volume = db_api.get_volume(self.context, server.volume_ids[0])
            self.assertTrue(volume.problems, server.name)
            self.assertLess(len(volume.problems), 400, server.name)
            self.assertEqual(86400, volume.interval_s, server.name)

    def test_long_names_are_kept_cut(self):
        acme = self.tenant('acme')
        volume = self.sim.cloud.add_volume(acme.id, name='v' * 300)
        self.sim.cloud.add_server(acme.id, 's' * 300,
                                  metadata={'backup': 'yes'},
                                  volume_ids=[volume.id])
        result = self.make_manager().run_once(self.context)
        self.assertTrue(result.ok, result.errors)
        [task] = self.tasks()
        self.assertEqual('available', task.status)
        self.assertEqual(255, len(task.volume_name))
        self.assertEqual(255, len(db_api.get_volume(
            self.context, volume.id).server_name))

    def test_a_huge_duration_in_the_config_file_is_one_line(self):
        for option, value, why in (
                ('backup_interval', '99999999999y',
                 'longer than the longest duration accepted, 100y'),
                ('max_backup_interval', '9' * 5000 + 'y',
                 'is not a duration')):
            config = self.write_config(conductor={option: value})
            done = subprocess.run(
                [os.path.join(os.path.dirname(sys.executable),
                              'staffeln-manage'), '--config-file', config,
                 'plan'], capture_output=True, text=True, timeout=60)
            self.assertEqual(2, done.returncode, done.stderr)
            lines = done.stderr.strip().splitlines()
            self.assertEqual(1, len(lines), done.stderr)
            self.assertIn(f'[conductor] {option}', lines[0])
            self.assertIn(why, lines[0])
            self.assertLess(len(lines[0]), 400)
