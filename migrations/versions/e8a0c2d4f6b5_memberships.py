"""memberships: a learner in more than one organisation, moves between them (issue 17)

Revision ID: e8a0c2d4f6b5
Revises: d6f8b0c2e4a3
Create Date: 2026-11-30 19:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'e8a0c2d4f6b5'
down_revision = 'd6f8b0c2e4a3'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
