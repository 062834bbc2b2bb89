"""users: drop the lock-out columns; sign-in is slowed, never locked (workflow.accounts.signin)

Revision ID: 0007_no_lockout
Revises: 0006_enums
Create Date: 2026-12-04 07:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import workflow.core.database

revision = '0007_no_lockout'
down_revision = '0006_enums'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('failed_logins')
        batch.drop_column('locked_until')


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('locked_until', workflow.core.database.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
