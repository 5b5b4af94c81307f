"""invariants the database keeps across conductors

Revision ID: 0006_task_invariants
Revises: 0005_protection_policies
Create Date: 2026-12-03

``backup_tasks.under_way_key`` holds ``<volume id>:<policy id>`` while a
task is queued, starting or creating, and is empty otherwise; a unique
constraint on it keeps any number of conductors from queueing a second
backup of a volume under one policy. ``locks`` holds one row per mutex:
``starts`` serializes the transactions that check the in-flight caps and
start a backup, so the caps hold across conductors. ``wakeups`` holds the
requests that the leader discover before its next period (a notification
told a conductor that a server was opted in or changed), and
``volumes.server_id`` gets the index those notifications are looked up by.

Where an older deployment already has two tasks under way for one volume
and policy, only the oldest gets the key.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = '0006_task_invariants'
down_revision = '0005_protection_policies'
branch_labels = None
depends_on = None

UNDER_WAY = ('queued', 'starting', 'creating')


def _datetime():
    # Microseconds on MySQL too, like every other backend keeps them.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    with op.batch_alter_table('backup_tasks') as batch:
        batch.add_column(sa.Column('under_way_key', sa.String(length=80),
                                   nullable=True))
    tasks = sa.table('backup_tasks', sa.column('id', sa.Integer),
                     sa.column('volume_id', sa.String),
                     sa.column('policy_id', sa.Integer),
                     sa.column('status', sa.String),
                     sa.column('under_way_key', sa.String))
    conn = op.get_bind()
    seen = set()
    for task_id, volume_id, policy_id in conn.execute(
            sa.select(tasks.c.id, tasks.c.volume_id, tasks.c.policy_id)
            .where(tasks.c.status.in_(UNDER_WAY)).order_by(tasks.c.id)):
        key = f'{volume_id}:{policy_id or 0}'
        if key in seen:
            continue
        seen.add(key)
        conn.execute(tasks.update().where(tasks.c.id == task_id)
                     .values(under_way_key=key))
    with op.batch_alter_table('backup_tasks') as batch:
        batch.create_unique_constraint('uniq_backup_tasks0under_way_key',
                                       ['under_way_key'])
    op.create_table(
        'locks',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('taken_by', sa.String(length=255), nullable=True),
        sa.Column('taken_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )
    op.bulk_insert(sa.table('locks', sa.column('name', sa.String)),
                   [{'name': 'starts'}])
    op.create_table(
        'wakeups',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('requested_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )
    op.bulk_insert(sa.table('wakeups', sa.column('name', sa.String)),
                   [{'name': 'discovery'}])
    op.create_index('volumes_server_id_idx', 'volumes', ['server_id'])
