"""OrderedStore: newest-first pages from a marker, through indexes."""

import dataclasses
import datetime

import testtools

from staffeln.tests.simcloud import index

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


@dataclasses.dataclass
class Rec:
    id: str
    created_at: datetime.datetime
    project_id: str = 'p'
    status: str = 'ok'


def rec(n, project='p', seconds=None, status='ok'):
    return Rec(f'{n:04d}', T0 + datetime.timedelta(
        seconds=n if seconds is None else seconds), project, status)


class TestOrderedStore(testtools.TestCase):

    def test_newest_first_with_ties_broken_by_id_desc(self):
        store = index.OrderedStore(('project_id',))
        store.add_many([rec(1, seconds=0), rec(3, seconds=0), rec(2)])
        store.add(rec(0, seconds=0))
        self.assertEqual(['0002', '0003', '0001', '0000'],
                         [r.id for r in store.newest_first()])

    def test_after_marker_and_index(self):
        store = index.OrderedStore(('project_id',))
        store.add_many(rec(n, project='a' if n % 2 else 'b')
                       for n in range(10))
        page = list(store.newest_first({'project_id': 'a'},
                                       after=store.get('0007')))
        self.assertEqual(['0005', '0003', '0001'], [r.id for r in page])
        self.assertEqual([], list(store.newest_first({'project_id': 'zz'})))

    def test_where_and_non_indexed_equality(self):
        store = index.OrderedStore()
        store.add_many(rec(n, status='x' if n < 3 else 'y')
                       for n in range(6))
        self.assertEqual(['0002', '0001', '0000'], [
            r.id for r in store.newest_first({'status': 'x'})])
        self.assertEqual(['0004'], [
            r.id for r in store.newest_first(where=lambda r: r.id == '0004')])

    def test_remove_and_add_keep_order(self):
        store = index.OrderedStore(('project_id',))
        records = [rec(n) for n in range(5)]
        store.add_many(records)
        store.remove(records[2])
        store.add(rec(9))
        store.add(rec(7, seconds=-1))
        self.assertEqual(['0009', '0004', '0003', '0001', '0000', '0007'],
                         [r.id for r in store.newest_first(
                             {'project_id': 'p'})])
        self.assertNotIn('0002', store)
        self.assertEqual(6, len(store))

    def test_a_page_does_not_walk_the_whole_store(self):
        store = index.OrderedStore()
        store.add_many(rec(n) for n in range(100_000))
        visited = []

        def where(record):
            visited.append(record.id)
            return True
        walk = store.newest_first(after=store.get('50000'), where=where)
        page = [next(walk) for _ in range(10)]
        self.assertEqual('49999', page[0].id)
        self.assertEqual(10, len(visited))
