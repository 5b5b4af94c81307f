"""The request context that carries Staffeln's database transactions."""

from oslo_context import context
from oslo_db.sqlalchemy import enginefacade


@enginefacade.transaction_context_provider
class RequestContext(context.RequestContext):
    """A context for one request or one conductor step."""


def get_admin_context() -> RequestContext:
    return RequestContext(is_admin=True, overwrite=False)
