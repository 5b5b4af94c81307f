"""Database access for the webhooks and their delivery state.

Deliveries are tracked like the digests (:mod:`staffeln.db.api_reports`):
one row per webhook target, everything before its ``period_end``
delivered, a conductor's claim while it delivers, one conditional UPDATE
per change.
"""

import datetime

from oslo_db import exception as db_exc
import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db.api import retry_on_deadlock
from staffeln.db import models

Delivery = models.WebhookDelivery
Hook = models.ProjectWebhook

GLOBAL = 'global'


def project_target(project_id: str) -> str:
    return f'project:{project_id}'


# ---------------------------------------------------------------- hooks

@context_manager.reader
def list_project_webhooks(context) -> list[Hook]:
    return list(context.session.scalars(
        sa.select(Hook).order_by(Hook.project_id)))


@context_manager.reader
def get_project_webhook(context, project_id: str) -> Hook | None:
    return context.session.get(Hook, project_id)


@retry_on_deadlock
@context_manager.writer
def set_project_webhook(context, project_id: str, url: str,
                        secret: str | None, events: str, body_format: str,
                        now: datetime.datetime) -> None:
    """Create or replace the project's webhook."""
    session = context.session
    hook = session.get(Hook, project_id)
    if hook is None:
        hook = Hook(project_id=project_id, created_at=now)
        session.add(hook)
    else:
        hook.updated_at = now
    hook.url = url
    hook.secret = secret
    hook.events = events
    hook.body_format = body_format
    session.flush()


@retry_on_deadlock
@context_manager.writer
def delete_project_webhook(context, project_id: str) -> bool:
    result = context.session.execute(
        sa.delete(Hook).where(Hook.project_id == project_id))
    return result.rowcount == 1


# ---------------------------------------------------------------- state

@context_manager.reader
def get_delivery(context, target: str) -> Delivery | None:
    return context.session.get(Delivery, target)


@context_manager.reader
def list_deliveries(context) -> list[Delivery]:
    return list(context.session.scalars(
        sa.select(Delivery).order_by(Delivery.target)))


@retry_on_deadlock
@context_manager.writer
def _insert(context, target: str, period_end: datetime.datetime,
            now: datetime.datetime) -> None:
    context.session.add(Delivery(target=target, period_end=period_end,
                                 failures=0, created_at=now))
    context.session.flush()


def ensure_delivery(context, target: str, period_end: datetime.datetime,
                    now: datetime.datetime) -> Delivery:
    """The target's delivery state, created starting at ``period_end``."""
    try:
        _insert(context, target, period_end, now)
    except db_exc.DBDuplicateEntry:
        pass
    return get_delivery(context, target)


@retry_on_deadlock
@context_manager.writer
def claim_delivery(context, target: str, period_end: datetime.datetime,
                   owner: str, now: datetime.datetime,
                   expires_at: datetime.datetime) -> bool:
    """Take the target's next delivery unless another conductor holds it."""
    result = context.session.execute(
        sa.update(Delivery)
        .where(Delivery.target == target)
        .where(Delivery.period_end == period_end)
        .where(sa.or_(Delivery.claimed_by.is_(None),
                      Delivery.claimed_by == owner,
                      Delivery.claim_expires_at < now))
        .values(claimed_by=owner, claim_expires_at=expires_at,
                updated_at=now))
    return result.rowcount == 1


@retry_on_deadlock
@context_manager.writer
def complete_delivery(context, target: str, period_end: datetime.datetime,
                      new_period_end: datetime.datetime, owner: str,
                      now: datetime.datetime, sent: bool) -> bool:
    """Record ``[period_end, new_period_end)`` as delivered (or empty)."""
    values = dict(period_end=new_period_end, claimed_by=None,
                  claim_expires_at=None, updated_at=now)
    if sent:
        values.update(last_sent_at=now, last_attempt_at=now, failures=0,
                      last_error=None)
    result = context.session.execute(
        sa.update(Delivery)
        .where(Delivery.target == target)
        .where(Delivery.period_end == period_end)
        .where(Delivery.claimed_by == owner)
        .values(**values))
    return result.rowcount == 1


@retry_on_deadlock
@context_manager.writer
def fail_delivery(context, target: str, owner: str, now: datetime.datetime,
                  error: str) -> bool:
    """Record a failed delivery; the period stays, for the next run."""
    result = context.session.execute(
        sa.update(Delivery)
        .where(Delivery.target == target)
        .where(Delivery.claimed_by == owner)
        .values(failures=Delivery.failures + 1, last_error=error[:65000],
                last_attempt_at=now, claimed_by=None, claim_expires_at=None,
                updated_at=now))
    return result.rowcount == 1
