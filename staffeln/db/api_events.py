"""What a notification from Nova or Cinder is about: known to Staffeln?

Each lookup is one indexed query, so a conductor can afford one per
notification it hears.
"""

import sqlalchemy as sa

from staffeln.db.api import context_manager
from staffeln.db import models


@context_manager.reader
def knows_server(context, server_id: str) -> bool:
    """Whether a volume Staffeln keeps is attached to the server."""
    return context.session.scalar(
        sa.select(models.Volume.id)
        .where(models.Volume.server_id == server_id).limit(1)) is not None


@context_manager.reader
def knows_volume(context, volume_id: str) -> bool:
    return context.session.get(models.Volume, volume_id) is not None


@context_manager.reader
def knows_backup(context, backup_id: str) -> bool:
    """Whether the backup is one of Staffeln's tasks."""
    return context.session.scalar(
        sa.select(models.BackupTask.id)
        .where(models.BackupTask.backup_id == backup_id)) is not None
