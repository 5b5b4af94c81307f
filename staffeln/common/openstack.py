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

#: Compute API microversion of server listings: 2.26 adds server tags.
COMPUTE_MICROVERSION = '2.26'
#: Block storage microversion of listings: 3.43 adds backup metadata.
VOLUME_MICROVERSION = '3.64'


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


def _server(item: dict) -> Server:
    volumes = item.get('os-extended-volumes:volumes_attached') or []
    return Server(id=item['id'], name=item.get('name') or '',
                  project_id=item.get('tenant_id') or '',
                  metadata=dict(item.get('metadata') or {}),
                  tags=list(item.get('tags') or []),
                  volume_ids=[v['id'] for v in volumes])


def _volume(item: dict) -> Volume:
    return Volume(id=item['id'], name=item.get('name'),
                  project_id=item.get('os-vol-tenant-attr:tenant_id') or '',
                  size=item.get('size') or 0, status=item.get('status'),
                  metadata=dict(item.get('metadata') or {}),
                  server_ids=[a.get('server_id')
                              for a in item.get('attachments') or []])


def _backup_record(item: dict) -> Backup:
    return Backup(
        id=item['id'], name=item.get('name'),
        project_id=item.get('os-backup-project-attr:project_id'),
        volume_id=item.get('volume_id'), status=item.get('status'),
        is_incremental=bool(item.get('is_incremental')),
        has_dependent_backups=bool(item.get('has_dependent_backups')),
        size=item.get('size'), fail_reason=item.get('fail_reason'),
        metadata=dict(item.get('metadata') or {}),
        created_at=_time(item.get('created_at')))


def _next_page(links, count: int, page_size: int):
    """The next page's URL and query, or (None, None) after the last."""
    if count < page_size:
        return None, None
    for link in links or []:
        if link.get('rel') == 'next' and link.get('href'):
            # An absolute URL that carries the marker and the filters.
            return link['href'], None
    return None, None


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
            f'{what}: HTTP {status}: {_message(exc)}', status=status,
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

    def _list(self, what: str, proxy, path: str, key: str, convert,
              microversion: str | None = None, **params) -> list:
        """A whole paginated listing across all projects, as records.

        Follows the ``<key>_links`` next link and stops at the first page
        shorter than the page size, so a listing of N items costs
        ceil(N / page_size) requests (one more only when the last page is
        exactly full). A failure part-way restarts the listing, which keeps
        the result consistent. Only the small converted records are kept.
        """
        params = {k: v for k, v in params.items() if v is not None}
        params.update(all_tenants=1, limit=self.page_size)

        def fetch():
            records = []
            url, query = path, dict(params)
            while url:
                response = proxy.get(url, params=query,
                                     microversion=microversion)
                sdk_exc.raise_from_response(response)
                body = response.json()
                page = body.get(key, [])
                records.extend(convert(item) for item in page)
                url, query = _next_page(body.get(f'{key}_links'),
                                        len(page), self.page_size)
            return records
        return self._call(what, fetch)

    @property
    def _service(self):
        return self.connections.service()

    # -------------------------------------------------------- nova

    def list_servers(self) -> list[Server]:
        """Every server of every project, one paginated listing."""
        return self._list('listing servers', self._service.compute,
                          '/servers/detail', 'servers', _server,
                          microversion=COMPUTE_MICROVERSION)

    def set_server_metadata(self, server_id: str, key: str,
                            value: str) -> None:
        compute = self._service.compute
        self._call(f'setting metadata {key} of server {server_id}',
                   compute.set_server_metadata, server_id, **{key: value})

    # -------------------------------------------------------- cinder

    def list_volumes(self) -> list[Volume]:
        """Every volume of every project, one paginated listing."""
        return self._list('listing volumes', self._service.block_storage,
                          '/volumes/detail', 'volumes', _volume,
                          microversion=VOLUME_MICROVERSION)

    def list_backups(self, **filters) -> list[Backup]:
        """Backups of all projects matching Cinder's list filters."""
        return self._list('listing backups', self._service.block_storage,
                          '/backups/detail', 'backups', _backup_record,
                          microversion=VOLUME_MICROVERSION, **filters)

    def get_backup(self, backup_id: str) -> Backup:
        storage = self._service.block_storage

        def fetch():
            response = storage.get(f'/backups/{backup_id}',
                                   microversion=VOLUME_MICROVERSION)
            sdk_exc.raise_from_response(response)
            return _backup_record(response.json()['backup'])
        return self._call(f'reading backup {backup_id}', fetch)

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

    # -------------------------------------------------------- checks

    def check_all_projects_listing(self) -> None:
        """Raise CloudError unless every project's servers can be listed.

        One request for one server; Nova answers 403 to a non-admin.
        """
        def fetch():
            # Inside: the first use of a proxy authenticates.
            response = self._service.compute.get(
                '/servers/detail', params={'all_tenants': 1, 'limit': 1},
                microversion=COMPUTE_MICROVERSION)
            sdk_exc.raise_from_response(response)
        self._call('listing the servers of all projects', fetch)

    def inherited_role_assignments(self) -> list[dict]:
        """The service user's own role assignments inherited to projects.

        Each is ``{'role_id', 'domain_id', 'project_id'}`` (one of the two
        ids set). Assignments through groups are not listed.
        """
        def fetch():
            service = self._service
            response = service.identity.get('/role_assignments', params={
                'user.id': service.current_user_id,
                'scope.OS-INHERIT:inherited_to': 'projects'})
            sdk_exc.raise_from_response(response)
            found = []
            for item in response.json().get('role_assignments', []):
                scope = item.get('scope') or {}
                found.append({
                    'role_id': (item.get('role') or {}).get('id'),
                    'domain_id': (scope.get('domain') or {}).get('id'),
                    'project_id': (scope.get('project') or {}).get('id')})
            return found
        return self._call('listing the role assignments of the service user',
                          fetch)

    def backup_services(self) -> list[dict]:
        """Cinder's ``cinder-backup`` services: host, status and state."""
        def fetch():
            response = self._service.block_storage.get(
                '/os-services', params={'binary': 'cinder-backup'})
            sdk_exc.raise_from_response(response)
            return [{'host': s.get('host'), 'status': s.get('status'),
                     'state': s.get('state')}
                    for s in response.json().get('services', [])]
        return self._call('listing the cinder-backup services', fetch)

    def end_cycle(self) -> None:
        """Forget project-scoped sessions cached during a cycle."""
        self.connections.forget_projects()
