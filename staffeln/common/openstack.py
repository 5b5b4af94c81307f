"""Staffeln's one adapter to OpenStack, built on openstacksdk.

The rest of Staffeln speaks in the plain dataclasses below. Reads are retried
when a retry can succeed (connection errors, timeouts, 5xx, 429); client
errors (4xx) never are, and a create is never retried blindly: the engine
looks for the backup by its task marker first.
"""

import dataclasses
import datetime
import time
from typing import Callable

from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc
from oslo_log import log as logging
from oslo_utils import timeutils

from staffeln.common import connection
from staffeln.common import exception

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Server:
    id: str
    name: str
    project_id: str
    metadata: dict
    tags: list
    volume_ids: list


@dataclasses.dataclass
class Volume:
    id: str
    name: str | None
    project_id: str
    size: int
    status: str
    metadata: dict
    server_ids: list


@dataclasses.dataclass
class Backup:
    id: str
    name: str | None
    project_id: str | None
    volume_id: str
    status: str
    is_incremental: bool
    has_dependent_backups: bool
    size: int | None
    fail_reason: str | None
    metadata: dict
    created_at: datetime.datetime | None


def _time(value) -> datetime.datetime | None:
    if not value:
        return None
    parsed = timeutils.parse_isotime(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def _backup(res) -> Backup:
    return Backup(
        id=res.id, name=res.name, project_id=res.project_id,
        volume_id=res.volume_id, status=res.status,
        is_incremental=bool(res.is_incremental),
        has_dependent_backups=bool(res.has_dependent_backups),
        size=res.size, fail_reason=res.fail_reason,
        metadata=dict(res.metadata or {}), created_at=_time(res.created_at))


def _message(exc: Exception) -> str:
    if isinstance(exc, sdk_exc.HttpException):
        details = exc.details or exc.message or ''
        return str(details).strip() or f'HTTP {exc.status_code}'
    return str(exc) or exc.__class__.__name__


def _cloud_error(exc: Exception, what: str) -> exception.CloudError:
    """Map an SDK or keystoneauth error to a CloudError."""
    if isinstance(exc, sdk_exc.NotFoundException):
        return exception.NotFound(f'{what}: {_message(exc)}')
    if isinstance(exc, sdk_exc.HttpException) and exc.status_code:
        status = exc.status_code
        return exception.CloudError(
            f'{what}: {_message(exc)}', status=status,
            retriable=status >= 500 or status == 429)
    if isinstance(exc, (ks_exc.ConnectionError, ks_exc.ConnectFailure,
                        ks_exc.ConnectTimeout, sdk_exc.SDKException,
                        ks_exc.RetriableConnectionFailure)):
        return exception.CloudError(f'{what}: {_message(exc)}',
                                    retriable=True)
    if isinstance(exc, ks_exc.ClientException):
        status = getattr(exc, 'http_status', None)
        return exception.CloudError(f'{what}: {_message(exc)}',
                                    status=status,
                                    retriable=status is None)
    raise exc


class Cloud:
    """The OpenStack operations Staffeln needs, as plain data."""

    def __init__(self, conf, sleep: Callable[[float], None] = time.sleep):
        self.conf = conf
        self.connections = connection.ConnectionFactory(conf)
        self.page_size = conf.openstack.page_size
        self.retries = conf.openstack.api_retries
        self._sleep = sleep

    # -------------------------------------------------------- plumbing

    def _call(self, what: str, func, *args, retry: bool = True, **kwargs):
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                error = _cloud_error(exc, what)
                if not (error.retriable and attempt < attempts):
                    raise error
                LOG.warning('%s failed (attempt %d of %d), retrying: %s',
                            what, attempt, attempts, error)
                self._sleep(min(2 ** attempt, 30))

    def _list(self, what: str, make_iter, convert) -> list:
        """A whole paginated listing, converted item by item.

        The SDK fetches pages lazily; a failure part-way restarts the
        listing, which is rare and keeps the result consistent. Only the
        small converted records are kept, not the SDK resources.
        """
        return self._call(what, lambda: [convert(r) for r in make_iter()])

    @property
    def _service(self):
        return self.connections.service()

    # -------------------------------------------------------- nova

    def list_servers(self) -> list[Server]:
        """Every server of every project, one paginated listing."""
        compute = self._service.compute

        def convert(res):
            return Server(
                id=res.id, name=res.name, project_id=res.project_id,
                metadata=dict(res.metadata or {}),
                tags=list(res.tags or []),
                volume_ids=[v['id'] for v in res.attached_volumes or []])
        return self._list('listing servers', lambda: compute.servers(
            details=True, all_projects=True, limit=self.page_size), convert)

    def set_server_metadata(self, server_id: str, key: str,
                            value: str) -> None:
        compute = self._service.compute
        self._call(f'setting metadata {key} of server {server_id}',
                   compute.set_server_metadata, server_id, **{key: value})

    # -------------------------------------------------------- cinder

    def list_volumes(self) -> list[Volume]:
        """Every volume of every project, one paginated listing."""
        storage = self._service.block_storage

        def convert(res):
            return Volume(
                id=res.id, name=res.name, project_id=res.project_id,
                size=res.size or 0, status=res.status,
                metadata=dict(res.metadata or {}),
                server_ids=[a.get('server_id')
                            for a in (res.attachments or [])])
        return self._list('listing volumes', lambda: storage.volumes(
            details=True, all_projects=True, limit=self.page_size), convert)

    def list_backups(self, **filters) -> list[Backup]:
        """Backups of all projects matching Cinder's list filters."""
        storage = self._service.block_storage
        query = {k: v for k, v in filters.items() if v is not None}
        return self._list('listing backups', lambda: storage.backups(
            details=True, all_projects=True, limit=self.page_size,
            **query), _backup)

    def get_backup(self, backup_id: str) -> Backup:
        storage = self._service.block_storage
        return _backup(self._call(f'reading backup {backup_id}',
                                  storage.get_backup, backup_id))

    def create_backup(self, project_id: str, volume_id: str, name: str,
                      description: str, incremental: bool, force: bool,
                      metadata: dict) -> Backup:
        """Create a backup with a token scoped to the volume's project.

        Never retried here: after an ambiguous failure the caller must
        look for the backup by its marker before trying again.
        """
        storage = self.connections.project(project_id).block_storage
        res = self._call(
            f'creating a backup of volume {volume_id}',
            storage.create_backup, retry=False,
            volume_id=volume_id, name=name, description=description,
            is_incremental=incremental, force=force, metadata=metadata)
        backup = _backup(res)
        backup.project_id = backup.project_id or project_id
        return backup

    def delete_backup(self, project_id: str, backup_id: str) -> None:
        """Delete a backup in its owner's project scope; gone is fine."""
        storage = self.connections.project(project_id).block_storage
        self._call(f'deleting backup {backup_id}', storage.delete_backup,
                   backup_id, ignore_missing=True, retry=False)

    def get_backup_quota(self, project_id: str) -> dict:
        """``backups`` and ``backup_gigabytes`` as limit/in_use/reserved."""
        storage = self._service.block_storage
        quota = self._call(f'reading the quota of project {project_id}',
                           storage.get_quota_set, project_id, usage=True)
        result = {}
        for key in ('backups', 'backup_gigabytes'):
            value = getattr(quota, key, None)
            usage = (quota.usage or {}).get(key, {})
            reserved = (quota.reservation or {}).get(key, 0)
            if isinstance(value, dict):
                usage, value = value, value.get('limit')
            result[key] = {
                'limit': -1 if value is None else int(value),
                'in_use': int(usage.get('in_use', 0) if isinstance(
                    usage, dict) else usage or 0),
                'reserved': int(reserved or 0),
            }
        return result

    # -------------------------------------------------------- keystone

    def get_project(self, project_id: str) -> dict:
        identity = self._service.identity
        project = self._call(f'reading project {project_id}',
                             identity.get_project, project_id)
        return {'id': project.id, 'name': project.name,
                'domain_id': project.domain_id}

    def project_user_emails(self, project_id: str,
                            role_name: str) -> list[str]:
        """Emails of the users holding ``role_name`` in the project."""
        identity = self._service.identity
        roles = list(self._call('listing roles', lambda: list(
            identity.roles(name=role_name))))
        if not roles:
            return []
        assignments = self._call(
            f'listing role assignments of project {project_id}',
            lambda: list(identity.role_assignments(
                scope_project_id=project_id, role_id=roles[0].id,
                effective=True)))
        emails = []
        for assignment in assignments:
            user_id = (assignment.user or {}).get('id')
            if not user_id:
                continue
            user = self._call(f'reading user {user_id}',
                              identity.get_user, user_id)
            email = getattr(user, 'email', None)
            if email and email not in emails:
                emails.append(email)
        return emails

    def end_cycle(self) -> None:
        """Forget project-scoped sessions cached during a cycle."""
        self.connections.forget_projects()
