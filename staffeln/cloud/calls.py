"""How the adapter calls OpenStack: retries, listings, project scopes.

A call is retried only when a retry can succeed (connection errors,
timeouts, 5xx, 429); a client error (4xx) never is. Per-item calls made in
a loop over many backups are not retried at all (``retry=False``): the
caller moves on to the next item and comes back later, so that one item's
errors never hold up the others.
"""

import time
from typing import Callable

from openstack import exceptions as sdk_exc
from oslo_log import log as logging

from staffeln.cloud import connection
from staffeln.cloud import errors
from staffeln.common import exception

LOG = logging.getLogger(__name__)


def next_page(links, count: int, page_size: int):
    """The next page's URL and query, or (None, None) after the last."""
    if count < page_size:
        return None, None
    for link in links or []:
        if link.get('rel') == 'next' and link.get('href'):
            # An absolute URL that carries the marker and the filters.
            return link['href'], None
    return None, None


class Calls:
    """Plumbing shared by the operations of every service."""

    def __init__(self, conf, sleep: Callable[[float], None] = time.sleep):
        self.conf = conf
        self.connections = connection.ConnectionFactory(conf)
        self.page_size = conf.openstack.page_size
        self.retries = conf.openstack.api_retries
        self._sleep = sleep

    def _call(self, what: str, func, *args, retry: bool = True, **kwargs):
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                error = errors.cloud_error(exc, what)
                if not (error.retriable and attempt < attempts):
                    raise error
                LOG.warning('%s failed (attempt %d of %d), retrying: %s',
                            what, attempt, attempts, error)
                self._sleep(min(2 ** attempt, 30))

    def _list(self, what: str, proxy, path: str, key: str, convert,
              microversion: str | None = None,
              enough: Callable[[list], bool] | None = None,
              **params) -> list:
        """A whole paginated listing across all projects, as records.

        Follows the ``<key>_links`` next link and stops at the first page
        shorter than the page size, so a listing of N items costs
        ceil(N / page_size) requests (one more only when the last page is
        exactly full), or at the first page for which ``enough(page)``
        holds. A failure part-way restarts the listing, which keeps the
        result consistent. Only the small converted records are kept.
        """
        params = {k: v for k, v in params.items() if v is not None}
        params.update(all_tenants=1, limit=self.page_size)

        def fetch():
            records = []
            url, query = path, dict(params)
            while url:
                response = proxy().get(url, params=query,
                                       microversion=microversion)
                sdk_exc.raise_from_response(response)
                body = response.json()
                page = [convert(item) for item in body.get(key, [])]
                records.extend(page)
                url, query = next_page(body.get(f'{key}_links'),
                                       len(page), self.page_size)
                if enough is not None and enough(page):
                    break
            return records
        return self._call(what, fetch)

    def _project_call(self, project_id: str, what: str, func,
                      retry: bool = False):
        """``func(conn)`` with a connection scoped to ``project_id``.

        The token is fetched inside the call, so a project that cannot be
        scoped (deleted, disabled, or without a role for the service user)
        fails this call only, as :class:`ProjectUnavailable`; its cached
        connection is dropped, so the next call tries again.
        """
        def call():
            conn = self.connections.project(project_id)
            try:
                conn.session.get_token()
            except Exception as exc:
                raise self._scope_error(project_id, what, exc, (401, 403,
                                                                404))
            try:
                return func(conn)
            except Exception as exc:
                raise self._scope_error(project_id, what, exc, (401,))
        return self._call(what, call, retry=retry)

    def _scope_error(self, project_id: str, what: str, exc: Exception,
                     statuses: tuple) -> exception.CloudError:
        error = errors.cloud_error(exc, what)
        if error.status not in statuses:
            return error
        self.connections.forget_project(project_id)
        return exception.ProjectUnavailable(
            f'{what}: no token can be had for project {project_id} '
            f'(deleted, disabled, or the service user has no role in it): '
            f'{error}', status=error.status)

    @property
    def _service(self):
        return self.connections.service()

    def end_cycle(self) -> None:
        """Forget project-scoped sessions cached during a cycle."""
        self.connections.forget_projects()
