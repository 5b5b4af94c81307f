"""What the listings accept: paging, sorting, scope and filters.

Each parser takes the request's query arguments (a werkzeug MultiDict)
and returns plain data, or raises :class:`errors.BadRequest` with a
one-line reason. An argument a listing does not know is refused, so a
misspelt filter never silently lists everything.
"""

import dataclasses
import datetime

from oslo_utils import timeutils

from staffeln.api import errors
from staffeln.api import schemas
from staffeln.db import api_backup_views
from staffeln.db import api_views
from staffeln.db import states

_PAGING = ('limit', 'marker', 'sort_key', 'sort_dir')
_SCOPE = ('project_id', 'all_projects')


@dataclasses.dataclass(frozen=True)
class Scope:
    project_id: str | None
    all_projects: bool


def check_known(args, known: tuple) -> None:
    unknown = sorted(set(args) - set(known))
    if unknown:
        raise errors.BadRequest(
            f'{unknown[0]}: unknown query argument (known: '
            f'{", ".join(known)})')


def single(args, name: str) -> str | None:
    return schemas._single(args, name)


def scope(args) -> Scope:
    project_id = single(args, 'project_id')
    if project_id is not None and not 0 < len(project_id) <= 64:
        raise errors.BadRequest('project_id must have 1 to 64 characters')
    all_projects = boolean(args, 'all_projects')
    if all_projects and project_id:
        raise errors.BadRequest('give project_id or all_projects, not both')
    return Scope(project_id, all_projects)


def boolean(args, name: str) -> bool:
    value = (single(args, name) or '').lower()
    if value not in schemas._TRUE + schemas._FALSE:
        raise errors.BadRequest(f'{name} must be true or false')
    return value in schemas._TRUE


def page(args, sort_keys: tuple, default_dir: str = 'asc',
         marker_is_uuid: bool = True) -> api_views.Page:
    limit = single(args, 'limit')
    if limit is None:
        limit = schemas.DEFAULT_LIMIT
    else:
        if (not limit.isascii() or not limit.isdigit() or len(limit) > 6
                or not 1 <= int(limit) <= schemas.MAX_LIMIT):
            raise errors.BadRequest(
                f'limit must be an integer from 1 to {schemas.MAX_LIMIT}')
        limit = int(limit)
    marker = single(args, 'marker')
    if marker is not None and marker_is_uuid:
        marker = schemas.parse_uuid(marker, 'marker')
    sort_key = single(args, 'sort_key') or sort_keys[0]
    if sort_key not in sort_keys:
        raise errors.BadRequest(
            f'sort_key must be one of {", ".join(sort_keys)}')
    sort_dir = single(args, 'sort_dir') or default_dir
    if sort_dir not in ('asc', 'desc'):
        raise errors.BadRequest('sort_dir must be asc or desc')
    return api_views.Page(limit, marker, sort_key, sort_dir)


def optional_uuid(args, name: str) -> str | None:
    value = single(args, name)
    return None if value is None else schemas.parse_uuid(value, name)


def choice(args, name: str, choices: tuple) -> str | None:
    value = single(args, name)
    if value is not None and value not in choices:
        raise errors.BadRequest(f'{name} must be one of {", ".join(choices)}')
    return value


def time(args, name: str) -> datetime.datetime | None:
    value = single(args, name)
    if value is None:
        return None
    try:
        parsed = timeutils.parse_isotime(value)
    except ValueError:
        raise errors.BadRequest(
            f'{name} is not an ISO 8601 time (2026-01-31T12:00:00Z)'
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


# ---------------------------------------------------------------- listings

VOLUME_SORT_KEYS = ('id', 'name', 'project_id', 'size_gb', 'created_at')
VOLUME_ARGS = _PAGING + _SCOPE + ('server_id', 'state', 'policy')


@dataclasses.dataclass(frozen=True)
class VolumeQuery:
    scope: Scope
    page: api_views.Page
    server_id: str | None
    state: str | None
    #: Only the volumes this policy (by name) protects.
    policy: str | None = None


def volume_query(args) -> VolumeQuery:
    check_known(args, VOLUME_ARGS)
    policy = single(args, 'policy')
    if policy is not None and not 0 < len(policy) <= 64:
        raise errors.BadRequest('a policy name has 1 to 64 characters')
    return VolumeQuery(scope(args), page(args, VOLUME_SORT_KEYS),
                       optional_uuid(args, 'server_id'),
                       choice(args, 'state', api_views.VOLUME_STATES),
                       policy)


BACKUP_SORT_KEYS = ('created_at', 'started_at', 'finished_at', 'size_gb',
                    'volume_name')
BACKUP_ARGS = _PAGING + _SCOPE + ('volume_id', 'server_id', 'type',
                                  'status', 'since', 'until')
#: What a backup's status may be: its task's states that have a backup.
BACKUP_STATUSES = (states.STARTING, states.CREATING, states.AVAILABLE,
                   states.CLEANUP, states.FAILED, states.DELETING,
                   states.DELETED)


@dataclasses.dataclass(frozen=True)
class BackupQuery:
    scope: Scope
    page: api_views.Page
    filters: api_backup_views.BackupFilters


def backup_query(args) -> BackupQuery:
    check_known(args, BACKUP_ARGS)
    statuses = []
    for value in args.getlist('status'):
        for status in value.split(','):
            if status not in BACKUP_STATUSES:
                raise errors.BadRequest(
                    f'status must be one of {", ".join(BACKUP_STATUSES)}')
            statuses.append(status)
    since, until = time(args, 'since'), time(args, 'until')
    if since and until and since >= until:
        raise errors.BadRequest('since must be before until')
    filters = api_backup_views.BackupFilters(
        volume_id=optional_uuid(args, 'volume_id'),
        server_id=optional_uuid(args, 'server_id'),
        backup_type=choice(args, 'type', ('full', 'incremental')),
        statuses=tuple(statuses), since=since, until=until)
    return BackupQuery(scope(args), page(args, BACKUP_SORT_KEYS, 'desc'),
                       filters)
