"""email digest state per project

Revision ID: 0002_reports
Revises: 0001_initial
Create Date: 2026-11-21
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = '0002_reports'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def _datetime():
    # Microseconds on MySQL too, like every other backend keeps them.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'project_reports',
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('period_end', _datetime(), nullable=False),
        sa.Column('last_sent_at', _datetime(), nullable=True),
        sa.Column('last_attempt_at', _datetime(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('claimed_by', sa.String(length=255), nullable=True),
        sa.Column('claim_expires_at', _datetime(), nullable=True),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('project_id')
    )
