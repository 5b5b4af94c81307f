import datetime

import types

import testtools

from staffeln.conductor import admission


def task(id, project):
    return types.SimpleNamespace(id=id, project_id=project)


class FakeQuotaCloud:

    def __init__(self, quotas):
        self.quotas = quotas
        self.reads = 0

    def get_backup_quota(self, project_id, retry=True):
        self.reads += 1
        return self.quotas[project_id]


def quota(backups, gigabytes, used=0, used_gb=0):
    return {'backups': {'limit': backups, 'in_use': used, 'reserved': 0},
            'backup_gigabytes': {'limit': gigabytes, 'in_use': used_gb,
                                 'reserved': 0}}


class TestFairOrder(testtools.TestCase):

    def test_round_robin_over_projects(self):
        tasks = [task(1, 'a'), task(2, 'a'), task(3, 'a'), task(4, 'b'),
                 task(5, 'c'), task(6, 'b')]
        self.assertEqual([1, 4, 5, 2, 6, 3],
                         [t.id for t in admission.fair_order(tasks)])


class TestSlots(testtools.TestCase):

    def test_global_and_project_caps(self):
        slots = admission.Slots({'a': 1}, max_total=3, max_project=2)
        self.assertTrue(slots.free('a'))
        slots.take('a')
        self.assertFalse(slots.free('a'))
        self.assertTrue(slots.free('b'))
        slots.take('b')
        self.assertTrue(slots.full())
        self.assertFalse(slots.free('c'))


class TestQuotaBook(testtools.TestCase):

    def test_unlimited(self):
        book = admission.QuotaBook(FakeQuotaCloud({'p': quota(-1, -1)}))
        self.assertIsNone(book.refusal('p', 100))

    def test_zero_means_none_allowed(self):
        book = admission.QuotaBook(FakeQuotaCloud({'p': quota(0, -1)}))
        self.assertIn('backups limit is 0', book.refusal('p', 1))

    def test_gigabytes(self):
        book = admission.QuotaBook(FakeQuotaCloud({'p': quota(10, 10,
                                                              used_gb=8)}))
        self.assertIsNone(book.refusal('p', 2))
        self.assertIn('backup_gigabytes limit is 10 GB', book.refusal('p', 3))

    def test_charges_are_counted_and_quota_read_once(self):
        cloud = FakeQuotaCloud({'p': quota(3, -1)})
        book = admission.QuotaBook(cloud)
        self.assertIsNone(book.refusal('p', 1))
        book.charge('p', 1)
        self.assertIsNone(book.refusal('p', 1))
        book.charge('p', 1)
        self.assertIsNone(book.refusal('p', 1))
        self.assertEqual(1, cloud.reads)

    def test_a_refusal_is_made_on_a_fresh_read(self):
        # Two backups made, then retention deleted one: a refusal by the
        # quota read before would be wrong; Cinder is asked again.
        cloud = FakeQuotaCloud({'p': quota(2, -1)})
        book = admission.QuotaBook(cloud)
        book.refusal('p', 1)
        book.charge('p', 1)
        book.charge('p', 1)
        cloud.quotas['p'] = quota(2, -1, used=1)
        self.assertIsNone(book.refusal('p', 1))
        self.assertEqual(2, cloud.reads)
        cloud.quotas['p'] = quota(2, -1, used=2)
        book.charge('p', 1)
        self.assertIn('backups limit is 2', book.refusal('p', 1))
        self.assertEqual(3, cloud.reads)

    def test_a_quota_older_than_the_cycle_is_read_again(self):
        cloud = FakeQuotaCloud({'p': quota(5, -1)})
        cache = {}
        start = datetime.datetime(2026, 3, 1)
        for minutes, reads in ((0, 1), (59, 1), (60, 2)):
            book = admission.QuotaBook(
                cloud, cache, start + datetime.timedelta(minutes=minutes),
                datetime.timedelta(hours=1))
            self.assertIsNone(book.refusal('p', 1))
            self.assertEqual(reads, cloud.reads, minutes)
