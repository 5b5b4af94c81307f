"""Cinder's list semantics: limit, marker, sort, all_tenants and filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import index

MAX_LIMIT = 1000  # cinder osapi_max_limit
_PAGING = ('limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'offset',
           'with_count')
_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')
_SORTABLE = ('id', 'created_at', 'updated_at', 'name', 'status', 'size',
             'volume_id', 'project_id', 'user_id', 'availability_zone',
             'container', 'data_timestamp', 'bootable')
_FALSE = ('0', 'f', 'false', 'off', 'n', 'no')


@dataclasses.dataclass
class Query:
    limit: int
    marker: str | None
    sort: list[tuple[str, str]]
    all_tenants: bool
    filters: dict[str, str]

    @property
    def default_sort(self) -> bool:
        return self.sort in ([('created_at', 'desc')],
                             [('created_at', 'desc'), ('id', 'desc')])


def parse_limit(params: Mapping[str, str]) -> int:
    """cinder.api.common._get_limit_param."""
    if 'limit' not in params:
        return MAX_LIMIT
    try:
        limit = int(params['limit'])
    except ValueError:
        raise errors.BadRequest('limit param must be an integer') from None
    if limit < 0:
        raise errors.BadRequest('limit param must be positive')
    return min(limit, MAX_LIMIT)


def parse_sort(params: Mapping[str, str]) -> list[tuple[str, str]]:
    """cinder.api.common.get_sort_params."""
    if 'sort' in params and ('sort_key' in params or 'sort_dir' in params):
        raise errors.BadRequest(
            "The 'sort_key' and 'sort_dir' parameters are deprecated and "
            "cannot be used with the 'sort' parameter.")
    pairs: list[tuple[str, str]] = []
    if 'sort' in params:
        for part in params['sort'].split(','):
            key, _sep, direction = part.strip().partition(':')
            pairs.append((key.strip(), direction.strip() or 'desc'))
    else:
        pairs.append((params.get('sort_key', 'created_at'),
                      params.get('sort_dir', 'desc')))
    for key, direction in pairs:
        if direction not in ('asc', 'desc'):
            raise errors.BadRequest(
                "Invalid input received: Unknown sort direction, must be "
                "'desc' or 'asc'")
    return pairs


def parse(params: Mapping[str, str], ctx: ctx_mod.RequestContext,
          user_filters: tuple[str, ...],
          sort_aliases: Mapping[str, str] | None = None) -> Query:
    """Paging, sorting and filters of a list request.

    A non-admin's all_tenants and unknown filters are dropped silently, as
    Cinder does.
    """
    raw = params.get('all_tenants', '0') if ctx.is_admin else '0'
    if raw.lower() not in _TRUE + _FALSE:
        raise errors.BadRequest(f"all_tenants must be a boolean, got '{raw}'.")
    sort = [((sort_aliases or {}).get(k, k), d) for k, d in parse_sort(params)]
    filters = {k: v for k, v in params.items()
               if k not in _PAGING and k != 'all_tenants'}
    if not ctx.is_admin:
        # cinder's remove_invalid_filter_options: silently dropped.
        filters = {k: v for k, v in filters.items() if k in user_filters}
    return Query(limit=parse_limit(params), marker=params.get('marker'),
                 sort=sort,
                 all_tenants=ctx.is_admin and raw.lower() in _TRUE,
                 filters=filters)


def page(store: index.OrderedStore[Any], query: Query,
         ctx: ctx_mod.RequestContext,
         not_found: Callable[[str], errors.SimError],
         where: Callable[[Any], bool] | None = None,
         indexed: tuple[str, ...] = ('project_id',)) -> list[Any]:
    """One page of records the caller may see, in the asked-for order.

    The default order walks an index from the marker: O(log N + page).
    """
    equal: dict[str, Any] = {}
    if query.all_tenants:
        if 'project_id' in query.filters:
            equal['project_id'] = query.filters['project_id']
    else:
        equal['project_id'] = ctx.project_id
    for attr in indexed:
        if attr != 'project_id' and attr in query.filters:
            equal[attr] = query.filters[attr]
    marker = None
    if query.marker is not None:
        marker = store.get(query.marker)
        if marker is None or not ctx.owns(marker.project_id):
            raise not_found(query.marker)
    if query.limit == 0:
        return []
    out: list[Any] = []
    if query.default_sort:
        for record in store.newest_first(equal, after=marker, where=where):
            out.append(record)
            if len(out) >= query.limit:
                break
        return out
    rows = list(store.newest_first(equal, where=where))
    rows = _sorted(rows, query.sort)
    start = 0
    if marker is not None:
        start = next((i + 1 for i, r in enumerate(rows) if r is marker), 0)
    return rows[start:start + query.limit]


def _sorted(rows: list[Any], sort: list[tuple[str, str]]) -> list[Any]:
    keys = list(sort)
    if 'id' not in (k for k, _d in keys):
        keys.append(('id', keys[0][1]))
    for key, direction in reversed(keys):
        attr = {'display_name': 'name'}.get(key, key)
        # A bare 'name' is only accepted where the API maps it to
        # display_name (see ``sort_aliases``).
        if key == 'name' or attr not in _SORTABLE or (
                rows and not hasattr(rows[0], attr)):
            raise errors.BadRequest('Invalid input received: Invalid sort '
                                    'key')
        rows.sort(key=lambda r, a=attr: _sortable(getattr(r, a)),
                  reverse=direction == 'desc')
    return rows


def _sortable(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)
