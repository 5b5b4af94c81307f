"""volumes.policy_errors is volumes.problems

Revision ID: 0003_volume_problems
Revises: 0002_reports
Create Date: 2026-12-03

The column holds every problem with a server's settings that the project is
told about; "policy" now names protection policies only.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_volume_problems'
down_revision = '0002_reports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('volumes') as batch:
        batch.alter_column('policy_errors', new_column_name='problems',
                           existing_type=sa.Text(), existing_nullable=True)
