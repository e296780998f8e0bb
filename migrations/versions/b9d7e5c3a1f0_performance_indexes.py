"""performance indexes: the report's default sort by name, the roles of an organisation, the LRS's newest-first pages

Revision ID: b9d7e5c3a1f0
Revises: a8b6c4d2e0f9
Create Date: 2026-11-30 17:10:00

Issue 19. Each index serves a query that otherwise sorts or scans a whole table:
- `ix_users_lower_name_id`: the manager's list sorts learners by `lower(name), id` and shows the
  first 25; with the index PostgreSQL walks to them instead of sorting every learner in scope.
- `ix_users_organisation_job_role`: the report's job-role filter lists the distinct roles of
  the organisations in scope.
- `ix_statements_stored_seq`: every GET of /xapi/statements pages by (stored, seq), newest first.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b9d7e5c3a1f0'
down_revision = 'a8b6c4d2e0f9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_users_lower_name_id', 'users', [sa.text('lower(name)'), 'id'])
    op.create_index('ix_users_organisation_job_role', 'users', ['organisation_id', 'job_role'])
    op.create_index('ix_statements_stored_seq', 'statements', ['stored', 'seq'])


def downgrade():
    op.drop_index('ix_statements_stored_seq', table_name='statements')
    op.drop_index('ix_users_organisation_job_role', table_name='users')
    op.drop_index('ix_users_lower_name_id', table_name='users')
