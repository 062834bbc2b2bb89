"""account health and account connections: what each channel account last did, and sign-ins in progress

Revision ID: 0013_account_health
Revises: 0012_notices
Create Date: 2026-12-04 09:00:00.000000

Channel accounts gain their health: the last success, the last error (when and
what), and whether an administrator must reconnect them. ``account_connections``
holds an administrator's "connect an account" sign-in with X or Facebook while
it is in progress: the single-use state it was started with and, encrypted, the
tokens it has gathered so far.
"""
import sqlalchemy as sa
from alembic import op

import workflow.core.database

revision = '0013_account_health'
down_revision = "0012_notices"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
STAGES = ("started", "picking", "finished", "cancelled")


def upgrade() -> None:
    with op.batch_alter_table('channel_accounts') as batch:
        batch.add_column(sa.Column('last_success_at', workflow.core.database.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('last_error_at', workflow.core.database.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch.add_column(sa.Column('reconnect_needed', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE channel_accounts SET reconnect_needed = :yes WHERE status = 'reconnect'")
               .bindparams(yes=True))
    op.create_table(
        'account_connections',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('user_id', BIG_ID, nullable=False),
        sa.Column('binding', sa.String(length=64), nullable=False),
        sa.Column('nonce_hash', sa.String(length=64), nullable=False),
        sa.Column('account_id', BIG_ID, nullable=True),
        sa.Column('area', sa.String(length=120), nullable=True),
        sa.Column('exercise', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('secrets_encrypted', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', workflow.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', workflow.core.database.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('x', 'facebook', 'website')", name=op.f('ck_account_connections_kind')),
        sa.CheckConstraint(f"stage IN ({', '.join(repr(s) for s in STAGES)})",
                           name=op.f('ck_account_connections_stage')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_connections_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['account_id'], ['channel_accounts.id'],
                                name=op.f('fk_account_connections_account_id_channel_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_connections')),
        sa.UniqueConstraint('nonce_hash', name=op.f('uq_account_connections_nonce_hash')),
    )
    op.create_index(op.f('ix_account_connections_user_id'), 'account_connections', ['user_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_account_connections_user_id'), table_name='account_connections')
    op.drop_table('account_connections')
    with op.batch_alter_table('channel_accounts') as batch:
        for column in ('reconnect_needed', 'last_error', 'last_error_at', 'last_success_at'):
            batch.drop_column(column)
