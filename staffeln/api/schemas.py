"""What the API accepts: parsing and validation of request inputs.

Each function takes plain values (query arguments, a content type, the raw
body) and returns plain data or raises :class:`errors.BadRequest` (or
:class:`errors.UnsupportedMediaType`) with a one-line reason.
"""

import collections.abc
import dataclasses
import json
import re
import urllib.parse
import uuid

from staffeln.api import errors
from staffeln.db import states

FORM = 'application/x-www-form-urlencoded'
JSON = 'application/json'

#: Fields of an oslo.policy http check body; others are ignored.
_CHECK_FIELDS = ('rule', 'target', 'credentials')
#: A UUID, with or without dashes (Cinder's ids are dashed, lower case).
_UUID_RE = re.compile(
    r'[0-9a-f]{8}(-?)[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{12}',
    re.ASCII | re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class HookRequest:
    """One delete hook question: may ``backup_id`` be deleted?"""

    backup_id: str
    #: The target's metadata (the backup's metadata in Cinder), or {}.
    metadata: collections.abc.Mapping
    #: Roles from the check's credentials, or empty.
    roles: frozenset


def parse_uuid(value: str, what: str) -> str:
    """The canonical (lower case, dashed) spelling of a UUID."""
    if not isinstance(value, str) or not value:
        raise errors.BadRequest(f'{what} must be a non-empty string')
    if not _UUID_RE.fullmatch(value):
        raise errors.BadRequest(f'{what} is not a UUID')
    return str(uuid.UUID(value))


def _loads(text: str, what: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise errors.BadRequest(f'{what} is not valid JSON') from None


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode('utf-8')
    except UnicodeDecodeError:
        raise errors.BadRequest(f'{what} is not UTF-8') from None


def _parse_form(body: bytes) -> dict:
    text = _decode(body, 'the form body')
    try:
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, errors='strict',
            max_num_fields=100)
    except UnicodeDecodeError:
        raise errors.BadRequest('a form field is not UTF-8') from None
    except ValueError:
        raise errors.BadRequest('the form body has too many fields') from None
    fields: dict = {}
    for name, value in pairs:
        if name not in _CHECK_FIELDS:
            continue
        if name in fields:
            raise errors.BadRequest(f'form field {name} is given twice')
        fields[name] = _loads(value, f'form field {name}')
    return fields


def _parse_json(body: bytes) -> dict:
    document = _loads(_decode(body, 'the JSON body'), 'the JSON body')
    if not isinstance(document, dict):
        raise errors.BadRequest('the JSON body is not an object')
    return {name: document[name] for name in _CHECK_FIELDS
            if name in document}


def parse_check_body(mimetype: str, body: bytes) -> dict:
    """The ``rule``, ``target`` and ``credentials`` of an oslo.policy check.

    oslo.policy sends them form-encoded, each a JSON string (the default), or
    as one JSON object (``[oslo_policy] remote_content_type =
    application/json``). An empty body gives an empty dict.
    """
    if not body:
        return {}
    mimetype = (mimetype or '').lower()
    if mimetype == FORM:
        return _parse_form(body)
    if mimetype == JSON or mimetype.endswith('+json'):
        return _parse_json(body)
    raise errors.UnsupportedMediaType(
        f'unsupported content type {mimetype or "(none)"!r}: send {FORM} '
        f'or {JSON}')


def parse_hook_request(query_ids: list[str], mimetype: str, body: bytes,
                       ) -> HookRequest:
    """Validate one delete hook request.

    The backup id comes from the ``backup_id`` query argument or, without
    it, from the check's ``target.id``; when both are given they must agree.
    """
    fields = parse_check_body(mimetype, body)

    target = fields.get('target')
    if target is None:
        target = {}
    if not isinstance(target, dict):
        raise errors.BadRequest('target is not a JSON object')
    credentials = fields.get('credentials')
    if credentials is None:
        credentials = {}
    if not isinstance(credentials, dict):
        raise errors.BadRequest('credentials is not a JSON object')

    metadata = target.get('metadata')
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise errors.BadRequest('target.metadata is not a JSON object')

    roles = credentials.get('roles')
    if roles is None:
        roles = []
    if (not isinstance(roles, list)
            or not all(isinstance(role, str) for role in roles)):
        raise errors.BadRequest('credentials.roles is not a list of strings')

    if len(set(query_ids)) > 1:
        raise errors.BadRequest('backup_id is given twice, with different '
                                'values')
    backup_id = (parse_uuid(query_ids[0], 'backup_id')
                 if query_ids else None)
    target_id = target.get('id')
    if target_id is not None:
        target_id = parse_uuid(target_id, 'target.id')
        if backup_id is not None and backup_id != target_id:
            raise errors.BadRequest('backup_id and target.id differ')
        backup_id = target_id
    if backup_id is None:
        raise errors.BadRequest(
            'no backup id: give the backup_id query argument or target.id')
    return HookRequest(backup_id=backup_id, metadata=metadata,
                       roles=frozenset(roles))


@dataclasses.dataclass(frozen=True)
class TaskListQuery:
    project_id: str | None
    all_projects: bool
    statuses: tuple
    volume_id: str | None
    limit: int
    marker: str | None


DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_TRUE = ('1', 'true', 'yes', 'on')
_FALSE = ('0', 'false', 'no', 'off', '')


def _single(args: collections.abc.Mapping, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise errors.BadRequest(f'{name} is given more than once')
    return values[0] if values else None


def parse_task_list_query(args) -> TaskListQuery:
    """Validate the query of ``GET /v1/tasks`` (a werkzeug MultiDict)."""
    project_id = _single(args, 'project_id')
    if project_id is not None and not 0 < len(project_id) <= 64:
        raise errors.BadRequest('project_id must have 1 to 64 characters')

    all_projects = (_single(args, 'all_projects') or '').lower()
    if all_projects not in _TRUE + _FALSE:
        raise errors.BadRequest('all_projects must be true or false')
    all_projects = all_projects in _TRUE
    if all_projects and project_id:
        raise errors.BadRequest('give project_id or all_projects, not both')

    statuses = []
    for value in args.getlist('status'):
        for status in value.split(','):
            if status not in states.ALL:
                raise errors.BadRequest(
                    f'status must be one of {", ".join(states.ALL)}')
            statuses.append(status)

    volume_id = _single(args, 'volume_id')
    if volume_id is not None:
        volume_id = parse_uuid(volume_id, 'volume_id')

    limit = _single(args, 'limit')
    if limit is None:
        limit = DEFAULT_LIMIT
    else:
        if not limit.isascii() or not limit.isdigit() or len(limit) > 6:
            raise errors.BadRequest(
                f'limit must be an integer from 1 to {MAX_LIMIT}')
        limit = int(limit)
        if not 1 <= limit <= MAX_LIMIT:
            raise errors.BadRequest(
                f'limit must be an integer from 1 to {MAX_LIMIT}')

    marker = _single(args, 'marker')
    if marker is not None:
        marker = parse_uuid(marker, 'marker')

    return TaskListQuery(project_id=project_id, all_projects=all_projects,
                         statuses=tuple(statuses), volume_id=volume_id,
                         limit=limit, marker=marker)
