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
  statement it voids; without it that lookup read the whole table. Partial (`voids IS NOT NULL`):
  only voiding statements are in it, so other inserts do not touch it.

Every index is also work for every insert, so two that nothing needs any more go:
- `ix_statements_stored` (stored): a prefix of `ix_statements_stored_seq`.
- `ix_statements_verb_object` (verb_id, object_id): nothing looks statements up by verb and
  object; the verb filter uses `ix_statements_verb_stored_seq`.
"""
import sqlalchemy as sa
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
    not_null = sa.text('voids IS NOT NULL')
    op.create_index('ix_statements_voids', 'statements', ['voids'], postgresql_where=not_null, sqlite_where=not_null)
    op.drop_index('ix_statements_stored', table_name='statements')
    op.drop_index('ix_statements_verb_object', table_name='statements')


def downgrade():
    op.create_index('ix_statements_verb_object', 'statements', ['verb_id', 'object_id'])
    op.create_index('ix_statements_stored', 'statements', ['stored'])
    op.drop_index('ix_statements_voids', table_name='statements')
    op.create_index('ix_statements_registration', 'statements', ['registration'])
    op.drop_index('ix_statements_registration_stored_seq', table_name='statements')
    op.drop_index('ix_statements_verb_stored_seq', table_name='statements')
