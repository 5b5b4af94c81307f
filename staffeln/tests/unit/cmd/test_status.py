"""staffeln-status upgrade check: what each check says, without a cloud."""

from oslo_upgradecheck import upgradecheck

from staffeln.cmd import status
from staffeln.common import exception
from staffeln.tests import base

Code = upgradecheck.Code


class FakeCloud:
    """The adapter calls the checks make, answered from attributes."""

    def __init__(self, listing_error=None, inherited=None,
                 inherited_error=None, services=None, services_error=None):
        self.listing_error = listing_error
        self.inherited = ([{'role_id': 'r', 'domain_id': 'default',
                            'project_id': None}]
                          if inherited is None else inherited)
        self.inherited_error = inherited_error
        self.services = ([{'host': 'b1', 'status': 'enabled',
                           'state': 'up'}]
                         if services is None else services)
        self.services_error = services_error

    def check_all_projects_listing(self):
        if self.listing_error:
            raise self.listing_error

    def inherited_role_assignments(self):
        if self.inherited_error:
            raise self.inherited_error
        return self.inherited

    def backup_services(self):
        if self.services_error:
            raise self.services_error
        return self.services


class TestOpenStackAccess(base.TestCase):

    def check(self, cloud):
        return status.Checks(self.conf, lambda conf: cloud)._check_openstack()

    def test_success(self):
        result = self.check(FakeCloud())
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertIn('all projects', result.details)

    def test_missing_credentials_fail(self):
        def factory(conf):
            raise exception.ConfigurationError('No OpenStack credentials')
        result = status.Checks(self.conf, factory)._check_openstack()
        self.assertEqual((Code.FAILURE, 'No OpenStack credentials'),
                         (result.code, result.details))

    def test_refused_credentials_fail_with_advice(self):
        result = self.check(FakeCloud(listing_error=exception.CloudError(
            'The request you have made requires authentication.',
            status=401)))
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('Keystone refuses the [openstack] credentials',
                      result.details)

    def test_not_admin_fails_with_advice(self):
        result = self.check(FakeCloud(listing_error=exception.CloudError(
            "Policy doesn't allow os_compute_api:servers:detail:"
            "get_all_tenants to be performed.", status=403)))
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('get_all_tenants', result.details)
        self.assertIn('needs the admin role', result.details)

    def test_no_inherited_role_warns_with_the_command(self):
        result = self.check(FakeCloud(inherited=[]))
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('--inherited member', result.details)

    def test_unreadable_assignments_warn(self):
        result = self.check(FakeCloud(
            inherited_error=exception.CloudError('forbidden', status=403)))
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('cannot be read: forbidden', result.details)


class TestBackupService(base.TestCase):

    def check(self, cloud):
        return status.Checks(
            self.conf, lambda conf: cloud)._check_backup_service()

    def test_up_and_enabled_succeeds(self):
        result = self.check(FakeCloud(services=[
            {'host': 'b2', 'status': 'enabled', 'state': 'up'},
            {'host': 'b1', 'status': 'enabled', 'state': 'up'},
            {'host': 'b3', 'status': 'disabled', 'state': 'up'}]))
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertEqual('cinder-backup is enabled and up on b1, b2.',
                         result.details)

    def test_none_deployed_fails(self):
        result = self.check(FakeCloud(services=[]))
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('no cinder-backup service', result.details)

    def test_none_ready_warns(self):
        result = self.check(FakeCloud(services=[
            {'host': 'b1', 'status': 'enabled', 'state': 'down'},
            {'host': 'b2', 'status': 'disabled', 'state': 'up'}]))
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('b1 (enabled, down), b2 (disabled, up)',
                      result.details)

    def test_listing_error_fails(self):
        result = self.check(FakeCloud(services_error=exception.CloudError(
            'listing the cinder-backup services: HTTP 503', status=503)))
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('HTTP 503', result.details)

    def test_cloud_is_built_once_for_both_checks(self):
        built = []

        def factory(conf):
            built.append(conf)
            return FakeCloud()
        checks = status.Checks(self.conf, factory)
        checks._check_openstack()
        checks._check_backup_service()
        self.assertEqual([self.conf], built)


class TestCoordination(base.TestCase):
    """The tooz file driver needs no server: it stands for any backend."""

    def check(self):
        return status.Checks(self.conf, FakeCloud)._check_coordination()

    def test_default_lock_files_succeed_and_say_they_are_local(self):
        result = self.check()
        self.assertEqual(Code.SUCCESS, result.code, result.details)
        self.assertIn('this host only', result.details)

    def test_empty_backend_url_says_so(self):
        self.flags(group='coordination', backend_url='')
        result = self.check()
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertIn('run only one', result.details)

    def test_unknown_driver_fails_without_password(self):
        self.flags(group='coordination',
                   backend_url='nosuchdriver://u:hunter2@localhost/x')
        result = self.check()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('cannot be used', result.details)
        self.assertNotIn('hunter2', result.details)

    def test_unusable_timing_fails(self):
        self.flags(group='coordination', heartbeat_interval=20.0)
        result = self.check()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('heartbeat_interval', result.details)


class TestHelpers(base.TestCase):

    def test_database_url_hides_the_password(self):
        self.assertEqual(
            'mysql+pymysql://staffeln:***@db/staffeln',
            status._safe_url('mysql+pymysql://staffeln:pw@db/staffeln'))

    def test_every_check_is_listed_once(self):
        self.assertEqual(
            ['Database schema', 'OpenStack access', 'Coordination backend',
             'Cinder backup service', 'Backup quota'],
            [name for name, _ in status.Checks._upgrade_checks])
