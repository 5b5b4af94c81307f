"""Event notifications that other services can react to (oslo.messaging).

The driver and transport come from ``[oslo_messaging_notifications]``
(``driver``, ``transport_url``, ``topics``, ``retry``); with no driver (the
default) nothing is sent. Notifications are published by
``staffeln.<host>`` on the ``staffeln`` exchange.

Event types and their payloads are documented in
``doc/source/admin/notifications.rst``; keep the two in step.
"""

import datetime
from typing import Any

from oslo_log import log as logging
import oslo_messaging

from staffeln.common import clock

LOG = logging.getLogger(__name__)

BACKUP_CREATE_START = 'staffeln.backup.create.start'
BACKUP_CREATE_END = 'staffeln.backup.create.end'
BACKUP_CREATE_ERROR = 'staffeln.backup.create.error'
BACKUP_DELETE_END = 'staffeln.backup.delete.end'
REPORT_SEND_END = 'staffeln.report.send.end'
DRILL_END = 'staffeln.drill.end'

#: Attributes of a backup task copied into every backup payload.
TASK_FIELDS = ('uuid', 'backup_id', 'backup_name', 'backup_type',
               'project_id', 'volume_id', 'volume_name', 'server_id',
               'server_name', 'size_gb', 'status', 'reason')
TASK_TIMES = ('created_at', 'started_at', 'finished_at', 'deleted_at')


def _time(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return clock.as_utc(value).isoformat()


def task_payload(task: Any) -> dict:
    """The payload of a backup event, from a task (model or look-alike).

    ``uuid`` is published as ``task_uuid``.
    """
    payload = {}
    for field in TASK_FIELDS:
        key = 'task_uuid' if field == 'uuid' else field
        payload[key] = getattr(task, field, None)
    for field in TASK_TIMES:
        payload[field] = _time(getattr(task, field, None))
    return payload


class Notifier:
    """Staffeln's notifier: one method per event type.

    Sending never raises: a notification that cannot be delivered is
    logged by oslo.messaging and the caller carries on.
    """

    def __init__(self, conf, transport: oslo_messaging.Transport | None
                 = None):
        self.publisher_id = f'staffeln.{conf.host}'
        drivers = [d for d in conf.oslo_messaging_notifications.driver
                   if d != 'noop']
        self._notifier = None
        self._own_transport = None
        if not drivers:
            return
        if transport is None:
            transport = oslo_messaging.get_notification_transport(conf)
            self._own_transport = transport
        self._notifier = oslo_messaging.Notifier(
            transport, publisher_id=self.publisher_id)

    @classmethod
    def disabled(cls) -> 'Notifier':
        """A notifier that sends nothing (no configuration needed)."""
        notifier = cls.__new__(cls)
        notifier.publisher_id = 'staffeln'
        notifier._notifier = notifier._own_transport = None
        return notifier

    @property
    def enabled(self) -> bool:
        return self._notifier is not None

    def cleanup(self) -> None:
        """Close the transport this notifier opened, if any."""
        if self._own_transport is not None:
            self._own_transport.cleanup()
            self._own_transport = None

    def _send(self, priority: str, event_type: str, payload: dict) -> None:
        if self._notifier is None:
            return
        LOG.debug('Notification %s: %s', event_type, payload)
        getattr(self._notifier, priority)({}, event_type, payload)

    # -- backups -----------------------------------------------------------
    def backup_create_start(self, task: Any) -> None:
        """Cinder accepted the create call: the backup is being made."""
        self._send('info', BACKUP_CREATE_START, task_payload(task))

    def backup_create_end(self, task: Any) -> None:
        """The backup became available."""
        self._send('info', BACKUP_CREATE_END, task_payload(task))

    def backup_create_error(self, task: Any) -> None:
        """The backup failed; ``reason`` says why."""
        self._send('error', BACKUP_CREATE_ERROR, task_payload(task))

    def backup_delete_end(self, task: Any) -> None:
        """Retention deleted the backup."""
        self._send('info', BACKUP_DELETE_END, task_payload(task))

    # -- drills ------------------------------------------------------------
    def drill_end(self, drill: Any) -> None:
        """A restore drill is done: its verdict; its volume is gone."""
        priority = 'info' if drill.outcome == 'passed' else 'error'
        self._send(priority, DRILL_END, {
            'drill_id': drill.uuid,
            'project_id': drill.project_id,
            'volume_id': drill.volume_id,
            'backup_id': drill.backup_id,
            'outcome': drill.outcome,
            'reason': drill.reason,
            'rto_seconds': drill.rto_s,
            'checked_at': _time(drill.checked_at),
        })

    # -- reports -----------------------------------------------------------
    def report_sent(self, project_id: str, recipients: list[str],
                    period_start: datetime.datetime,
                    period_end: datetime.datetime) -> None:
        """A project's digest went out."""
        self._send('info', REPORT_SEND_END, {
            'project_id': project_id,
            'recipients': list(recipients),
            'period_start': _time(period_start),
            'period_end': _time(period_end),
        })
