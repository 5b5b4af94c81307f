"""Nova's rules for listing servers and changing their metadata and tags."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import state

MAX_LIMIT = 1000  # nova [api]max_limit
METADATA_ITEMS = 128  # nova quota metadata_items
TAG_FILTERS = ('tags', 'tags-any', 'not-tags', 'not-tags-any')


def is_all_tenants(value: str | None) -> bool:
    """nova.api.openstack.common.is_all_tenants: present and not false."""
    if value is None:
        return False
    if value == '':
        return True
    lowered = value.strip().lower()
    if lowered in ('1', 't', 'true', 'on', 'y', 'yes'):
        return True
    if lowered in ('0', 'f', 'false', 'off', 'n', 'no'):
        return False
    raise errors.BadRequest(
        f"Unrecognized value '{value}', acceptable values are: '0', '1', "
        "'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'")


def _not_found(server_id: str) -> errors.NotFound:
    return errors.NotFound(f'Instance {server_id} could not be found.')


class ComputeService:
    def __init__(self, cloud: state.Cloud) -> None:
        self.cloud = cloud

    def get(self, ctx: ctx_mod.RequestContext,
            server_id: str) -> models.Server:
        server = self.cloud.servers.get(server_id)
        if server is None or not ctx.owns(server.project_id):
            raise _not_found(server_id)
        return server

    def list(self, ctx: ctx_mod.RequestContext, params: Mapping[str, str],
             tags_supported: bool, detail: bool = True
             ) -> tuple[list[models.Server], int]:
        """One page of servers, and the effective limit, like Nova.

        all_tenants needs the admin role (403 otherwise, as Nova's default
        policy says); without it, project_id/tenant_id filters are ignored
        and the caller's project is listed.
        """
        limit = MAX_LIMIT
        if 'limit' in params:
            limit = min(MAX_LIMIT, _non_negative_int(params['limit'],
                                                     'limit'))
        equal: dict[str, Any] = {}
        all_tenants = is_all_tenants(params.get('all_tenants'))
        if all_tenants and not ctx.is_admin:
            action = 'detail' if detail else 'index'
            raise errors.Forbidden(
                "Policy doesn't allow os_compute_api:servers:"
                f"{action}:get_all_tenants to be performed.")
        if all_tenants:
            project = params.get('project_id') or params.get('tenant_id')
            if project:
                equal['project_id'] = project
        else:
            equal['project_id'] = ctx.project_id
        if ctx.is_admin and params.get('user_id'):
            equal['user_id'] = params['user_id']
        marker = None
        if 'marker' in params:
            marker = self.cloud.servers.get(params['marker'])
            if marker is None:
                raise errors.BadRequest(
                    f"marker [{params['marker']}] not found")
        checks = self._filters(params, tags_supported)
        page: list[models.Server] = []
        if limit == 0:
            return page, limit
        for server in self.cloud.servers.newest_first(
                equal, after=marker,
                where=(lambda s: all(c(s) for c in checks)) if checks
                else None):
            page.append(server)
            if len(page) >= limit:
                break
        return page, limit

    @staticmethod
    def _filters(params: Mapping[str, str], tags_supported: bool) -> list:
        checks = []
        if params.get('name'):
            try:
                pattern = re.compile(params['name'])
            except re.error:
                pattern = re.compile(re.escape(params['name']))
            checks.append(lambda s: pattern.search(s.name) is not None)
        if params.get('status'):
            wanted = params['status'].upper()
            checks.append(lambda s: s.status == wanted)
        if tags_supported:
            for key in TAG_FILTERS:
                if key not in params:
                    continue
                tags = set(params[key].split(','))
                checks.append({
                    'tags': lambda s, t=tags: t <= set(s.tags),
                    'tags-any': lambda s, t=tags: bool(t & set(s.tags)),
                    'not-tags': lambda s, t=tags: not t <= set(s.tags),
                    'not-tags-any': lambda s, t=tags: not t & set(s.tags),
                }[key])
        return checks

    # -- metadata ------------------------------------------------------------
    def set_metadata(self, ctx: ctx_mod.RequestContext, server_id: str,
                     body: Any, replace: bool) -> dict[str, str]:
        server = self.get(ctx, server_id)
        metadata = _metadata_body(body, 'metadata')
        merged = (dict(metadata) if replace
                  else {**server.metadata, **metadata})
        _check_quota(len(merged))
        server.metadata = merged
        server.updated_at = self.cloud.now()
        self.cloud.emit('server_updated', server)
        return dict(server.metadata)

    def get_metadata_item(self, ctx: ctx_mod.RequestContext, server_id: str,
                          key: str) -> str:
        server = self.get(ctx, server_id)
        if key not in server.metadata:
            raise errors.NotFound('Metadata item was not found')
        return server.metadata[key]

    def set_metadata_item(self, ctx: ctx_mod.RequestContext, server_id: str,
                          key: str, body: Any) -> dict[str, str]:
        server = self.get(ctx, server_id)
        meta = _metadata_body(body, 'meta')
        if len(meta) > 1:
            raise errors.BadRequest(
                f'Invalid input for field/attribute meta. Value: {meta!r}. '
                f'{meta!r} has too many properties')
        if key not in meta:
            raise errors.BadRequest('Request body and URI mismatch')
        _check_quota(len({**server.metadata, **meta}))
        server.metadata[key] = meta[key]
        server.updated_at = self.cloud.now()
        self.cloud.emit('server_updated', server)
        return meta

    def delete_metadata_item(self, ctx: ctx_mod.RequestContext,
                             server_id: str, key: str) -> None:
        server = self.get(ctx, server_id)
        if key not in server.metadata:
            raise errors.NotFound('Metadata item was not found')
        del server.metadata[key]
        server.updated_at = self.cloud.now()
        self.cloud.emit('server_updated', server)

    # -- tags (2.26) ---------------------------------------------------------
    def add_tag(self, ctx: ctx_mod.RequestContext, server_id: str,
                tag: str) -> bool:
        server = self.get(ctx, server_id)
        if tag in server.tags:
            return False
        if len(server.tags) >= 50:
            raise errors.BadRequest(
                'The number of tags exceeded the per-server limit 50')
        server.tags.append(tag)
        self.cloud.emit('server_updated', server)
        return True

    def delete_tag(self, ctx: ctx_mod.RequestContext, server_id: str,
                   tag: str) -> None:
        server = self.get(ctx, server_id)
        if tag not in server.tags:
            raise errors.NotFound(
                f"Instance {server_id} has no tag '{tag}'")
        server.tags.remove(tag)
        self.cloud.emit('server_updated', server)

    def replace_tags(self, ctx: ctx_mod.RequestContext, server_id: str,
                     tags: list[str]) -> list[str]:
        server = self.get(ctx, server_id)
        server.tags = list(dict.fromkeys(tags))
        self.cloud.emit('server_updated', server)
        return server.tags


def _non_negative_int(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise errors.BadRequest(
            f'Invalid input for query parameters {name}. Value: {text}. '
            f"'{text}' does not match '^[0-9]*$'") from None
    if value < 0:
        raise errors.BadRequest(
            f'Invalid input for query parameters {name}. Value: {text}. '
            f"'{text}' does not match '^[0-9]*$'")
    return value


def _metadata_body(body: Any, key: str) -> dict[str, str]:
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise errors.BadRequest(
            f"Invalid input for field/attribute {key}. Value: "
            f"{body!r}. '{key}' is a required property")
    items = body[key]
    for name, value in items.items():
        if not isinstance(value, str):
            raise errors.BadRequest(
                f'Invalid input for field/attribute {name}. Value: {value!r}.'
                f" {value!r} is not of type 'string'")
        if not 1 <= len(name) <= 255 or len(value) > 255:
            raise errors.BadRequest(
                f'Invalid input for field/attribute {key}. Value: {items!r}.'
                ' Additional properties are not allowed')
    return dict(items)


def _check_quota(count: int) -> None:
    if count > METADATA_ITEMS:
        raise errors.Forbidden(
            f'Maximum number of metadata items exceeds {METADATA_ITEMS}')
