"""The short soak of tools/soak.py: real conductors under faults and kills.

Three conductors on MariaDB or PostgreSQL, creates answered late and a
share of every call failing, conductors SIGKILLed (whole, or the worker
alone) and the leader frozen past the lock timeouts; afterwards no backup
without a task, no duplicate, nothing stuck, no incremental without a good
parent, every volume backed up in time. ``tools/soak.py --help`` runs it
longer.
"""

import json
import os
import subprocess
import sys

import testscenarios
from testtools import content

import staffeln
from staffeln.tests import base

load_tests = testscenarios.load_tests_apply_scenarios
SOAK = os.path.join(os.path.dirname(os.path.dirname(staffeln.__file__)),
                    'tools', 'soak.py')


class TestSoak(base.TestCase):

    scenarios = [('mysql', {'backend': 'mysql'}),
                 ('postgresql', {'backend': 'postgresql'})]

    def test_short_soak(self):
        done = subprocess.run(
            [sys.executable, SOAK, '--database', self.backend, '--short'],
            capture_output=True, text=True, timeout=1200)
        self.addDetail('soak-log', content.text_content(done.stderr))
        self.addDetail('soak-result', content.text_content(done.stdout))
        result = json.loads(done.stdout)
        self.assertEqual([], result['violations'])
        self.assertEqual(0, done.returncode)
        actions = result['actions']
        self.assertGreaterEqual(
            actions.get('group_kills', 0) + actions.get('worker_kills', 0),
            10)
        self.assertGreaterEqual(actions.get('freezes', 0), 2)
        self.assertGreater(result['tasks'].get('available', 0),
                           result['volumes'])
