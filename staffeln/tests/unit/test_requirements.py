"""The requirement files declare what the code imports, and no more.

requirements.txt lists every third-party package that Staffeln's code
imports and nothing else (pbr aside); test-requirements.txt adds what the
tests and tools import or run. The Horizon plugin (staffeln/dashboard)
may import the ``dashboard`` extra of setup.cfg too, and the browser tests
(staffeln/tests/browser) that and browser-requirements.txt.
lower-constraints.txt pins each requirement of the first two files at its
declared lower bound, which ``tox -e lower-constraints`` proves.
"""

import ast
import configparser
import importlib.metadata
import inspect
import os
import re
import sys

import testtools

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

#: Declared but not imported, for a reason: pbr builds the package and
#: gives its version; hacking is a flake8 plugin; stestr runs the tests;
#: PyMySQL and psycopg2 are the drivers that SQLAlchemy loads for the
#: functional tests' mysql+pymysql:// and postgresql+psycopg2:// URLs;
#: python-openstackclient is the ``openstack`` command the CLI tests run.
NOT_IMPORTED = {'pbr', 'hacking', 'stestr', 'pymysql', 'psycopg2-binary',
                'python-openstackclient'}

#: Who provides the modules of the plugin and the browser tests where the
#: environment lacks them: only the browser tier installs them.
BROWSER_TIER_PROVIDERS = {'horizon': {'horizon'},
                          'openstack_dashboard': {'horizon'},
                          'django': {'django'}, 'selenium': {'selenium'}}
DASHBOARD = 'staffeln/dashboard'
BROWSER_TESTS = 'staffeln/tests/browser'

REQUIREMENT = re.compile(
    r'^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(?P<spec>[^#]*)')


def canonical(name: str) -> str:
    """A distribution's name as PyPI compares names."""
    return re.sub(r'[-_.]+', '-', name).lower()


def parse_requirements(lines) -> dict[str, str]:
    """Canonical name -> its version specifier."""
    found = {}
    for line in lines:
        match = REQUIREMENT.match(line.strip())
        if match:
            found[canonical(match['name'])] = match['spec'].strip()
    return found


def requirements(filename: str) -> dict[str, str]:
    """Canonical name -> its version specifier, from a requirements file."""
    with open(os.path.join(TOP, filename)) as f:
        return parse_requirements(f)


def extra(name: str) -> dict[str, str]:
    """Canonical name -> its version specifier, from setup.cfg's extra."""
    config = configparser.ConfigParser()
    config.read(os.path.join(TOP, 'setup.cfg'))
    return parse_requirements(config['extras'][name].splitlines())


def lower_bound(spec: str) -> str | None:
    """X of ``>=X`` in a version specifier."""
    for part in spec.split(','):
        if part.strip().startswith('>='):
            return part.strip()[2:]
    return None


def imported_modules(tree):
    """The top-level modules that the imports in ``tree`` name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split('.')[0]


def optional_modules(tree) -> set[str]:
    """The modules that ``tree`` imports under ``except ImportError``."""
    optional = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        caught = {ast.unparse(h.type) for h in node.handlers if h.type}
        if caught & {'ImportError', 'ModuleNotFoundError'}:
            for stmt in node.body:
                optional.update(imported_modules(stmt))
    return optional


def third_party_imports(paths) -> dict[str, str]:
    """Top-level third-party module -> a file that imports it.

    A module imported under ``except ImportError`` is optional: it is left
    out, with every other import of it in that file. So is a module beside
    the importing file (a script's own directory is first on its path, as
    for the benchmarks in tools/).
    """
    found = {}
    for path in paths:
        with open(path) as f:
            tree = ast.parse(f.read())
        optional = optional_modules(tree)
        here = os.path.dirname(path)
        for top in imported_modules(tree):
            if top == 'staffeln' or top in sys.stdlib_module_names or \
                    top in optional or \
                    os.path.exists(os.path.join(here, f'{top}.py')):
                continue
            found.setdefault(top, os.path.relpath(path, TOP))
    return found


def providers() -> dict[str, set[str]]:
    """Top-level module -> the installed distributions that provide it.

    As ``importlib.metadata.packages_distributions()`` does from Python 3.11
    on, a distribution without ``top_level.txt`` is read from its files.
    """
    found = {}
    for dist in importlib.metadata.distributions():
        tops = (dist.read_text('top_level.txt') or '').split()
        if not tops:
            tops = {path.parts[0] if len(path.parts) > 1 else
                    inspect.getmodulename(path.name) or path.name
                    for path in dist.files or ()}
        for top in tops:
            found.setdefault(top, set()).add(canonical(dist.metadata['Name']))
    for top, dists in BROWSER_TIER_PROVIDERS.items():
        found.setdefault(top, dists)
    return found


def python_files(*dirs, exclude=()):
    """The .py files under ``dirs`` (relative to the top).

    Those under the directories of ``exclude`` are left out.
    """
    for top in dirs:
        for dirpath, dirnames, filenames in os.walk(os.path.join(TOP, top)):
            if os.path.relpath(dirpath, TOP) in exclude:
                dirnames.clear()
                continue
            yield from (os.path.join(dirpath, name)
                        for name in filenames if name.endswith('.py'))


class TestRequirements(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.runtime = requirements('requirements.txt')
        self.test = requirements('test-requirements.txt')
        self.dashboard = extra('dashboard')
        self.browser = requirements('browser-requirements.txt')
        self.provider = providers()

    def undeclared(self, imports, declared):
        wrong = []
        for module, path in sorted(imports.items()):
            dists = {canonical(d) for d in self.provider.get(module, ())}
            if not dists & set(declared):
                wrong.append(f'{path} imports {module} (from {dists or "?"})')
        return wrong

    def test_the_code_imports_only_runtime_requirements(self):
        imports = third_party_imports(
            python_files('staffeln', exclude=('staffeln/tests', DASHBOARD)))
        self.assertEqual([], self.undeclared(imports, self.runtime))

    def test_the_dashboard_imports_only_its_extra(self):
        imports = third_party_imports(python_files(DASHBOARD))
        self.assertIn('horizon', imports)
        self.assertEqual([], self.undeclared(
            imports, {**self.runtime, **self.dashboard}))

    def test_tests_and_tools_import_only_declared_requirements(self):
        imports = third_party_imports(
            python_files('staffeln/tests', 'tools', exclude=(BROWSER_TESTS,)))
        self.assertEqual(
            [], self.undeclared(imports, {**self.runtime, **self.test}))

    def test_browser_tests_import_only_declared_requirements(self):
        imports = third_party_imports(python_files(BROWSER_TESTS))
        self.assertIn('selenium', imports)
        self.assertEqual([], self.undeclared(imports, {
            **self.runtime, **self.test, **self.dashboard,
            **self.browser}))

    def test_every_requirement_is_used(self):
        imports = third_party_imports(python_files('staffeln', 'tools'))
        used = {canonical(dist) for module in imports
                for dist in self.provider.get(module, ())}
        unused = set(self.runtime) | set(self.test) | \
            set(self.dashboard) | set(self.browser)
        self.assertEqual(set(), unused - used - NOT_IMPORTED)

    def test_lower_constraints_pin_the_lower_bounds(self):
        pins = {}
        with open(os.path.join(TOP, 'lower-constraints.txt')) as f:
            for line in f:
                line = line.split('#')[0].strip()
                if line:
                    name, version = line.split('==')
                    pins[canonical(name)] = version
        wrong = {name: (lower_bound(spec), pins.get(name))
                 for name, spec in {**self.runtime, **self.test}.items()
                 if lower_bound(spec) != pins.get(name)}
        self.assertEqual({}, wrong)
