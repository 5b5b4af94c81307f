"""The layout rules of doc/source/contributor/architecture.rst, enforced.

Each package may import only the packages its row of the table allows;
only the cloud adapter speaks openstacksdk and keystoneauth; no product
code imports the tests (the simulated cloud among them); and no module or
function grows past the size a reader takes in at once.
"""

import ast
import os

import testtools

import staffeln

ROOT = os.path.dirname(staffeln.__file__)

#: package -> the packages (or modules) of Staffeln it may import.
ALLOWED = {
    'common': set(),
    'conf': {'common'},
    'db': {'common'},
    'rules': {'common', 'db.states'},
    'cloud': {'common'},
    'policies': set(),
    'actions': {'common', 'conf', 'rules', 'db'},
    'conductor': {'common', 'conf', 'rules', 'db', 'cloud', 'actions'},
    'api': {'common', 'conf', 'rules', 'db', 'cloud', 'policies',
            'actions'},
    'cmd': {'common', 'conf', 'rules', 'db', 'cloud', 'policies',
            'actions', 'conductor', 'api'},
    'wsgi': {'common', 'api', 'cmd'},
    # The openstack CLI plugin: a client of the REST API, nothing more.
    'osc': set(),
    # The Horizon plugin: a client of the REST API too.
    'dashboard': set(),
}

#: Third-party packages only the cloud adapter may import, and the few
#: modules elsewhere that only register their configuration options.
CLOUD_LIBRARIES = ('openstack', 'keystoneauth1')
REGISTERS_OPTIONS = {'conf/openstack.py': {'keystoneauth1.loading'}}

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def product_modules():
    """(path relative to the package, parsed module) of product code."""
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = os.path.relpath(dirpath, ROOT)
        parts = rel.split(os.sep)
        if parts[0] == 'tests' or 'migrations' in parts:
            dirnames.clear()
            continue
        for name in filenames:
            if name.endswith('.py'):
                path = os.path.normpath(os.path.join(rel, name))
                with open(os.path.join(ROOT, path)) as f:
                    source = f.read()
                yield path, source, ast.parse(source)


def imported_names(tree):
    """What the imports of ``tree`` name: a.b.c for ``from a.b import c``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield f'{node.module}.{alias.name}'


def staffeln_target(name: str) -> str | None:
    """``db.api`` for ``staffeln.db.api``; None for other packages."""
    if not name.startswith('staffeln.'):
        return None
    return name[len('staffeln.'):]


def import_violations(path: str, tree) -> list[str]:
    """The imports of the module at ``path`` that the rules forbid."""
    wrong = []
    package = path.split(os.sep)[0].removesuffix('.py')
    for name in imported_names(tree):
        if name.split('.')[0] in CLOUD_LIBRARIES and \
                package != 'cloud' and \
                name not in REGISTERS_OPTIONS.get(path, ()):
            wrong.append(f'{path} imports {name}')
        target = staffeln_target(name)
        if target is None or package not in ALLOWED:
            continue
        top = target.split('.')[0]
        if top not in ALLOWED and top != 'tests':
            continue  # "from staffeln import conf" names a package
        allowed = ALLOWED[package] | {package}
        if not any(target == a or target.startswith(a + '.')
                   for a in allowed):
            wrong.append(f'{path} imports staffeln.{target}')
    return wrong


class TestImports(testtools.TestCase):

    def test_every_module_imports_only_what_the_rules_allow(self):
        wrong = []
        for path, _, tree in product_modules():
            wrong.extend(import_violations(path, tree))
        self.assertEqual([], sorted(set(wrong)))

    def test_forbidden_imports_are_caught(self):
        for path, source in (
                ('common/clock.py', 'from staffeln.db import api'),
                ('db/api.py', 'from staffeln.conductor import backups'),
                ('api/tasks.py', 'from staffeln.conductor import manager'),
                ('conductor/backups.py', 'from staffeln.api import app'),
                ('conductor/backups.py', 'import openstack'),
                ('api/app.py', 'from keystoneauth1 import session'),
                ('cmd/manage/cycle.py',
                 'from staffeln.tests.simcloud import state'),
                ('rules/schedule.py', 'from staffeln.db import api'),
                ('dashboard/api.py', 'from staffeln.db import api'),
                ('dashboard/api.py', 'from keystoneauth1 import session')):
            self.assertNotEqual([], import_violations(
                path, ast.parse(source)), f'{path}: {source}')

    def test_allowed_imports_pass(self):
        for path, source in (
                ('conductor/backups.py', 'from staffeln.db import api'),
                ('api/app.py', 'from staffeln import policies'),
                ('cloud/client.py', 'from openstack import connection'),
                ('conf/openstack.py',
                 'from keystoneauth1 import loading as ks_loading')):
            self.assertEqual([], import_violations(path, ast.parse(source)))


class TestSizes(testtools.TestCase):

    def test_no_module_is_too_long(self):
        long = [f'{path}: {source.count(chr(10))} lines'
                for path, source, _ in product_modules()
                if source.count('\n') > MAX_MODULE_LINES]
        self.assertEqual([], long)

    def test_no_function_is_too_long(self):
        long = []
        for path, _, tree in product_modules():
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        long.append(f'{path}: {node.name}() {lines} lines')
        self.assertEqual([], long)
