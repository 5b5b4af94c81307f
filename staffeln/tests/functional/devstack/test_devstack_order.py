"""Devstack's scripts still run things in the order phases.sh follows.

The plugin relies on it: Cinder is configured after the "stack
pre-install" phase, where the plugin picks the backup driver; plugins
unstack before unstack.sh -a stops the database server; clean.sh runs
unstack.sh -a before the "clean" phase.
"""

import os

import testtools

from staffeln.tests.functional.devstack import sandbox


class TestDevstackOrder(testtools.TestCase):

    def assertRunsInOrder(self, script, *lines):
        with open(os.path.join(sandbox.DEVSTACK, script)) as f:
            script_lines = [line.strip() for line in f]
        positions = []
        for line in lines:
            self.assertIn(line, script_lines, script)
            positions.append(script_lines.index(line))
        self.assertEqual(sorted(positions), positions,
                         f'{script} runs {lines} in another order')

    def test_stack(self):
        self.assertRunsInOrder(
            'stack.sh', 'run_phase override_defaults',
            'source $TOP_DIR/lib/cinder', 'run_phase source',
            'run_phase stack pre-install', 'configure_cinder',
            'run_phase stack install', 'run_phase stack post-config',
            'start_cinder', 'run_phase stack extra')

    def test_unstack(self):
        self.assertRunsInOrder(
            'unstack.sh', 'run_phase override_defaults',
            'source $TOP_DIR/lib/cinder', 'load_plugin_settings',
            'run_phase unstack', 'stop_service mysql',
            'stop_service postgresql')

    def test_clean(self):
        self.assertRunsInOrder(
            'clean.sh', '$TOP_DIR/unstack.sh --all', 'run_phase clean',
            'cleanup_database')
