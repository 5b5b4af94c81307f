"""the backups listing's index: newest first, ties by task id

Revision ID: 0010_backup_list_index
Revises: 0009_restore_drills
Create Date: 2026-12-03
"""

from alembic import op


revision = '0010_backup_list_index'
down_revision = '0009_restore_drills'
branch_labels = None
depends_on = None


def upgrade():
    # A page of GET /v1/backups is ordered by (created_at, id): with
    # created_at alone, the database sorts every task of a timestamp that
    # many tasks share (those queued in one pass) to cut one page.
    op.create_index('backup_tasks_created_at_id_idx', 'backup_tasks',
                    ['created_at', 'id'])
    op.drop_index('backup_tasks_created_at_idx', table_name='backup_tasks')
