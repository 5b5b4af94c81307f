"""The shipped alert rules name only metrics that /metrics exports.

promtool checks the rules' syntax and their behaviour on synthetic series
(``tools/run-tests.sh lint``); this test keeps them in step with the code.
"""

import os
import re

from staffeln.tests import base

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
RULES = os.path.join(TOP, 'etc', 'staffeln', 'prometheus')
CODE = os.path.join(TOP, 'staffeln', 'api')
NAME = re.compile(r'\bstaffeln_[a-z_]+\b')
#: Suffixes prometheus_client adds to counters and histograms.
SUFFIXES = ('_total', '_bucket', '_count', '_sum')


def exported() -> set[str]:
    names = set()
    for module in ('metrics_families.py', 'metrics_conductors.py'):
        with open(os.path.join(CODE, module)) as f:
            names.update(re.findall(r"'(staffeln_[a-z_]+)'", f.read()))
    return names


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


class TestAlertRules(base.TestCase):

    def test_rules_and_tests_use_exported_metrics(self):
        known = exported()
        self.assertIn('staffeln_project_rpo_breached_volumes', known)
        for filename in ('staffeln-alerts.yaml',
                         'staffeln-alerts-tests.yaml'):
            with open(os.path.join(RULES, filename)) as f:
                text = f.read()
            used = {base_name(n) for n in NAME.findall(text)}
            self.assertTrue(used)
            self.assertEqual(set(), used - known, filename)
