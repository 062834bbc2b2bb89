"""search: a full-text index over every version's text (PostgreSQL; SQLite searches without one)

Revision ID: 0008_search
Revises: 0007_no_lockout
Create Date: 2026-12-04 07:30:00.000000
"""
from alembic import op

revision = '0008_search'
down_revision = '0007_no_lockout'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_message_versions_body_fts ON message_versions "
                   "USING gin (to_tsvector('english', body))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_message_versions_body_fts")
