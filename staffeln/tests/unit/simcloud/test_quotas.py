"""Cinder quota limits, usage and the 413 texts."""

import testtools

from staffeln.tests.simcloud.cinder import quotas
from staffeln.tests.simcloud import errors


class TestQuotaBook(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.book = quotas.QuotaBook()

    def test_defaults_are_cinders(self):
        quota_set = self.book.quota_set('p', usage=True)
        self.assertEqual({'limit': 10, 'in_use': 0, 'reserved': 0},
                         quota_set['backups'])
        self.assertEqual({'limit': -1, 'in_use': 0, 'reserved': 0},
                         quota_set['volumes___DEFAULT__'])
        self.assertEqual('p', quota_set['id'])
        self.assertEqual(1000, self.book.quota_set('p', False)['gigabytes'])

    def test_reserve_charges_and_refuses(self):
        self.book.set('p', backups=2)
        self.book.reserve_backup('p', 5)
        self.book.reserve_backup('p', 5)
        error = self.assertRaises(errors.OverLimit,
                                  self.book.reserve_backup, 'p', 5)
        self.assertEqual(413, error.code)
        self.assertEqual('BackupLimitExceeded: Maximum number of backups '
                         'allowed (2) exceeded', error.message)
        self.assertEqual({'Retry-After': '0'}, error.headers)
        self.assertEqual(2, self.book.in_use('p', 'backups'))
        self.assertEqual(10, self.book.in_use('p', 'backup_gigabytes'))

    def test_gigabytes_are_reported_first(self):
        self.book.set('p', backups=0, backup_gigabytes=0)
        error = self.assertRaises(errors.OverLimit,
                                  self.book.reserve_backup, 'p', 3)
        self.assertEqual(
            'VolumeBackupSizeExceedsAvailableQuota: Requested backup '
            'exceeds allowed Backup gigabytes quota. Requested 3G, quota is '
            '0G and 0G has been consumed.', error.message)

    def test_unlimited(self):
        self.book.set('p', backups=-1, backup_gigabytes=-1)
        for _ in range(50):
            self.book.reserve_backup('p', 100)
        self.assertEqual(50, self.book.in_use('p', 'backups'))

    def test_unknown_resource(self):
        self.assertRaises(KeyError, self.book.set, 'p', bananas=1)
