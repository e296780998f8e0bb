"""statement attachments: the bytes of each xAPI attachment, stored once per SHA-2 hash

Revision ID: c3a9e2b1f7d4
Revises: b7e4a1c9d2f0
Create Date: 2026-11-30 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a9e2b1f7d4'
down_revision = 'b7e4a1c9d2f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'xapi_attachments',
        sa.Column('sha2', sa.String(length=128), nullable=False),
        sa.Column('content_type', sa.String(length=255), nullable=False),
        sa.Column('length', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('stored', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('sha2', name=op.f('pk_xapi_attachments')),
    )


def downgrade():
    op.drop_table('xapi_attachments')
