"""project quotas for the metrics, webhooks and their deliveries

Revision ID: 0008_metrics_webhooks
Revises: 0007_restores
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = '0008_metrics_webhooks'
down_revision = '0007_restores'
branch_labels = None
depends_on = None


def _datetime():
    # Microseconds on MySQL too, like every other backend keeps them.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'project_quotas',
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('backups_limit', sa.Integer(), nullable=True),
        sa.Column('backups_used', sa.Integer(), nullable=True),
        sa.Column('gigabytes_limit', sa.Integer(), nullable=True),
        sa.Column('gigabytes_used', sa.Integer(), nullable=True),
        sa.Column('read_at', _datetime(), nullable=True),
        sa.Column('forecast_backups', sa.Integer(), nullable=True),
        sa.Column('forecast_gigabytes', sa.Integer(), nullable=True),
        sa.Column('forecast_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('project_id'),
    )
    op.create_table(
        'project_webhooks',
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('secret', sa.String(length=255), nullable=True),
        sa.Column('events', sa.String(length=16), nullable=False),
        sa.Column('body_format', sa.String(length=16), nullable=False),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('project_id'),
    )
    op.create_table(
        'webhook_deliveries',
        sa.Column('target', sa.String(length=80), nullable=False),
        sa.Column('period_end', _datetime(), nullable=False),
        sa.Column('last_sent_at', _datetime(), nullable=True),
        sa.Column('last_attempt_at', _datetime(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('claimed_by', sa.String(length=255), nullable=True),
        sa.Column('claim_expires_at', _datetime(), nullable=True),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('target'),
    )
