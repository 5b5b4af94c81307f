"""restores asked for through the API, paused servers, and an index for
listing backups newest first

Revision ID: 0007_restores
Revises: 0006_task_invariants
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = '0007_restores'
down_revision = '0006_task_invariants'
branch_labels = None
depends_on = None


def _datetime():
    # Microseconds on MySQL too, like every other backend keeps them.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'restores',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('backup_id', sa.String(length=36), nullable=False),
        sa.Column('volume_id', sa.String(length=36), nullable=True),
        sa.Column('volume_name', sa.String(length=255), nullable=True),
        sa.Column('new_volume', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('finished_at', _datetime(), nullable=True),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uuid', name='uniq_restores0uuid'),
    )
    op.create_index('restores_project_id_idx', 'restores', ['project_id'])
    op.create_index('backup_tasks_created_at_idx', 'backup_tasks',
                    ['created_at'])
    op.create_table(
        'server_settings',
        sa.Column('server_id', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('server_id'),
    )
