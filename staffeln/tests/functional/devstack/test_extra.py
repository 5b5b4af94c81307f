"""stack.sh through the plugin's "stack extra", then unstack.sh.

The fake systemctl runs the units devstack writes, so staffeln-api is the
distribution's uwsgi with the generated ini, and staffeln-status checks a
simulated Keystone, Nova and Cinder.
"""

import uuid

import requests

from staffeln.cmd import status
from staffeln.tests.functional.devstack import base
from staffeln.tests.functional.devstack import sandbox

UNITS = ('devstack@staffeln-api.service',
         'devstack@staffeln-conductor.service')


class TestExtra(base.TestCase):

    def check_api(self, url):
        versions = requests.get(f'{url}/', timeout=30)
        self.assertEqual(200, versions.status_code)
        self.assertEqual(['v1.0'],
                         [v['id'] for v in versions.json()['versions']])
        hook = requests.post(f'{url}/v1/backup',
                             params={'backup_id': str(uuid.uuid4())},
                             timeout=30)
        self.assertEqual((200, 'True'), (hook.status_code, hook.text))

    def test_services_start_answer_and_stop(self):
        ds = self.devstack(keystone=self.keystone())
        ds.must_run('stack')
        self.assertEqual(
            [['--user', action, unit] for unit in UNITS
             for action in ('enable', 'start')],
            [call[1:] for call in ds.calls('systemctl')
             if call[2] in ('enable', 'start')])
        unit = base.ini(ds.file('home', '.local', 'share', 'systemd', 'user',
                                UNITS[0]))
        ini = ds.file('etc', 'staffeln', 'staffeln-api-uwsgi.ini')
        self.assertEqual(
            f'{sandbox.which_uwsgi()} --procname-prefix staffeln-api '
            f'--ini {ini} --venv {sandbox.DISTRO_VENV}',
            unit['Service']['ExecStart'])
        self.check_api(f'http://127.0.0.1:{ds.port}')
        # Every upgrade check of staffeln-status passed.
        self.assertEqual(len(status.Checks._upgrade_checks),
                         ds.output().count('Result: Success'))

        ds.must_run('unstack')
        self.assertEqual(
            [['--user', action, unit] for unit in UNITS
             for action in ('stop', 'disable')],
            [call[1:] for call in ds.calls('systemctl')
             if call[2] in ('stop', 'disable')])
        self.assertRaises(requests.ConnectionError, requests.get,
                          f'http://127.0.0.1:{ds.port}/', timeout=30)

    def test_ipv6_loopback(self):
        ds = self.devstack('SERVICE_IP_VERSION=6', 'HOST_IPV6=::1',
                           keystone=self.keystone())
        ds.must_run('stack')
        self.check_api(f'http://[::1]:{ds.port}')

    def test_status_warning_does_not_stop_stack(self):
        ds = self.devstack(keystone=self.keystone(inherited=False))
        ds.must_run('stack')
        self.assertIn('Result: Warning', ds.output())

    def test_status_failure_stops_stack(self):
        ds = self.devstack(keystone=self.keystone(user=False))
        self.assertNotEqual(0, ds.run('stack').returncode)
        self.assertIn('Result: Failure', ds.output())
        self.assertIn('staffeln-status upgrade check failed (2)', ds.output())
