"""Notifications as Nova and Cinder send them, on a real message bus.

Nova sends ``compute.instance.update`` (unversioned, on the
``notifications`` topic) and ``instance.update`` (versioned, on
``versioned_notifications``) when a server's metadata or tags change, as
it does with ``[notifications] notify_on_state_change`` set; Cinder sends
``backup.create.end`` and ``backup.delete.end`` (unversioned). Each
service publishes on its own exchange (``nova``, ``cinder``) with the
``messagingv2`` driver, as the real services do: Nova on ``nova``, Cinder
on oslo.messaging's default ``openstack`` (Cinder sets no exchange of its
own).
"""

from __future__ import annotations

from typing import Any

from oslo_config import cfg
import oslo_messaging
from oslo_messaging import opts as messaging_opts

from staffeln.tests.simcloud import models

#: Nova's ``[notifications] notification_format`` values.
FORMATS = ('unversioned', 'versioned', 'both')


def _notifier(url: str, exchange: str, publisher_id: str,
              topics: list[str]) -> tuple[Any, oslo_messaging.Notifier]:
    conf = cfg.ConfigOpts()
    for group, options in messaging_opts.list_opts():
        conf.register_opts(options, group=group)
    conf([], project=exchange)
    # The exchange is the transport's default, read when it is made.
    conf.set_override('control_exchange', exchange)
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    return transport, oslo_messaging.Notifier(
        transport, publisher_id=publisher_id, driver='messagingv2',
        topics=topics)


class Emitter:
    """Sends the simulated cloud's notifications to ``url``."""

    def __init__(self, url: str, nova_format: str = 'both',
                 nova_exchange: str = 'nova',
                 cinder_exchange: str = 'openstack') -> None:
        if nova_format not in FORMATS:
            raise ValueError(f'nova_format must be one of {FORMATS}')
        self.nova_format = nova_format
        self._transports = []
        self.nova = self._open(url, nova_exchange, 'compute.simcloud',
                               ['notifications'])
        self.nova_versioned = self._open(url, nova_exchange,
                                         'nova-api:simcloud',
                                         ['versioned_notifications'])
        self.cinder = self._open(url, cinder_exchange, 'backup.simcloud',
                                 ['notifications'])

    def _open(self, url, exchange, publisher_id, topics):
        transport, notifier = _notifier(url, exchange, publisher_id, topics)
        self._transports.append(transport)
        return notifier

    def close(self) -> None:
        for transport in self._transports:
            transport.cleanup()
        self._transports = []

    # -- Nova ----------------------------------------------------------------
    def _server(self, unversioned: str, versioned: str,
                server: models.Server) -> None:
        if self.nova_format in ('unversioned', 'both'):
            self.nova.info({}, unversioned, {
                'instance_id': server.id, 'tenant_id': server.project_id,
                'user_id': server.user_id, 'display_name': server.name,
                'state': server.status.lower(),
                'metadata': dict(server.metadata)})
        if self.nova_format in ('versioned', 'both'):
            self.nova_versioned.info({}, versioned, {
                'nova_object.name': 'InstanceUpdatePayload',
                'nova_object.namespace': 'nova',
                'nova_object.version': '2.0',
                'nova_object.data': {
                    'uuid': server.id, 'tenant_id': server.project_id,
                    'user_id': server.user_id,
                    'display_name': server.name,
                    'state': server.status.lower(),
                    'metadata': dict(server.metadata),
                    'tags': list(server.tags)}})

    def server_updated(self, server: models.Server) -> None:
        self._server('compute.instance.update', 'instance.update', server)

    def server_deleted(self, server: models.Server) -> None:
        self._server('compute.instance.delete.end', 'instance.delete.end',
                     server)

    # -- Cinder --------------------------------------------------------------
    def backup(self, event_type: str, backup: models.Backup) -> None:
        self.cinder.info({}, event_type, {
            'backup_id': backup.id, 'tenant_id': backup.project_id,
            'volume_id': backup.volume_id, 'status': backup.status,
            'size': backup.size, 'parent_id': backup.parent_id,
            'fail_reason': backup.fail_reason})
