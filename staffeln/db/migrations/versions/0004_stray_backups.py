"""stray backups: duplicates left by ambiguous creates

Revision ID: 0004_stray_backups
Revises: 0003_volume_problems
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = '0004_stray_backups'
down_revision = '0003_volume_problems'
branch_labels = None
depends_on = None


def _datetime():
    # Microseconds on MySQL too, like every other backend keeps them.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'stray_backups',
        sa.Column('backup_id', sa.String(length=36), nullable=False),
        sa.Column('task_uuid', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('volume_id', sa.String(length=36), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('deleted_at', _datetime(), nullable=True),
        sa.Column('retry_after', _datetime(), nullable=True),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('backup_id'),
    )
    op.create_index('stray_backups_status_idx', 'stray_backups', ['status'])
