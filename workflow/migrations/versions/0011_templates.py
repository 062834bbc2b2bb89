"""templates and appeals: a library of approved templates; messages record the template they were
made from, whether they are a missing-person appeal, and the found update that closes one

Revision ID: 0011_templates
Revises: 0009_exercise
Create Date: 2026-12-04 08:50:00.000000

The library's wording is not written here: Crier writes it into an empty
templates table the first time templates are asked for
(workflow.messages.library.ensure_library), so the desk edits it like any template.
"""
import sqlalchemy as sa
from alembic import op

import workflow.core.database

revision = '0011_templates'
down_revision = '0009_exercise'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WHEN = workflow.core.database.UTCDateTime(timezone=True)
APPEALS = "appeal IN ('missing_person')"


def upgrade() -> None:
    op.create_table(
        'message_templates',
        sa.Column('id', ID, nullable=False),
        sa.Column('key', sa.String(length=60), nullable=True),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('accounts', sa.JSON(), nullable=False),
        sa.Column('appeal', sa.String(length=30), nullable=True),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('created_by_id', ID, nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('updated_by_id', ID, nullable=True),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.Column('retired_at', WHEN, nullable=True),
        sa.CheckConstraint("kind IN ('incident', 'routine')", name=op.f('ck_message_templates_kind')),
        sa.CheckConstraint(APPEALS, name=op.f('ck_message_templates_appeal')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_message_templates_created_by_id_users')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_message_templates_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_templates')),
        sa.UniqueConstraint('key', name=op.f('uq_message_templates_key')),
        sa.UniqueConstraint('name', name=op.f('uq_message_templates_name')),
    )
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('template_id', ID, nullable=True))
        batch.add_column(sa.Column('template_values', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('appeal', sa.String(length=30), nullable=True))
        batch.add_column(sa.Column('appeal_of_id', ID, nullable=True))
        batch.add_column(sa.Column('closes_appeal_id', ID, nullable=True))
        batch.add_column(sa.Column('appeal_closed_at', WHEN, nullable=True))
        batch.create_foreign_key(op.f('fk_messages_template_id_message_templates'), 'message_templates',
                                 ['template_id'], ['id'])
        batch.create_foreign_key(op.f('fk_messages_appeal_of_id_messages'), 'messages', ['appeal_of_id'], ['id'])
        batch.create_foreign_key(op.f('fk_messages_closes_appeal_id_messages'), 'messages',
                                 ['closes_appeal_id'], ['id'])
        batch.create_check_constraint(op.f('ck_messages_appeal'), sa.text(APPEALS))
        batch.create_index('ix_messages_appeal_of', ['appeal_of_id'])
        batch.create_index('ix_messages_closes_appeal', ['closes_appeal_id'])


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_index('ix_messages_closes_appeal')
        batch.drop_index('ix_messages_appeal_of')
        batch.drop_constraint(op.f('ck_messages_appeal'), type_='check')
        batch.drop_constraint(op.f('fk_messages_closes_appeal_id_messages'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_messages_appeal_of_id_messages'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_messages_template_id_message_templates'), type_='foreignkey')
        for column in ('appeal_closed_at', 'closes_appeal_id', 'appeal_of_id', 'appeal', 'template_values',
                       'template_id'):
            batch.drop_column(column)
    op.drop_table('message_templates')
