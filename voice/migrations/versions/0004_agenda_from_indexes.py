"""the agenda from indexes alone

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:55:00.000000
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('summary', schema=None) as batch_op:
        batch_op.drop_index('ix_summary_panel_case')
        batch_op.create_index('ix_summary_agenda', ['panel_id', 'case_id', 'number', 'approved_at', 'id'], unique=False)

    with op.batch_alter_table('child_case', schema=None) as batch_op:
        batch_op.create_index('ix_child_case_agenda', ['id', 'panel_id', 'panel_date', 'erased_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('child_case', schema=None) as batch_op:
        batch_op.drop_index('ix_child_case_agenda')

    with op.batch_alter_table('summary', schema=None) as batch_op:
        batch_op.drop_index('ix_summary_agenda')
        batch_op.create_index('ix_summary_panel_case', ['panel_id', 'case_id', 'number'], unique=False)
