"""initial schema

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-21
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def _datetime():
    # Microseconds on MySQL too, like every other backend keeps them.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'backup_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('volume_id', sa.String(length=36), nullable=False),
        sa.Column('volume_name', sa.String(length=255), nullable=True),
        sa.Column('server_id', sa.String(length=36), nullable=True),
        sa.Column('server_name', sa.String(length=255), nullable=True),
        sa.Column('backup_type', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('backup_id', sa.String(length=36), nullable=True),
        sa.Column('backup_name', sa.String(length=255), nullable=True),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('size_gb', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_by', sa.String(length=255), nullable=True),
        sa.Column('claim_expires_at', _datetime(), nullable=True),
        sa.Column('started_at', _datetime(), nullable=True),
        sa.Column('finished_at', _datetime(), nullable=True),
        sa.Column('deleted_at', _datetime(), nullable=True),
        sa.Column('retry_after', _datetime(), nullable=True),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.ForeignKeyConstraint(['parent_id'], ['backup_tasks.id'],
                                name='backup_tasks_parent_id_fkey'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('backup_id', name='uniq_backup_tasks0backup_id'),
        sa.UniqueConstraint('uuid', name='uniq_backup_tasks0uuid')
    )
    with op.batch_alter_table('backup_tasks', schema=None) as batch_op:
        batch_op.create_index(
            'backup_tasks_project_id_status_idx', ['project_id', 'status'],
            unique=False)
        batch_op.create_index(
            'backup_tasks_status_idx', ['status'], unique=False)
        batch_op.create_index(
            'backup_tasks_volume_id_idx', ['volume_id'], unique=False)

    op.create_table(
        'volumes',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=True),
        sa.Column('size_gb', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=True),
        sa.Column('server_id', sa.String(length=36), nullable=True),
        sa.Column('server_name', sa.String(length=255), nullable=True),
        sa.Column('skip_reason', sa.String(length=255), nullable=True),
        sa.Column('interval_s', sa.Integer(), nullable=False),
        sa.Column('retention', sa.Text(), nullable=True),
        sa.Column('policy_errors', sa.Text(), nullable=True),
        sa.Column('last_seen_at', _datetime(), nullable=True),
        sa.Column('gone_at', _datetime(), nullable=True),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('volumes', schema=None) as batch_op:
        batch_op.create_index(
            'volumes_project_id_idx', ['project_id'], unique=False)
