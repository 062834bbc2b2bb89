"""audit: each event sealed with a key kept outside the database

Revision ID: 0005_audit
Revises: 0004_people
Create Date: 2026-12-04 04:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_audit'
down_revision = '0004_people'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('mac', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_column('mac')
