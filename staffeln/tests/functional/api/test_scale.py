"""Listing 10,000 volumes: every page costs the same two queries."""

import datetime
import uuid

import sqlalchemy as sa

from staffeln.common import context as staffeln_context
from staffeln.db import api as db_api
from staffeln.db import api_policies
from staffeln.db import states
from staffeln.tests.functional.api import rest

VOLUMES = 10_000


class TestPagesOfManyVolumes(rest.RestTestCase):

    def setUp(self):
        super().setUp()
        ctx = staffeln_context.get_admin_context()
        ids = [str(uuid.UUID(int=i + 1)) for i in range(VOLUMES)]
        db_api.save_volumes(ctx, [
            {'id': volume_id, 'project_id': rest.PROJECT_A,
             'name': f'vol-{i}', 'size_gb': 1, 'interval_s': 86400,
             'server_id': str(uuid.UUID(int=10 ** 6 + i // 2))}
            for i, volume_id in enumerate(ids)], rest.NOW - rest.DAY)
        default = api_policies.get_policy(ctx, 'default')
        api_policies.save_volume_policies(ctx, {
            volume_id: [(default.id, rest.NOW + rest.HOUR, 'due')]
            for volume_id in ids})
        start = rest.NOW - datetime.timedelta(hours=2)
        db_api.create_tasks(ctx, [
            {'project_id': rest.PROJECT_A, 'volume_id': volume_id,
             'backup_type': 'full', 'status': states.AVAILABLE,
             'backup_id': str(uuid.uuid4()), 'policy_id': default.id,
             'created_at': start, 'started_at': start}
            for volume_id in ids[::3]])
        self.queries = 0
        engine = db_api.get_engine()
        sa.event.listen(engine, 'before_cursor_execute', self.count)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        self.count)

    def count(self, *args):
        self.queries += 1

    def page(self, path):
        self.queries = 0
        volumes = self.get(path, rest.MEMBER_A)['volumes']
        return volumes, self.queries

    def test_queries_per_page_do_not_grow(self):
        seen, costs, marker = 0, [], None
        for _ in range(5):
            path = '/v1/volumes?limit=1000'
            if marker:
                path += f'&marker={marker}'
            volumes, queries = self.page(path)
            seen += len(volumes)
            costs.append(queries)
            marker = volumes[-1]['id']
        self.assertEqual(5000, seen)
        # One transaction (its connection may be pinged first): the
        # marker's row, then the page with its volumes' backups, policies
        # and drills in one query, however many volumes it has. The same
        # for every page after the first (which has no marker).
        self.assertEqual(1 + 2, costs[1])
        self.assertEqual([costs[1]] * 4, costs[1:])
        self.assertEqual(costs[1] - 1, costs[0])
        _, last = self.page(f'/v1/volumes?limit=1000&sort_key=name'
                            f'&sort_dir=desc&marker={marker}')
        self.assertEqual(costs[1], last)
        filtered, cost = self.page('/v1/volumes?limit=100&state=protected'
                                   f'&marker={marker}')
        self.assertEqual(100, len(filtered))
        self.assertEqual(1 + 2, cost)
