import datetime
import types

import testtools

from staffeln.common import exception
from staffeln.conductor import backups

NOW = datetime.datetime(2026, 5, 4, 3, 2, 1, tzinfo=datetime.timezone.utc)


def task(**kw):
    values = dict(volume_name='data', volume_id='v-1', server_name='web',
                  server_id='s-1', project_id='p-1', backup_type='full')
    values.update(kw)
    return types.SimpleNamespace(**values)


class TestBackupName(testtools.TestCase):

    def test_default_template(self):
        self.assertEqual('data-20260504T030201Z', backups.backup_name(
            '{volume_name}-{timestamp}', task(), NOW))

    def test_volume_id_when_the_volume_has_no_name(self):
        for name in ('', None):
            self.assertEqual('v-1-20260504T030201Z', backups.backup_name(
                '{volume_name}-{timestamp}', task(volume_name=name), NOW))

    def test_every_field(self):
        self.assertEqual(
            'web/s-1/p-1/v-1/incremental',
            backups.backup_name(
                '{server_name}/{server_id}/{project_id}/{volume_id}/'
                '{backup_type}', task(backup_type='incremental'), NOW))

    def test_cut_to_255_characters(self):
        name = backups.backup_name('{volume_name}-{timestamp}',
                                   task(volume_name='x' * 300), NOW)
        self.assertEqual(255, len(name))


class TestCheckNameTemplate(testtools.TestCase):

    def test_valid_templates(self):
        for template in ('{volume_name}-{timestamp}', 'fixed',
                         '{server_name}/{backup_type}'):
            backups.check_name_template(template)

    def test_unknown_field_is_a_configuration_error(self):
        for template in ('{volume}-{timestamp}', '{0}', '{volume_name'):
            exc = self.assertRaises(exception.ConfigurationError,
                                    backups.check_name_template, template)
            self.assertIn('backup_name_template', str(exc))
