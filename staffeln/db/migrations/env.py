from alembic import context
from oslo_db.sqlalchemy import enginefacade

from staffeln.db import models

target_metadata = models.Base.metadata


def run_migrations_online():
    """Run migrations on the connection given by staffeln.db.migration."""
    connectable = context.config.attributes.get('connection')
    if connectable is not None:
        _run(connectable)
        return
    engine = enginefacade.writer.get_engine()
    with engine.connect() as connection:
        _run(connection)


def _run(connection):
    context.configure(connection=connection,
                      target_metadata=target_metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
