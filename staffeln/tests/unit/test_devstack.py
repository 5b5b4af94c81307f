"""The devstack plugin's shell passes bashate, warnings included."""

import contextlib
import io
import os

from bashate import bashate
import testtools

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SCRIPTS = ('devstack/plugin.sh', 'devstack/settings', 'devstack/lib/staffeln')


class TestDevstackPlugin(testtools.TestCase):

    def test_bashate_finds_nothing(self):
        run = bashate.BashateRun()
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            run.check_files([os.path.join(TOP, path) for path in SCRIPTS],
                            verbose=False)
        self.assertEqual((0, 0), (run.error_count, run.warning_count),
                         output.getvalue())
