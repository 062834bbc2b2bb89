"""people: an email address per user

Revision ID: 0004_people
Revises: 0003_signin
Create Date: 2026-12-04 04:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_people'
down_revision = '0003_signin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email', sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('email')
