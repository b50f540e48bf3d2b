"""safety alerts, safeguarding leads, the limit of confidentiality explained, ages 4-7

Revision ID: 0006
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import voice.models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'safety_alert',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.String(length=32), nullable=False),
        sa.Column('answer_id', sa.String(length=32), nullable=False),
        sa.Column('version_id', sa.String(length=32), nullable=False),
        sa.Column('raised_at', voice.models.base.UTCDateTime(), nullable=False),
        sa.Column('escalated_at', voice.models.base.UTCDateTime(), nullable=True),
        sa.Column('acknowledged_at', voice.models.base.UTCDateTime(), nullable=True),
        sa.Column('acknowledged_by_id', sa.String(length=32), nullable=True),
        sa.Column('action', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user_account.id'],
                                name=op.f('fk_safety_alert_acknowledged_by_id_user_account')),
        sa.ForeignKeyConstraint(['answer_id'], ['capture_answer.id'], ondelete='CASCADE',
                                name=op.f('fk_safety_alert_answer_id_capture_answer')),
        sa.ForeignKeyConstraint(['case_id'], ['child_case.id'],
                                name=op.f('fk_safety_alert_case_id_child_case')),
        sa.ForeignKeyConstraint(['version_id'], ['capture_answer_version.id'], ondelete='CASCADE',
                                name=op.f('fk_safety_alert_version_id_capture_answer_version')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_alert')),
    )
    with op.batch_alter_table('safety_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_alert_answer_id'), ['answer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_alert_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_safety_alert_waiting', ['acknowledged_at', 'raised_at'],
                              unique=False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safeguarding_lead', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('limits_explained', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    # The youngest band is now 4 to 7 (voice is used from age 4).
    op.execute("UPDATE child_case SET age_band = '4-7' WHERE age_band = 'under-8'")


def downgrade() -> None:
    op.execute("UPDATE child_case SET age_band = 'under-8' WHERE age_band = '4-7'")
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.drop_column('limits_explained')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('safeguarding_lead')
    with op.batch_alter_table('safety_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_safety_alert_waiting')
        batch_op.drop_index(batch_op.f('ix_safety_alert_case_id'))
        batch_op.drop_index(batch_op.f('ix_safety_alert_answer_id'))
    op.drop_table('safety_alert')
