"""LRS: indexes for the statement filters (issue 13)

Revision ID: c4e6a8b0d2f1
Revises: b9d7e5c3a1f0
Create Date: 2026-11-30 19:00:00

Each GET filter of /xapi/statements walks an index in the page's order, (stored, seq), and stops
after a page, instead of collecting every match and sorting it:
- `ix_statements_verb_stored_seq`: `verb`.
- `ix_statements_registration_stored_seq`: `registration` (replaces the index on registration alone).
- `agent` and `activity` (related or not) already have `ix_xapi_statement_links_kind_value`, and
  an unfiltered page `ix_statements_stored_seq`.
- `ix_statements_voids`: every PUT or POST looks for a voiding statement that arrived before the
  statement it voids; without it that lookup read the whole table.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f1'
down_revision = 'b9d7e5c3a1f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_statements_verb_stored_seq', 'statements', ['verb_id', 'stored', 'seq'])
    op.create_index('ix_statements_registration_stored_seq', 'statements', ['registration', 'stored', 'seq'])
    op.drop_index('ix_statements_registration', table_name='statements')
    op.create_index('ix_statements_voids', 'statements', ['voids'])


def downgrade():
    op.drop_index('ix_statements_voids', table_name='statements')
    op.create_index('ix_statements_registration', 'statements', ['registration'])
    op.drop_index('ix_statements_registration_stored_seq', table_name='statements')
    op.drop_index('ix_statements_verb_stored_seq', table_name='statements')
