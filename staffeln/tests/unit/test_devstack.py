"""The devstack plugin's shell passes bashate, warnings included.

So do the devstack tests' own scripts (staffeln/tests/functional/devstack).
"""

import contextlib
import glob
import io
import os

from bashate import bashate
import testtools

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
TESTS = 'staffeln/tests/functional/devstack'
SCRIPTS = ('devstack/plugin.sh', 'devstack/settings',
           'devstack/override-defaults', 'devstack/lib/staffeln',
           f'{TESTS}/phases.sh',
           *sorted(os.path.relpath(path, TOP) for path in glob.glob(
               os.path.join(TOP, TESTS, 'fakes', '*'))))


class TestDevstackPlugin(testtools.TestCase):

    def test_bashate_finds_nothing(self):
        run = bashate.BashateRun()
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            run.check_files([os.path.join(TOP, path) for path in SCRIPTS],
                            verbose=False)
        self.assertEqual((0, 0), (run.error_count, run.warning_count),
                         output.getvalue())
