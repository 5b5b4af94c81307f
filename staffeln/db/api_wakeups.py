"""Wakeups: a step asked to run now, by any conductor, taken by one.

A conductor that hears (from a notification) that a server was opted in
records the request; the leader takes it at its next tick and runs the
step. However many notifications arrive, a request is taken once.
"""

import datetime

import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db.api import retry_on_deadlock
from staffeln.db import models

DISCOVERY = 'discovery'


@retry_on_deadlock
@context_manager.writer
def request(context, name: str, now: datetime.datetime) -> None:
    """Ask for the step ``name`` to run soon."""
    done = context.session.execute(
        sa.update(models.Wakeup).where(models.Wakeup.name == name)
        .values(requested_at=now))
    if not done.rowcount:
        context.session.add(models.Wakeup(name=name, requested_at=now))


@retry_on_deadlock
@context_manager.writer
def take(context, name: str) -> bool:
    """Take the request for ``name``: whether there was one."""
    return bool(context.session.execute(
        sa.update(models.Wakeup).where(models.Wakeup.name == name)
        .where(models.Wakeup.requested_at.is_not(None))
        .values(requested_at=None)).rowcount)
