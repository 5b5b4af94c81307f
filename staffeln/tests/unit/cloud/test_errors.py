"""What OpenStack's errors mean, and which of them are tried again."""

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from openstack import exceptions as sdk_exc
import requests

from staffeln.cloud import calls
from staffeln.cloud import errors
from staffeln.common import exception
from staffeln.tests import base


def http_error(status: int, text: str = 'refused') -> sdk_exc.HttpException:
    response = requests.Response()
    response.status_code = status
    response._content = text.encode()
    return sdk_exc.HttpException(message=text, response=response,
                                 details=text, http_status=status)


class TestCinderRefusals(base.TestCase):

    def create_error(self, status, text):
        return errors.backup_create_error(
            errors.cloud_error(http_error(status, text), 'creating'))

    def test_no_parent_for_an_incremental(self):
        error = self.create_error(
            400, 'Invalid backup: No backups available to do an '
                 'incremental backup.')
        self.assertIsInstance(error, exception.NoParentBackup)

    def test_quota(self):
        error = self.create_error(
            413, 'Maximum number of backups allowed (10) exceeded')
        self.assertIsInstance(error, exception.QuotaExceeded)
        self.assertIn('quota exceeded', str(error))

    def test_volume_busy(self):
        error = self.create_error(
            400, 'Invalid volume: Volume to be backed up must be available '
                 'or in-use, but the current status is "backing-up".')
        self.assertIsInstance(error, exception.VolumeBusy)

    def test_other_refusals_stay_what_they_are(self):
        error = self.create_error(400, 'Invalid input for field/attribute')
        self.assertEqual(exception.CloudError, type(error))

    def test_delete_refusals(self):
        for text in ('Invalid backup: Incremental backups exist for this '
                     'backup.',
                     'Invalid backup: Backup status must be available or '
                     'error'):
            error = errors.backup_delete_error(
                errors.cloud_error(http_error(400, text), 'deleting'))
            self.assertIsInstance(error, exception.BackupBusy, text)


class TestRetries(base.TestCase):
    """A client error (4xx) is never tried again; a server error is."""

    def setUp(self):
        super().setUp()
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='openstack')
        # Never contacted: the calls below fail before any request.
        self.flags(group='openstack', api_retries=3, auth_type='password',
                   auth_url='http://192.0.2.1/identity', username='u',
                   password='p', project_name='p', user_domain_name='d',
                   project_domain_name='d')
        self.slept = []
        self.calls = calls.Calls(self.conf, sleep=self.slept.append)

    def attempts(self, error) -> int:
        tried = []

        def call():
            tried.append(1)
            raise error
        self.assertRaises(exception.CloudError, self.calls._call, 'x', call)
        return len(tried)

    def test_client_errors_are_not_retried(self):
        for status in range(400, 429):
            self.assertEqual(1, self.attempts(http_error(status)), status)
            self.assertFalse(
                errors.cloud_error(http_error(status), 'x').retriable)
        self.assertEqual(1, self.attempts(ks_exc.Unauthorized()))
        self.assertEqual([], self.slept)

    def test_server_errors_and_429_are_retried(self):
        for status in (429, 500, 502, 503, 504):
            self.assertEqual(4, self.attempts(http_error(status)), status)
        self.assertEqual(4, self.attempts(ks_exc.ConnectFailure()))

    def test_per_item_calls_are_not_retried(self):
        tried = []

        def call():
            tried.append(1)
            raise http_error(503)
        self.assertRaises(exception.CloudError, self.calls._call, 'x', call,
                          retry=False)
        self.assertEqual([1], tried)


class TestTimeout(base.TestCase):

    def test_every_call_has_a_timeout_by_default(self):
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='openstack')
        self.flags(group='openstack', auth_type='password',
                   auth_url='http://192.0.2.1/identity', username='u',
                   password='p', project_name='p')
        factory = calls.connection.ConnectionFactory(self.conf)
        self.assertEqual(60, factory._session_kwargs['timeout'])
        self.assertEqual(60, self.conf.openstack.timeout)
