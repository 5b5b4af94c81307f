"""protection policies, grants, project settings, volume policies

Revision ID: 0005_protection_policies
Revises: 0004_stray_backups
Create Date: 2026-12-03

The ``default`` policy is created with every field empty, which means it
follows the configuration ([conductor] backup_interval and
full_backup_depth, [retention] retention_time and keep_*): a deployment
that upgrades backs up exactly as before. Every existing task is the
default policy's.
"""

from alembic import op
from oslo_db.sqlalchemy import types as db_types
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = '0005_protection_policies'
down_revision = '0004_stray_backups'
branch_labels = None
depends_on = None


def _datetime():
    # Microseconds on MySQL too, like every other backend keeps them.
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _policies():
    op.create_table(
        'protection_policies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('schedule', sa.String(length=255), nullable=True),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('window', sa.String(length=16), nullable=True),
        sa.Column('jitter', sa.Boolean(), nullable=False),
        sa.Column('full_every', sa.Integer(), nullable=True),
        sa.Column('full_interval_s', sa.Integer(), nullable=True),
        sa.Column('retention_s', sa.Integer(), nullable=True),
        sa.Column('keep', db_types.JsonEncodedDict(), nullable=True),
        sa.Column('deleted_at', _datetime(), nullable=True),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', name='uniq_protection_policies0name'),
    )
    op.create_table(
        'policy_grants',
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['policy_id'], ['protection_policies.id'],
                                name='policy_grants_policy_id_fkey'),
        sa.PrimaryKeyConstraint('policy_id', 'project_id'),
    )
    op.create_table(
        'project_settings',
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('default_policy_id', sa.Integer(), nullable=True),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('digest_recipients', db_types.JsonEncodedList(),
                  nullable=True),
        sa.Column('created_at', _datetime(), nullable=False),
        sa.Column('updated_at', _datetime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['default_policy_id'], ['protection_policies.id'],
            name='project_settings_default_policy_id_fkey'),
        sa.PrimaryKeyConstraint('project_id'),
    )
    op.create_table(
        'volume_policies',
        sa.Column('volume_id', sa.String(length=36), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('next_due_at', _datetime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['policy_id'], ['protection_policies.id'],
                                name='volume_policies_policy_id_fkey'),
        sa.PrimaryKeyConstraint('volume_id', 'policy_id'),
    )


def upgrade():
    _policies()
    with op.batch_alter_table('backup_tasks') as batch:
        batch.add_column(sa.Column('policy_id', sa.Integer(),
                                   nullable=True))
        batch.add_column(sa.Column('on_demand', sa.Boolean(),
                                   nullable=False,
                                   server_default=sa.false()))
        batch.create_foreign_key('backup_tasks_policy_id_fkey',
                                 'protection_policies', ['policy_id'],
                                 ['id'])
        batch.create_index('backup_tasks_policy_id_idx', ['policy_id'])
    with op.batch_alter_table('backup_tasks') as batch:
        batch.alter_column('on_demand', server_default=None,
                           existing_type=sa.Boolean(),
                           existing_nullable=False)
    policies = sa.table(
        'protection_policies', sa.column('id', sa.Integer()),
        sa.column('name', sa.String()), sa.column('description', sa.Text()),
        sa.column('enabled', sa.Boolean()), sa.column('public', sa.Boolean()),
        sa.column('timezone', sa.String()), sa.column('jitter', sa.Boolean()),
        sa.column('created_at', sa.DateTime()))
    op.execute(policies.insert().values(
        name='default', enabled=True, public=True, timezone='UTC',
        jitter=False, created_at=sa.func.now(),
        description='What the configuration says: [conductor] '
                    'backup_interval and full_backup_depth, [retention] '
                    'retention_time and keep_*.'))
    op.execute("UPDATE backup_tasks SET policy_id = (SELECT id FROM "
               "protection_policies WHERE name = 'default')")
