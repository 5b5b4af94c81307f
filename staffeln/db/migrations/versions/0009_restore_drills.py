"""restore drills

Revision ID: 0009_restore_drills
Revises: 0008_metrics_webhooks
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = '0009_restore_drills'
down_revision = '0008_metrics_webhooks'
branch_labels = None
depends_on = None


def _datetime():
    # Microseconds on MySQL too, like every other backend keeps them.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'restore_drills',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('volume_id', sa.String(length=36), nullable=False),
        sa.Column('volume_name', sa.String(length=255), nullable=True),
        sa.Column('backup_id', sa.String(length=36), nullable=False),
        sa.Column('size_gb', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('restored_volume_id', sa.String(length=36), nullable=True),
        sa.Column('rto_s', sa.Float(), nullable=True),
        sa.Column('sent_at', _datetime(), nullable=True),
        sa.Column('checked_at', _datetime(), nullable=True),
        sa.Column('finished_at', _datetime(), nullable=True),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uuid', name='uniq_restore_drills0uuid'),
    )
    op.create_index('restore_drills_volume_id_idx', 'restore_drills',
                    ['volume_id'])
    op.create_index('restore_drills_status_idx', 'restore_drills',
                    ['status'])
