"""What staffeln-manage conductors prints."""

from staffeln.cmd.manage import conductors
from staffeln.tests import base


class TestRender(base.TestCase):

    TASKS = {'queued': 3, 'starting': 1, 'creating': 2, 'available': 10,
             'cleanup': 0, 'failed': 1, 'deleting': 0, 'deleted': 4}

    def data(self, **values):
        data = {'backend': 'redis://:***@r:6379', 'namespace': 'staffeln',
                'conductors': None, 'leader': None, 'leader_elected': None,
                'error': None, 'tasks': dict(self.TASKS), 'claims': {}}
        data.update(values)
        return data

    def test_members_leader_and_tasks(self):
        text = conductors.render(self.data(
            leader='node-b', leader_elected=True, claims={'node-a': 2},
            conductors=[
                {'host': 'node-a', 'alive': True, 'leader': False,
                 'pid': 11, 'started_at': '2026-01-01T00:00:00Z',
                 'leader_since': None},
                {'host': 'node-b', 'alive': True, 'leader': True,
                 'pid': 12, 'started_at': '2026-01-01T00:00:01Z',
                 'leader_since': '2026-01-01T00:00:02Z'},
                {'host': 'node-c', 'alive': False, 'leader': True,
                 'pid': 13, 'started_at': '2025-12-31T00:00:00Z',
                 'leader_since': '2025-12-31T00:00:00Z'}]))
        self.assertEqual([
            'Coordination backend: redis://:***@r:6379 (namespace staffeln)',
            'Leader: node-b (since 2026-01-01T00:00:02Z)',
            'Conductors: 2 live',
            '  HOST    STATE  ROLE    PID  STARTED               CLAIMS',
            '  node-a  live   -       11   2026-01-01T00:00:00Z  2',
            '  node-b  live   leader  12   2026-01-01T00:00:01Z  0',
            '  node-c  dead   -       13   2025-12-31T00:00:00Z  0',
            'Tasks:',
            '  queued     3',
        ], text.splitlines()[:9])
        self.assertIn('  deleted    4', text)

    def test_backend_without_groups(self):
        text = conductors.render(self.data(
            backend='mysql://staffeln:***@db/staffeln', leader_elected=True,
            claims={'node-a': 1}))
        self.assertIn('Leader: elected (the mysql backend does not say '
                      'which conductor)', text)
        self.assertIn('Conductors: not listed (the mysql backend has no '
                      'groups', text)
        self.assertIn('Claims: node-a 1', text)

    def test_unreachable_backend(self):
        text = conductors.render(self.data(
            error='cannot use the coordination backend redis://r: refused'))
        self.assertIn('Coordination error: cannot use the coordination '
                      'backend redis://r: refused', text)
        self.assertIn('Tasks:', text)

    def test_no_backend(self):
        text = conductors.render(self.data(backend=None))
        self.assertTrue(text.startswith(
            'Coordination backend: none ([coordination] backend_url is '
            'empty): each conductor leads alone, run only one'))
