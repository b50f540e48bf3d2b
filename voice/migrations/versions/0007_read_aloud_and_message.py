"""read-aloud recordings, interpreters, the panel's message in the child's language

Revision ID: 0007
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import voice.models.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interpreter', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table(
        'prompt_recording',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('questionnaire_id', sa.String(length=64), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('part', sa.String(length=200), nullable=False),
        sa.Column('source_text', sa.String(length=2000), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('media_type', sa.String(length=40), nullable=False),
        sa.Column('seconds', sa.Double(), nullable=False),
        sa.Column('recorded_by_id', sa.String(length=32), nullable=True),
        sa.Column('recorded_at', voice.models.base.UTCDateTime(), nullable=False),
        sa.Column('checked_by_id', sa.String(length=32), nullable=True),
        sa.Column('checked_at', voice.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['checked_by_id'], ['user_account.id'], name=op.f('fk_prompt_recording_checked_by_id_user_account')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_prompt_recording_recorded_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_prompt_recording')),
        sa.UniqueConstraint('questionnaire_id', 'language', 'part',
                            name=op.f('uq_prompt_recording_questionnaire_id')),
    )
    with op.batch_alter_table('prompt_recording', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prompt_recording_digest'), ['digest'], unique=False)
    op.create_table(
        'outcome_message_translation',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.String(length=32), nullable=False),
        sa.Column('outcome_id', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('message', sa.LargeBinary(), nullable=False),
        sa.Column('provenance', sa.String(length=20), nullable=False),
        sa.Column('media_file_id', sa.String(length=32), nullable=True),
        sa.Column('media_type', sa.String(length=40), nullable=True),
        sa.Column('media_bytes', sa.Integer(), nullable=True),
        sa.Column('translated_by_id', sa.String(length=32), nullable=True),
        sa.Column('translated_at', voice.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['child_case.id'], name=op.f('fk_outcome_message_translation_case_id_child_case')),
        sa.ForeignKeyConstraint(['outcome_id'], ['panel_outcome.id'], name=op.f('fk_outcome_message_translation_outcome_id_panel_outcome'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['translated_by_id'], ['user_account.id'], name=op.f('fk_outcome_message_translation_translated_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_message_translation')),
        sa.UniqueConstraint('outcome_id', 'language',
                            name=op.f('uq_outcome_message_translation_outcome_id')),
    )
    with op.batch_alter_table('outcome_message_translation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_message_translation_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_message_translation_outcome_id'),
                              ['outcome_id'], unique=False)


def downgrade() -> None:
    op.drop_table('outcome_message_translation')
    op.drop_table('prompt_recording')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('interpreter')
