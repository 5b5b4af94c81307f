"""The dashboard in a real browser: Horizon from its package, headless
Chromium, the real cloud's Keystone, Nova and Cinder, and staffeln-api in
the catalog.

A member of one project backs up and restores through Project → Automated
Backups and sees nothing of another project's; an admin sees both projects
in Admin → Backup Protection and creates a policy through its form. The
screenshots land in ``$STAFFELN_BROWSER_SCREENSHOTS`` (or the test's own
directory); two of them illustrate the user guide.
"""

from __future__ import annotations

import os

import fixtures
from keystoneauth1 import loading as ks_loading
from keystonemiddleware import auth_token
import testtools.content

from staffeln.common import clock
from staffeln.conductor import manager
from staffeln.tests.browser import fixtures as browser_fixtures
from staffeln.tests.browser import pages
from staffeln.tests.functional.api import fixtures as api_fixtures
from staffeln.tests.integration import service_user
from staffeln.tests import realcloud


class TestDashboard(service_user.StaffelnTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.creds = realcloud.admin_credentials()
        self._serve_api()
        self.useFixture(browser_fixtures.CatalogEntry(
            self.cloud.admin, self.api.url, self.creds.region))
        screenshots = os.environ.get('STAFFELN_BROWSER_SCREENSHOTS') or \
            self.useFixture(fixtures.TempDir()).path
        os.makedirs(screenshots, exist_ok=True)
        self.horizon = self.useFixture(
            browser_fixtures.Horizon(self.creds.auth_url, screenshots))
        driver = self.useFixture(browser_fixtures.Chromium()).driver
        self.user = pages.User(driver, self.horizon.url, screenshots)
        self.addOnException(self._keep_the_page)

    def _keep_the_page(self, exc_info) -> None:
        """On failure: the page as the browser shows it, and its HTML."""
        self.user.screenshot('failure')
        self.addDetail('page', testtools.content.text_content(
            f'{self.user.driver.current_url}\n'
            f'{self.user.driver.page_source}'))

    def _serve_api(self) -> None:
        """staffeln-api behind keystonemiddleware, as the service user."""
        for group, opts in auth_token.list_opts():
            self.conf.register_opts(opts, group=group)
        self.conf.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='keystone_authtoken')
        for key, value in {
                'auth_type': 'password', 'auth_url': self.creds.auth_url,
                'www_authenticate_uri': self.creds.auth_url,
                'username': self.service.name,
                'password': self.service.password,
                'project_name': 'admin', 'user_domain_name': 'Default',
                'project_domain_name': 'Default',
                'region_name': self.creds.region}.items():
            self.conf.set_override(key, value, group='keystone_authtoken')
        # A restore waits for Cinder to accept it: the shared cloud on a
        # small machine may take longer than the default 10s to.
        self.flags(auth_strategy='keystone', request_timeout='60s',
                   group='api')
        self.api = self.useFixture(api_fixtures.ApiServer(self.conf,
                                                          clock.Clock()))

    def run_once(self):
        """One whole conductor cycle, as ``staffeln-manage run-once``."""
        result = manager.Manager.build(self.conf, clock.Clock()).run_once(
            self.context)
        self.assertTrue(result.ok, (result.errors, [
            (t.volume_id, t.reason) for t in result.failed]))
        return result

    def backups_of(self, tenant, volume_id: str) -> list:
        return [b for b in tenant.connection.block_storage.backups()
                if b.volume_id == volume_id]

    def test_member_backs_up_and_restores_admin_creates_a_policy(self):
        acme, globex = self.cloud.add_tenant(), self.cloud.add_tenant()
        web, db = self.cloud.boot_servers(acme, ['web', 'db'],
                                          metadata={self.key: 'yes'})
        app = self.cloud.boot_from_volume(globex, 'app',
                                          metadata={self.key: 'yes'})
        self.run_once()
        user = self.user

        # A member of acme: the protected volumes of acme's servers only.
        user.login(acme.user_name, acme.password)
        # The panel is in the menu (under Volumes, which is folded).
        user.find('a[href="/project/automated_backups/"]')
        user.open('/project/automated_backups/')
        user.find('#volumes')
        page = user.text('#volumes')
        self.assertIn('web', page)
        self.assertIn('db', page)
        self.assertNotIn(app.boot_volume_id, user.driver.page_source)
        user.screenshot('project-volumes')

        # Filtered to one server.
        user.filter_table('volumes', 'server', 'web')
        user.wait(lambda d: 'db' not in user.text('#volumes tbody'))
        rows = user.all('#volumes tbody tr[data-object-id]')
        self.assertEqual([web.boot_volume_id],
                         [r.get_attribute('data-object-id') for r in rows])

        # Its backups: the full one made by the cycle, on the Full tab.
        user.click(f'#volumes tr[data-object-id="{web.boot_volume_id}"] '
                   f'td a[href*="server_id="]')
        user.find('#full')
        [full] = self.backups_of(acme, web.boot_volume_id)
        self.assertTrue(user.all(f'#full tr[data-object-id="{full.id}"]'))
        self.assertNotIn('action_delete', user.driver.page_source)

        # Back up now; the conductor makes it; it is on the Incremental tab.
        user.open('/project/automated_backups/')
        user.row_action('volumes', web.boot_volume_id, 'backup_now')
        user.confirm_if_asked()
        user.find('.alert-success')
        self.run_once()
        new = [b for b in self.backups_of(acme, web.boot_volume_id)
               if b.id != full.id]
        self.assertEqual([True], [b.is_incremental for b in new])
        user.open(f'/project/automated_backups/backups/'
                  f'?server_id={web.server_id}')
        user.click('a[data-target="#automated_backups__incremental"]')
        user.visible(f'#incremental tr[data-object-id="{new[0].id}"]')
        user.screenshot('project-backups-incremental')
        self.assertNotIn('action_delete', user.driver.page_source)

        # Restore the full one to a new volume: a name too long is refused
        # inline, then the restored volume is in Cinder's Volumes panel.
        user.click('a[data-target="#automated_backups__full"]')
        user.row_action('full', full.id, 'restore')
        form = user.modal_form()
        name = form.find_element('css selector', '#id_name')
        user.driver.execute_script(
            'arguments[0].removeAttribute("maxlength")', name)
        name.send_keys('x' * 256)
        user.submit_modal()
        user.wait(lambda d: 'name' in user.field_errors())
        user.screenshot('project-restore-form-errors')
        name = user.modal_form().find_element('css selector', '#id_name')
        name.clear()
        name.send_keys('web-restored')
        user.submit_modal()
        user.wait(lambda d: '/project/volumes/' in d.current_url)
        user.wait(lambda d: 'web-restored' in user.text('#volumes'))
        user.screenshot('project-volumes-restored')
        [restored] = [v for v in acme.connection.block_storage.volumes()
                      if v.name == 'web-restored']
        realcloud.wait_volume(acme.connection, restored.id,
                              timeout=realcloud.BACKUP_TIMEOUT)
        user.logout()

        # The admin sees both projects and creates a policy.
        user.login(self.creds.username, self.creds.password)
        user.open('/admin/backup_protection/')
        projects = user.text('#projects')
        self.assertIn(acme.project.name, projects)
        self.assertIn(globex.project.name, projects)
        user.screenshot('admin-backup-protection')
        self._create_policy(user)

    def test_member_pages_pauses_and_restores_onto_admin_sets_recipients(
            self):
        acme = self.cloud.add_tenant()
        web, db = self.cloud.boot_servers(acme, ['web', 'db'],
                                          metadata={self.key: 'yes'})
        self.run_once()
        [full] = self.backups_of(acme, web.boot_volume_id)
        scratch = self.cloud.create_volume(acme, size=full.size,
                                           name='scratch')
        user = self.user
        user.login(acme.user_name, acme.password)

        # One volume a page (the user's page size): Next shows the other.
        user.driver.add_cookie({'name': 'API_RESULT_PAGE_SIZE', 'value': '1'})
        user.open('/project/automated_backups/')
        first = [r.get_attribute('data-object-id')
                 for r in user.all('#volumes tbody tr[data-object-id]')]
        user.click('#volumes a[href*="volume_marker="]')
        user.wait(lambda d: 'volume_marker=' in d.current_url)
        second = [r.get_attribute('data-object-id')
                  for r in user.all('#volumes tbody tr[data-object-id]')]
        self.assertEqual(sorted([web.boot_volume_id, db.boot_volume_id]),
                         sorted(first + second))
        user.driver.delete_cookie('API_RESULT_PAGE_SIZE')

        # Filtered by policy, on the server: both are under the default.
        user.open('/project/automated_backups/')
        user.filter_table('volumes', 'policy', 'default')
        rows = user.all('#volumes tbody tr[data-object-id]')
        self.assertEqual(2, len(rows))
        user.filter_table('volumes', 'policy', 'no-such-policy')
        user.wait(lambda d: not user.all('#volumes tbody tr[data-object-id]'))
        # Horizon keeps a filter for the session: an empty one shows all.
        user.filter_table('volumes', 'policy', '')

        # Pause the protection of db's server: the cycle skips its volume;
        # resumed, it is protected again.
        user.open('/project/automated_backups/')
        user.row_action('volumes', db.boot_volume_id, 'pause')
        user.confirm_if_asked()
        user.find('.alert-success')
        self.run_once()
        user.open('/project/automated_backups/')
        row = f'#volumes tr[data-object-id="{db.boot_volume_id}"]'
        self.assertIn('Skipped', user.text(row))
        self.assertTrue(user.all(
            f'#volumes__row_{db.boot_volume_id}__action_resume'))
        user.row_action('volumes', db.boot_volume_id, 'resume')
        user.confirm_if_asked()
        user.find('.alert-success')
        self.run_once()
        user.open('/project/automated_backups/')
        self.assertIn('Protected', user.text(row))

        # Restore web's full backup onto the scratch volume.
        user.open(f'/project/automated_backups/backups/'
                  f'?server_id={web.server_id}')
        user.row_action('full', full.id, 'restore_onto')
        form = user.modal_form()
        choices = form.find_elements('css selector', '#id_volume_id option')
        self.assertIn(scratch.id, [c.get_attribute('value')
                                   for c in choices])
        form.find_element('css selector',
                          f'#id_volume_id option[value="{scratch.id}"]'
                          ).click()
        user.screenshot('project-restore-onto')
        user.submit_modal()
        user.find('.alert-success')
        restore = realcloud.wait_for(
            lambda: self._restores_of(acme, scratch.id),
            lambda found: [r['status'] for r in found] == ['available'],
            what=f'restore onto {scratch.id}',
            timeout=realcloud.BACKUP_TIMEOUT)
        self.assertEqual(full.id, restore[0]['backup_id'])
        user.logout()

        # The admin sets acme's digest recipients; the overview shows them.
        user.login(self.creds.username, self.creds.password)
        user.open('/admin/backup_protection/')
        project_row = f'#projects tr[data-object-id="{acme.project.id}"]'
        user.row_action('projects', acme.project.id, 'settings')
        recipients = user.modal_form().find_element(
            'css selector', '#id_digest_recipients')
        recipients.send_keys('not-an-address')
        user.submit_modal()
        user.wait(lambda d: 'digest_recipients' in user.field_errors())
        recipients = user.modal_form().find_element(
            'css selector', '#id_digest_recipients')
        recipients.clear()
        recipients.send_keys('ops@example.org\nbackup@example.org')
        user.submit_modal()
        user.find('.alert-success')
        self.assertIn('ops@example.org, backup@example.org',
                      user.text(project_row))
        user.screenshot('admin-project-settings')

    def _restores_of(self, tenant, volume_id: str) -> list:
        """Staffeln's restores onto the volume, as the tenant sees them."""
        answer = tenant.connection.session.get(
            f'{self.api.url}/v1/restores').json()
        return [r for r in answer['restores'] if r['volume_id'] == volume_id]

    def _create_policy(self, user) -> None:
        """Bad input is refused on its field, then the policy is made.

        The API checks one field at a time: the window, then the schedule.
        """
        user.click('a[data-target="#backup_protection__policies"]')
        user.click('#policies__action_create')
        self._fill(user, name='nightly', schedule='0 25 * * *',
                   window='01:00-05:00')
        user.submit_modal()
        user.wait(lambda d: 'schedule' in user.field_errors())
        self.assertIn('hour 25', user.field_errors()['schedule'])
        user.screenshot('admin-policy-form-errors')

        self._fill(user, schedule='daily at 02:00', window='02:00-02:00')
        user.submit_modal()
        user.wait(lambda d: 'window' in user.field_errors())
        self.assertIn('empty', user.field_errors()['window'])
        self.assertNotIn('schedule', user.field_errors())

        self._fill(user, window='01:00-05:00')
        user.submit_modal()
        user.find('.alert-success')
        user.click('a[data-target="#backup_protection__policies"]')
        user.visible('#policies tr[data-object-id="nightly"]')
        user.screenshot('admin-policies')

        # Edited: the form shows what the policy holds and saves a change.
        user.row_action('policies', 'nightly', 'update')
        form = user.modal_form()
        self.assertEqual('01:00-05:00', form.find_element(
            'css selector', '#id_window').get_attribute('value'))
        self._fill(user, description='Every night', retention='2w')
        user.submit_modal()
        user.find('.alert-success')
        user.click('a[data-target="#backup_protection__policies"]')
        row = user.visible('#policies tr[data-object-id="nightly"]')
        self.assertIn('Every night', row.text)
        self.assertIn('2w', row.text)

    def _fill(self, user, **fields) -> None:
        form = user.modal_form()
        for name, value in fields.items():
            box = form.find_element('css selector', f'#id_{name}')
            box.clear()
            box.send_keys(value)
