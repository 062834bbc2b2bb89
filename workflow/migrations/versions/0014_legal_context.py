"""legal context: what an officer records about the case, on incidents and on messages

Revision ID: 0014_legal_context
Revises: 0013_account_health
Create Date: 2026-12-04 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_legal_context'
down_revision = "0013_account_health"
branch_labels = None
depends_on = None


LIVE = "decision = 'approved' AND voided_at IS NULL"
ANY = "decision = 'approved'"


def _one_approval(where: str) -> None:
    op.drop_index('uq_decisions_one_approval', table_name='decisions')
    op.create_index('uq_decisions_one_approval', 'decisions', ['version_id'], unique=True,
                    sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    for table in ('incidents', 'messages'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('legal', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    # A change of the legal context voids an approval without a new version: the same version
    # may then be approved again, so only a live approval is unique.
    _one_approval(LIVE)


def downgrade() -> None:
    _one_approval(ANY)
    for table in ('incidents', 'messages'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('legal')
