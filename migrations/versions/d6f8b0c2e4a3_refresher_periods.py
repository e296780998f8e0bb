"""refresher periods set by an organisation or for a sector (issue 17)

Revision ID: d6f8b0c2e4a3
Revises: c4e6a8b0d2f1
Create Date: 2026-11-30 19:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'd6f8b0c2e4a3'
down_revision = 'c4e6a8b0d2f1'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
