"""LRS: indexes for the statement filters (issue 13)

Revision ID: c4e6a8b0d2f1
Revises: b9d7e5c3a1f0
Create Date: 2026-11-30 19:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f1'
down_revision = 'b9d7e5c3a1f0'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
