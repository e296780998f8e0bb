"""limited requests: "Forgot your password?" counted in the database

Revision ID: c1e3a5b7d9f2
Revises: a7c9e1b3d5f7
Create Date: 2026-11-30 23:35:00

The limits on asking for a password link (per address asked about, per address asking) were
counted by Flask-Limiter in each worker's memory, so two workers let twice as many through.
`limited_requests` holds each counted request for its window (`accounts/throttle.py` `count`),
as `sign_in_attempts` does for sign-ins, so every worker and restart shares the count.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c1e3a5b7d9f2'
down_revision = 'a7c9e1b3d5f7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'limited_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=320), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_limited_requests')),
    )
    op.create_index('ix_limited_requests_key_at', 'limited_requests', ['key', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_limited_requests_key_at', table_name='limited_requests')
    op.drop_table('limited_requests')
