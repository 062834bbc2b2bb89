"""notices: the notice outbox, each person's notice channels and duty, verification watches

Revision ID: 0012_notices
Revises: 0011_templates
Create Date: 2026-12-04 08:50:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_notices'
down_revision = "0011_templates"
branch_labels = None
depends_on = None

EVENTS = ("submitted", "escalated", "rejected", "published", "failed", "unknown")
CHANNELS = ("live", "email", "webhook")
STATES = ("pending", "sending", "retrying", "sent", "failed", "unknown", "kept")
WATCH_STATES = ("waiting", "escalated", "settled")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False)


def upgrade() -> None:
    op.create_table(
        'notices',
        _id(),
        sa.Column('event_key', sa.String(200), nullable=False),
        sa.Column('event', _enum('event', EVENTS), nullable=False),
        sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('recipient', sa.String(40), nullable=False),
        sa.Column('channel', _enum('channel', CHANNELS), nullable=False),
        sa.Column('address', sa.String(254), nullable=True),
        sa.Column('subject', sa.String(300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('link', sa.Text(), nullable=False),
        sa.Column('state', _enum('state', STATES), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        _time('next_attempt_at'),
        sa.Column('lease_owner', sa.String(200), nullable=True),
        _time('lease_expires_at'),
        _time('handed_over_at'),
        sa.Column('last_error', sa.Text(), nullable=True),
        _time('created_at', False),
        _time('updated_at', False),
        _time('sent_at'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_notices_message_id_messages'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
        sa.UniqueConstraint('event_key', 'recipient', 'channel', name=op.f('uq_notices_event_key')),
    )
    op.create_index('ix_notices_state_next', 'notices', ['state', 'next_attempt_at'])
    op.create_index('ix_notices_user_channel', 'notices', ['user_id', 'channel', 'id'])
    op.create_table(
        'notice_settings',
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('email', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('live', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('on_duty', sa.Boolean(), nullable=False, server_default=sa.false()),
        _time('duty_changed_at'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notice_settings_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notice_settings')),
    )
    op.create_table(
        'verification_watches',
        _id(),
        sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        _time('submitted_at', False),
        _time('due_at', False),
        sa.Column('state', _enum('state', WATCH_STATES), nullable=False),
        _time('escalated_at'),
        _time('settled_at'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name=op.f('fk_verification_watches_message_id_messages'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_watches')),
    )
    op.create_index('ix_verification_watches_state_due', 'verification_watches', ['state', 'due_at'])
    op.create_index(op.f('ix_verification_watches_message_id'), 'verification_watches', ['message_id'])


def downgrade() -> None:
    op.drop_table('verification_watches')
    op.drop_table('notice_settings')
    op.drop_table('notices')
