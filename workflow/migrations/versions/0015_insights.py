"""insights: area gazetteers, follower collections as counts per place, post engagement, page visits

Revision ID: 0015_insights
Revises: 0014_legal_context
Create Date: 2026-12-04 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_insights'
down_revision = "0014_legal_context"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'area_places',
        sa.Column('id', _ID, primary_key=True),
        sa.Column('area', sa.String(120), nullable=False),
        sa.Column('name', sa.String(120), nullable=False),
        sa.Column('key', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_area_places'),
        sa.UniqueConstraint('area', 'key', name='uq_area_places_area'),
    )
    op.create_table(
        'audience_collections',
        sa.Column('id', _ID, primary_key=True),
        sa.Column('account_id', _ID, sa.ForeignKey('channel_accounts.id',
                                                   name='fk_audience_collections_account_id_channel_accounts'),
                  nullable=False),
        sa.Column('state', sa.String(20), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True)),
        sa.Column('followers', sa.Integer()),
        sa.Column('followers_read', sa.Integer(), nullable=False),
        sa.Column('local_followers', sa.Integer()),
        sa.Column('cursor', sa.Text()),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('resume_at', sa.DateTime(timezone=True)),
        sa.Column('lease_expires_at', sa.DateTime(timezone=True)),
        sa.Column('note', sa.Text()),
        sa.PrimaryKeyConstraint('id', name='pk_audience_collections'),
        sa.CheckConstraint("state IN ('running', 'complete', 'failed')", name='ck_audience_collections_state'),
    )
    op.create_index('ix_audience_collections_account', 'audience_collections', ['account_id', 'started_at'])
    op.create_table(
        'audience_place_counts',
        sa.Column('collection_id', _ID, sa.ForeignKey(
            'audience_collections.id', ondelete='CASCADE',
            name='fk_audience_place_counts_collection_id_audience_collections'), nullable=False),
        sa.Column('place', sa.String(120), nullable=False),
        sa.Column('area', sa.String(120), nullable=False),
        sa.Column('followers', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('collection_id', 'place', name='pk_audience_place_counts'),
    )
    op.create_table(
        'post_engagement',
        sa.Column('delivery_id', _ID, sa.ForeignKey('deliveries.id', ondelete='CASCADE',
                                                    name='fk_post_engagement_delivery_id_deliveries'),
                  nullable=False),
        sa.Column('message_id', _ID, sa.ForeignKey('messages.id', ondelete='CASCADE',
                                                   name='fk_post_engagement_message_id_messages'),
                  nullable=False),
        sa.Column('account_id', _ID, sa.ForeignKey('channel_accounts.id',
                                                   name='fk_post_engagement_account_id_channel_accounts'),
                  nullable=False),
        sa.Column('reactions', sa.Integer(), nullable=False),
        sa.Column('shares', sa.Integer(), nullable=False),
        sa.Column('replies', sa.Integer(), nullable=False),
        sa.Column('impressions', sa.Integer()),
        sa.Column('readings', sa.Integer(), nullable=False),
        sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_due_at', sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint('delivery_id', name='pk_post_engagement'),
    )
    op.create_index('ix_post_engagement_message_id', 'post_engagement', ['message_id'])
    op.create_table(
        'page_visits',
        sa.Column('id', _ID, primary_key=True),
        sa.Column('message_id', _ID, sa.ForeignKey('messages.id', ondelete='CASCADE',
                                                   name='fk_page_visits_message_id_messages'), nullable=False),
        sa.Column('account_id', _ID, sa.ForeignKey('channel_accounts.id',
                                                   name='fk_page_visits_account_id_channel_accounts')),
        sa.Column('source', sa.String(20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_page_visits'),
        sa.UniqueConstraint('message_id', 'source', 'day', name='uq_page_visits_message_id'),
    )


def downgrade() -> None:
    op.drop_table('page_visits')
    op.drop_index('ix_post_engagement_message_id', table_name='post_engagement')
    op.drop_table('post_engagement')
    op.drop_table('audience_place_counts')
    op.drop_index('ix_audience_collections_account', table_name='audience_collections')
    op.drop_table('audience_collections')
    op.drop_table('area_places')
