"""A conductor that cannot work says so in one line and exits."""

import os
import subprocess
import sys

from staffeln.tests.functional.conductor import base
from staffeln.tests.functional import db_fixture

load_tests = base.load_tests
CONDUCTOR = os.path.join(os.path.dirname(sys.executable),
                         'staffeln-conductor')


class TestStartup(base.ConductorTestCase):

    scenarios = db_fixture.scenarios(('sqlite',))

    def start(self, **sections) -> subprocess.CompletedProcess:
        config = self.write_config(**sections)
        return subprocess.run([CONDUCTOR, '--config-file', config],
                              capture_output=True, text=True, timeout=120)

    def assertOneLine(self, done, *fragments):
        self.assertEqual(2, done.returncode, done.stderr)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        self.assertEqual(1, len(lines), done.stderr)
        self.assertNotIn('Traceback', done.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def test_an_unreachable_database(self):
        done = self.start(database={
            'connection': 'mysql+pymysql://nobody@127.0.0.1:1/staffeln',
            'max_retries': 1, 'retry_interval': 1})
        self.assertOneLine(done, 'cannot reach the database')

    def test_a_misspelt_coordination_backend(self):
        done = self.start(coordination={
            'backend_url': 'reddis://127.0.0.1:6379'})
        self.assertOneLine(done, '[coordination] backend_url',
                           'names no tooz driver')
