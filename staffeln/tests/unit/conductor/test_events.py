"""What Nova's and Cinder's notifications wake, in both of Nova's formats."""

from unittest import mock

import oslo_messaging

from staffeln.conductor import events
from staffeln.tests import base

SERVER = '6b1e8c2a-0d2f-4a51-9b3e-3f1c2d4e5f60'


def unversioned(metadata=None, server_id=SERVER):
    return {'instance_id': server_id, 'tenant_id': 'p1',
            'metadata': metadata or {}, 'state': 'active'}


def versioned(metadata=None, tags=(), server_id=SERVER):
    return {'nova_object.name': 'InstanceUpdatePayload',
            'nova_object.namespace': 'nova', 'nova_object.version': '2.0',
            'nova_object.data': {'uuid': server_id, 'tenant_id': 'p1',
                                 'metadata': metadata or {},
                                 'tags': list(tags)}}


class TestClassifier(base.TestCase):

    def setUp(self):
        super().setUp()
        self.known = {'server': set(), 'volume': set(), 'backup': set()}
        for kind in self.known:
            self.useFixture(_Lookup(f'knows_{kind}', self.known[kind]))
        self.classifier = events.Classifier(self.conf,
                                            context_factory=lambda: None)

    def wakes(self, event_type, payload):
        return self.classifier.wakes(event_type, payload)

    def test_a_server_opted_in_wakes_discovery_in_both_formats(self):
        self.assertEqual(events.DISCOVERY, self.wakes(
            'compute.instance.update', unversioned({'backup': 'yes'})))
        self.assertEqual(events.DISCOVERY, self.wakes(
            'instance.update', versioned({'backup': 'True'})))

    def test_an_unknown_server_not_opted_in_wakes_nothing(self):
        self.assertIsNone(self.wakes('compute.instance.update',
                                     unversioned({'backup': 'no'})))
        self.assertIsNone(self.wakes('instance.update', versioned()))

    def test_a_known_server_that_changed_wakes_discovery(self):
        # Opted out, or a volume detached: discovery stops its schedule.
        self.known['server'].add(SERVER)
        self.assertEqual(events.DISCOVERY, self.wakes(
            'compute.instance.update', unversioned({'backup': 'no'})))
        self.assertEqual(events.DISCOVERY, self.wakes(
            'instance.volume_detach.end', versioned()))
        self.assertEqual(events.DISCOVERY, self.wakes(
            'instance.delete.end', versioned()))

    def test_a_deleted_server_or_volume_staffeln_never_saw_wakes_nothing(
            self):
        self.assertIsNone(self.wakes('compute.instance.delete.end',
                                     unversioned()))
        self.assertIsNone(self.wakes('volume.delete.end',
                                     {'volume_id': 'v1'}))
        self.known['volume'].add('v1')
        self.assertEqual(events.DISCOVERY, self.wakes(
            'volume.delete.end', {'volume_id': 'v1'}))

    def test_tags_opt_in_when_configured(self):
        self.flags(group='conductor', backup_tag='protected')
        self.assertEqual(events.DISCOVERY, self.wakes(
            'instance.update', versioned(tags=['protected'])))
        self.assertIsNone(self.wakes('instance.update',
                                     versioned(tags=['other'])))
        # Unversioned payloads carry no tags: it may be opted in.
        self.assertEqual(events.DISCOVERY, self.wakes(
            'compute.instance.update', unversioned()))

    def test_only_staffelns_backups_wake_the_poll(self):
        self.assertIsNone(self.wakes('backup.create.end',
                                     {'backup_id': 'b1'}))
        self.known['backup'].add('b1')
        self.assertEqual(events.POLL, self.wakes('backup.create.end',
                                                 {'backup_id': 'b1'}))
        self.assertEqual(events.POLL, self.wakes('backup.delete.end',
                                                 {'backup_id': 'b1'}))

    def test_malformed_payloads_wake_nothing(self):
        for payload in (None, 'text', [], {'nova_object.data': 'x'},
                        {'instance_id': 42, 'metadata': 'backup=yes'},
                        {'backup_id': ['b1']}):
            for event_type in ('instance.update', 'backup.create.end',
                               'volume.delete.end'):
                self.assertIsNone(self.wakes(event_type, payload))


class _Lookup:
    """Replaces one of the database lookups with a set."""

    def __init__(self, name, known):
        self.patcher = mock.patch.object(
            events.api_events, name, lambda context, key: key in known)

    def setUp(self):
        self.patcher.start()

    def cleanUp(self):
        self.patcher.stop()

    def getDetails(self):
        return {}


class TestEndpoint(base.TestCase):

    def test_a_failing_lookup_is_logged_and_the_message_acknowledged(self):
        classifier = mock.Mock()
        classifier.wakes.side_effect = RuntimeError('database gone')
        woken = []
        endpoint = events.Endpoint(classifier, woken.append)
        self.assertEqual(oslo_messaging.NotificationResult.HANDLED,
                         endpoint.info({}, 'compute.p', 'instance.update',
                                       versioned(), {}))
        self.assertEqual([], woken)

    def test_the_filter_lets_only_the_events_it_knows_through(self):
        rule = events.Endpoint.filter_rule

        def passes(event_type):
            return rule.match({}, 'publisher', event_type, {}, {})
        self.assertTrue(passes('instance.update'))
        self.assertTrue(passes('backup.create.end'))
        self.assertFalse(passes('backup.create.start'))
        self.assertFalse(passes('instance.updateX'))
