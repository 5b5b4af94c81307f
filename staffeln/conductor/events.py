"""Listening to Nova and Cinder: what a notification asks of the conductor.

A notification never changes state by itself. It only makes a step run
sooner: a server opted in, changed or deleted wakes the leader's
discovery (through the database, since the conductor that hears it may
not lead); a backup of Staffeln's that ended wakes this conductor's poll.
The steps then read the cloud as they always do, so a notification that
is lost, late, duplicated or forged changes nothing but timing, and the
periodic discovery and polling catch what was missed.

Both of Nova's formats are understood: unversioned
(``compute.instance.update``, payload with ``instance_id``) and versioned
(``instance.update``, a ``nova_object.data`` payload with ``uuid`` and
``tags``). Cinder's notifications are unversioned.
"""

from typing import Any, Callable

from oslo_log import log as logging
import oslo_messaging

from staffeln.common import context as staffeln_context
from staffeln.db import api_events
from staffeln.rules import overrides

LOG = logging.getLogger(__name__)

#: What a notification wakes.
DISCOVERY = 'discovery'
POLL = 'poll'

#: Nova events about a server whose opt-in or volumes may have changed.
SERVER_EVENTS = frozenset((
    'compute.instance.update', 'instance.update',
    'compute.instance.create.end', 'instance.create.end',
    'compute.instance.volume.attach', 'instance.volume_attach.end',
    'compute.instance.volume.detach', 'instance.volume_detach.end',
))
#: Nova events after which a known server is gone.
SERVER_GONE = frozenset(('compute.instance.delete.end',
                         'instance.delete.end'))
#: Cinder events after which a known volume is gone.
VOLUME_GONE = frozenset(('volume.delete.end',))
#: Cinder events that end a backup (made or deleted).
BACKUP_ENDS = frozenset(('backup.create.end', 'backup.delete.end'))

EVENT_TYPES = SERVER_EVENTS | SERVER_GONE | VOLUME_GONE | BACKUP_ENDS


def server_of(payload: Any) -> tuple[str | None, dict, list | None]:
    """A Nova payload's server id, metadata and tags (None: not sent)."""
    if not isinstance(payload, dict):
        return None, {}, None
    data = payload.get('nova_object.data', payload)
    if not isinstance(data, dict):
        return None, {}, None
    server_id = data.get('uuid') or data.get('instance_id')
    metadata = data.get('metadata')
    tags = data.get('tags')
    return (server_id if isinstance(server_id, str) else None,
            metadata if isinstance(metadata, dict) else {},
            tags if isinstance(tags, list) else None)


class Classifier:
    """Decides what a notification wakes, if anything."""

    def __init__(self, conf, context_factory: Callable[[], Any]
                 = staffeln_context.get_admin_context):
        self.group = conf.conductor
        self._context = context_factory

    def wakes(self, event_type: str, payload: Any) -> str | None:
        if event_type in SERVER_EVENTS:
            return self._server_changed(payload)
        if event_type in SERVER_GONE:
            server_id = server_of(payload)[0]
            if server_id and api_events.knows_server(self._context(),
                                                     server_id):
                return DISCOVERY
        elif event_type in VOLUME_GONE:
            volume_id = _field(payload, 'volume_id')
            if volume_id and api_events.knows_volume(self._context(),
                                                     volume_id):
                return DISCOVERY
        elif event_type in BACKUP_ENDS:
            backup_id = _field(payload, 'backup_id')
            if backup_id and api_events.knows_backup(self._context(),
                                                     backup_id):
                return POLL
        return None

    def _server_changed(self, payload) -> str | None:
        server_id, metadata, tags = server_of(payload)
        if not server_id:
            return None
        key = self.group.backup_metadata_key
        if overrides.is_true(metadata.get(key)):
            return DISCOVERY
        tag = self.group.backup_tag
        if tag and (tags is None or tag in tags):
            # Unversioned payloads carry no tags: it may be opted in.
            return DISCOVERY
        if api_events.knows_server(self._context(), server_id):
            return DISCOVERY   # opted out, or its volumes changed
        return None


def _field(payload: Any, name: str) -> str | None:
    value = payload.get(name) if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None


class Endpoint:
    """The oslo.messaging endpoint: every priority, one classifier."""

    filter_rule = oslo_messaging.NotificationFilter(
        event_type='^(' + '|'.join(sorted(
            t.replace('.', r'\.') for t in EVENT_TYPES)) + ')$')

    def __init__(self, classifier: Classifier,
                 wake: Callable[[str], None]):
        self.classifier = classifier
        self.wake = wake

    def _handle(self, ctxt, publisher_id, event_type, payload, metadata):
        try:
            step = self.classifier.wakes(event_type, payload)
        except Exception:
            # Never requeued: the periodic steps catch what it was about.
            LOG.exception('Cannot handle notification %s from %s',
                          event_type, publisher_id)
            return oslo_messaging.NotificationResult.HANDLED
        if step:
            LOG.debug('Notification %s from %s wakes the %s', event_type,
                      publisher_id, step)
            self.wake(step)
        return oslo_messaging.NotificationResult.HANDLED

    info = warn = error = _handle


class Listener:
    """The conductor's notification listener (threading executor)."""

    def __init__(self, conf, wake: Callable[[str], None],
                 classifier: Classifier | None = None):
        self.conf = conf
        self.endpoint = Endpoint(classifier or Classifier(conf), wake)
        self._transport = None
        self._listener = None

    def start(self) -> None:
        group = self.conf.events
        self._transport = oslo_messaging.get_notification_transport(
            self.conf, url=group.transport_url)
        targets = [oslo_messaging.Target(topic=topic, exchange=exchange)
                   for exchange in group.exchanges for topic in group.topics]
        self._listener = oslo_messaging.get_notification_listener(
            self._transport, targets, [self.endpoint], executor='threading',
            pool=group.pool)
        self._listener.start()
        LOG.info('Listening to notifications on %s (pool %s)',
                 ', '.join(f'{t.exchange}/{t.topic}' for t in targets),
                 group.pool)

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener.wait()
            self._listener = None
        if self._transport is not None:
            self._transport.cleanup()
            self._transport = None
