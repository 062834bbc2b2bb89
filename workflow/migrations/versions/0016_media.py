"""media: uploaded images (stored without metadata) and the images of each message version

Revision ID: 0016_media
Revises: 0015_insights
Create Date: 2026-12-04 09:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

import workflow.core.database

revision = '0016_media'
down_revision = "0015_insights"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'media',
        sa.Column('id', BigId, primary_key=True),
        sa.Column('storage_key', sa.String(200), nullable=False, unique=True),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('sha1', sa.String(40), nullable=False),
        sa.Column('content_type', sa.String(40), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('bytes', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', BigId, sa.ForeignKey('users.id'), nullable=True),
        sa.Column('created_at', workflow.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('purged_at', workflow.core.database.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_media_created', 'media', ['created_at'])
    op.create_table(
        'version_images',
        sa.Column('version_id', BigId, sa.ForeignKey('message_versions.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('position', sa.Integer(), primary_key=True),
        sa.Column('media_id', BigId, sa.ForeignKey('media.id'), nullable=False),
        sa.Column('alt', sa.Text(), nullable=False),
    )
    op.create_index('ix_version_images_media', 'version_images', ['media_id'])


def downgrade() -> None:
    op.drop_index('ix_version_images_media', table_name='version_images')
    op.drop_table('version_images')
    op.drop_index('ix_media_created', table_name='media')
    op.drop_table('media')
