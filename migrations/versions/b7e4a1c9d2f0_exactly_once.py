"""exactly once: one open quiz attempt per learner and quiz, one certificate per induction cycle

Revision ID: b7e4a1c9d2f0
Revises: 3f1d2c7a9b4e
Create Date: 2026-11-30 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4a1c9d2f0'
down_revision = '3f1d2c7a9b4e'
branch_labels = None
depends_on = None


def upgrade():
    # Open attempts that parallel requests duplicated: keep the newest of each learner's quiz.
    op.execute(
        "DELETE FROM quiz_attempts WHERE submitted_at IS NULL AND id NOT IN ("
        " SELECT max_id FROM (SELECT max(id) AS max_id FROM quiz_attempts"
        " WHERE submitted_at IS NULL GROUP BY user_id, quiz_slug) AS newest)"
    )
    op.create_index(
        'uq_quiz_attempts_open', 'quiz_attempts', ['user_id', 'quiz_slug'], unique=True,
        sqlite_where=sa.text('submitted_at IS NULL'), postgresql_where=sa.text('submitted_at IS NULL'),
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cycle', sa.Integer(), nullable=False, server_default='1'))
    # Number each learner's certificates in the order they were issued.
    op.execute(
        "UPDATE certificates SET cycle = (SELECT count(*) FROM certificates AS earlier"
        " WHERE earlier.user_id = certificates.user_id AND earlier.id <= certificates.id)"
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_certificates_user_id_cycle', ['user_id', 'cycle'])


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint('uq_certificates_user_id_cycle', type_='unique')
        batch_op.drop_column('cycle')
    op.drop_index('uq_quiz_attempts_open', table_name='quiz_attempts')
