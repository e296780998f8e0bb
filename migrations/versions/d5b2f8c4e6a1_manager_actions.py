"""manager actions: CSV files kept between their check and the confirmed import

Revision ID: d5b2f8c4e6a1
Revises: c3a9e2b1f7d4
Create Date: 2026-11-30 16:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5b2f8c4e6a1'
down_revision = 'c3a9e2b1f7d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'csv_uploads',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=True),
        sa.Column('added', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['manager_id'], ['users.id'], name=op.f('fk_csv_uploads_manager_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_csv_uploads_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_csv_uploads')),
    )
    with op.batch_alter_table('csv_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csv_uploads_uploaded_at'), ['uploaded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('csv_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csv_uploads_uploaded_at'))
    op.drop_table('csv_uploads')
