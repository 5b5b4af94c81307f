"""What the browser tests run: Horizon with the Staffeln dashboard,
headless Chromium, and staffeln-api in the real cloud's catalog."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid

import fixtures
import requests
from selenium import webdriver
from selenium.webdriver.chrome import service as chrome_service

from staffeln.tests import realcloud

CHROMIUM = os.environ.get('STAFFELN_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('STAFFELN_CHROMEDRIVER', '/usr/bin/chromedriver')
#: Seconds Horizon may take to answer its first page (it compiles its
#: stylesheets then) and a page may take to show what a test waits for.
START_TIMEOUT = 300.0
PAGE_TIMEOUT = float(os.environ.get('STAFFELN_BROWSER_TIMEOUT', 120))
SERVICE_TYPE = 'backup-automation'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Horizon(fixtures.Fixture):
    """Horizon from its package, served by Django's runserver on loopback.

    Its ``local_settings`` is :mod:`staffeln.tests.browser.local_settings`,
    which enables the Staffeln dashboard the way copying its enabled files
    does; ``url`` is where it listens.
    """

    def __init__(self, keystone_url: str, keep_logs_in: str | None = None):
        super().__init__()
        self.keystone_url = keystone_url
        self.keep_logs_in = keep_logs_in

    def _setUp(self) -> None:
        self.state = self.useFixture(fixtures.TempDir()).path
        local = os.path.join(self.state, 'local')
        os.mkdir(local)
        open(os.path.join(local, '__init__.py'), 'w').close()
        shutil.copy(os.path.join(os.path.dirname(__file__),
                                 'local_settings.py'), local)
        port = free_port()
        self.url = f'http://127.0.0.1:{port}'
        env = dict(os.environ, PYTHONPATH=self.state,
                   DJANGO_SETTINGS_MODULE='openstack_dashboard.settings',
                   STAFFELN_HORIZON_STATE=self.state,
                   STAFFELN_HORIZON_SECRET=uuid.uuid4().hex,
                   STAFFELN_HORIZON_KEYSTONE_URL=self.keystone_url)
        env.pop('OS_CLIENT_CONFIG_FILE', None)
        self.log = open(os.path.join(self.state, 'runserver.log'), 'w')
        self.addCleanup(self.log.close)
        self.process = subprocess.Popen(
            [sys.executable, '-W', 'ignore', '-m', 'django', 'runserver',
             f'127.0.0.1:{port}', '--noreload'],
            cwd=self.state, env=env, stdout=self.log,
            stderr=subprocess.STDOUT)
        self.addCleanup(self._keep_logs)
        self.addCleanup(self._stop)
        realcloud.wait_for(self._login_page, bool, what='Horizon answers',
                           timeout=START_TIMEOUT,
                           failed=lambda _: self.process.poll() is not None)

    def _login_page(self) -> bool:
        try:
            return requests.get(f'{self.url}/auth/login/',
                                timeout=START_TIMEOUT).status_code == 200
        except requests.ConnectionError:
            return False

    def _keep_logs(self) -> None:
        """Horizon's logs, beside the screenshots, when they are kept."""
        if self.keep_logs_in:
            for name in ('runserver.log', 'horizon.log'):
                path = os.path.join(self.state, name)
                if os.path.exists(path):
                    shutil.copy(path, os.path.join(self.keep_logs_in,
                                                   f'horizon-{name}'))

    def _stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Chromium(fixtures.Fixture):
    """Headless Chromium driven by the distribution's chromedriver.

    The driver's path is given, so Selenium downloads nothing; a fresh
    profile and no background networking, as the machine may be offline.
    """

    def _setUp(self) -> None:
        profile = self.useFixture(fixtures.TempDir()).path
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ('--headless=new', '--no-sandbox', '--disable-gpu',
                     '--disable-dev-shm-usage',
                     '--disable-background-networking',
                     '--disable-component-update', '--disable-sync',
                     '--no-first-run', '--window-size=1400,1000',
                     f'--user-data-dir={profile}'):
            options.add_argument(flag)
        service = chrome_service.Service(executable_path=CHROMEDRIVER)
        self.driver = webdriver.Chrome(options=options, service=service)
        self.addCleanup(self.driver.quit)
        self.driver.set_page_load_timeout(PAGE_TIMEOUT)


class CatalogEntry(fixtures.Fixture):
    """staffeln-api in the Keystone catalog, as ``backup-automation``."""

    def __init__(self, admin, url: str, region: str):
        super().__init__()
        self.admin = admin
        self.url = url
        self.region = region

    def _setUp(self) -> None:
        identity = self.admin.identity
        service = identity.create_service(
            name='staffeln', type=SERVICE_TYPE,
            description='Staffeln backup automation (browser tests)')
        self.addCleanup(identity.delete_service, service.id)
        for interface in ('public', 'internal'):
            endpoint = identity.create_endpoint(
                service_id=service.id, interface=interface, url=self.url,
                region_id=self.region)
            self.addCleanup(identity.delete_endpoint, endpoint.id)
