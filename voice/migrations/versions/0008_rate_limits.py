"""rate limits: tries counted per account and per address

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-27 12:45:00.000000
"""
from alembic import op
import sqlalchemy as sa
import voice.models.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_limit_hit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', voice.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_limit_hit'))
    )
    with op.batch_alter_table('rate_limit_hit', schema=None) as batch_op:
        batch_op.create_index('ix_rate_limit_hit_key_at', ['key', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rate_limit_hit_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_limit_hit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_hit_at'))
        batch_op.drop_index('ix_rate_limit_hit_key_at')

    op.drop_table('rate_limit_hit')
