"""Database access for restores asked for through the API.

The intent (``requested``) is written before Cinder is asked, and each
later state is one conditional UPDATE from the state before it, so two
requests refreshing the same restore never both record an outcome.
"""

import datetime
import uuid as uuidlib

import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db.api import fail_closed
from staffeln.db.api import retry_on_deadlock
from staffeln.db.api import UnknownMarker
from staffeln.db import models

Restore = models.Restore

REQUESTED = 'requested'
RESTORING = 'restoring'
AVAILABLE = 'available'
ERROR = 'error'
STATUSES = (REQUESTED, RESTORING, AVAILABLE, ERROR)


@retry_on_deadlock
@context_manager.writer
def create_restore(context, values: dict,
                   now: datetime.datetime) -> models.Restore:
    """A new ``requested`` restore; ``values`` may give its ``uuid``."""
    restore = Restore(status=REQUESTED, created_at=now,
                      **{'uuid': str(uuidlib.uuid4()), **values})
    context.session.add(restore)
    context.session.flush()
    return restore


@retry_on_deadlock
@context_manager.writer
def update_restore(context, restore_id: int, expected: str,
                   now: datetime.datetime, **values) -> bool:
    """Change a restore that is still ``expected``; whether it was."""
    values['updated_at'] = now
    return context.session.execute(
        sa.update(Restore).where(Restore.id == restore_id)
        .where(Restore.status == expected).values(**values)).rowcount == 1


@fail_closed
@context_manager.reader
def get_restore(context, restore_uuid: str) -> models.Restore | None:
    return context.session.scalar(
        sa.select(Restore).where(Restore.uuid == restore_uuid))


@fail_closed
@context_manager.reader
def restore_page(context, project_id: str | None, limit: int,
                 marker: str | None = None) -> list[models.Restore]:
    """Restores, newest first; ``marker`` is the last uuid of a page."""
    query = sa.select(Restore).order_by(Restore.id.desc()).limit(limit)
    if marker is not None:
        marker_id = context.session.scalar(
            sa.select(Restore.id).where(Restore.uuid == marker))
        if marker_id is None:
            raise UnknownMarker(f'marker {marker} is not a restore')
        query = query.where(Restore.id < marker_id)
    if project_id is not None:
        query = query.where(Restore.project_id == project_id)
    return list(context.session.scalars(query))
