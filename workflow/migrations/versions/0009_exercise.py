"""exercise: incidents and channel accounts can be marked as an exercise (sandbox)

Revision ID: 0009_exercise
Revises: 0008_search
Create Date: 2026-12-04 07:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_exercise'
down_revision = '0008_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('incidents', 'channel_accounts'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('exercise', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in ('incidents', 'channel_accounts'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('exercise')
