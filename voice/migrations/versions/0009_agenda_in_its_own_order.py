"""the agenda in its own order: a line a panel and case, read from one index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 19:50:00.000000
"""
from alembic import op
import sqlalchemy as sa
import voice.models.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agenda_entry',
    sa.Column('panel_id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('summary_id', sa.String(length=32), nullable=False),
    sa.Column('undated', sa.Boolean(), nullable=False),
    sa.Column('panel_date', sa.Date(), nullable=True),
    sa.Column('approved_at', voice.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['child_case.id'], name=op.f('fk_agenda_entry_case_id_child_case')),
    sa.ForeignKeyConstraint(['panel_id'], ['organisation.id'], name=op.f('fk_agenda_entry_panel_id_organisation')),
    sa.ForeignKeyConstraint(['summary_id'], ['summary.id'], name=op.f('fk_agenda_entry_summary_id_summary')),
    sa.PrimaryKeyConstraint('panel_id', 'case_id', name=op.f('pk_agenda_entry'))
    )
    with op.batch_alter_table('agenda_entry', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_entry_order', ['panel_id', 'undated', 'panel_date', 'approved_at', 'summary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_entry_summary_id'), ['summary_id'], unique=False)

    # The agenda no longer joins every summary to its case.
    with op.batch_alter_table('child_case', schema=None) as batch_op:
        batch_op.drop_index('ix_child_case_agenda')

    # Every case's newest summary for each panel it was sent to, as the agenda sorted them.
    op.execute("""
        INSERT INTO agenda_entry (panel_id, case_id, summary_id, undated, panel_date, approved_at)
        SELECT s.panel_id, s.case_id, s.id,
               CASE WHEN c.panel_id = s.panel_id AND c.panel_date IS NOT NULL
                    THEN FALSE ELSE TRUE END,
               CASE WHEN c.panel_id = s.panel_id THEN c.panel_date END,
               s.approved_at
        FROM summary s JOIN child_case c ON c.id = s.case_id
        WHERE NOT EXISTS (SELECT 1 FROM summary n WHERE n.case_id = s.case_id
                          AND n.panel_id = s.panel_id AND n.number > s.number)
    """)


def downgrade() -> None:
    with op.batch_alter_table('child_case', schema=None) as batch_op:
        batch_op.create_index('ix_child_case_agenda', ['id', 'panel_id', 'panel_date', 'erased_at'], unique=False)

    with op.batch_alter_table('agenda_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_entry_summary_id'))
        batch_op.drop_index('ix_agenda_entry_order')

    op.drop_table('agenda_entry')
