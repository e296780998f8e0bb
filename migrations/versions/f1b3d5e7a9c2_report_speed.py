"""report speed: the modules each learner has done on learner_status, indexes for the report

Revision ID: f1b3d5e7a9c2
Revises: e8a0c2d4f6b5
Create Date: 2026-11-30 20:15:00

Issue 19. The manager's report counted each module's completions by joining module_progress
(three rows or more per learner) to the whole scope. `learner_status.done_modules` holds the
slugs of the modules a learner has completed or waived ("|a|b|"), kept by the same code that
keeps the row (plans/status.py, plans/settling.py), so those counts come from the one scan of
learner_status that also makes the per-organisation summaries. Backfilled here from
module_progress. `ix_memberships_current_organisation_job_role` serves the job-role filter's
list of roles of the organisations in scope.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f1b3d5e7a9c2'
down_revision = 'e8a0c2d4f6b5'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('learner_status', sa.Column('done_modules', sa.Text(), nullable=False, server_default=''))
    joined = (
        "string_agg(module_slug, '|' ORDER BY module_slug)"
        if op.get_bind().dialect.name == 'postgresql'
        else "group_concat(module_slug, '|')"
    )
    op.execute(
        "UPDATE learner_status SET done_modules = coalesce(("  # noqa: S608 - no user input
        f"SELECT '|' || {joined} || '|' FROM module_progress "
        "WHERE module_progress.user_id = learner_status.user_id AND module_progress.state IN ('completed', 'waived')"
        "), '')"
    )
    # A row for each current membership of a learner and nothing else, as plans/status.py now keeps
    # them (the report counts this table alone): rows left by memberships that ended go.
    op.execute(
        "DELETE FROM learner_status WHERE NOT EXISTS ("
        "SELECT 1 FROM memberships JOIN users ON users.id = memberships.user_id "
        "WHERE memberships.user_id = learner_status.user_id "
        "AND memberships.organisation_id = learner_status.organisation_id "
        "AND memberships.left_at IS NULL AND users.role = 'learner')"
    )
    op.create_index(
        'ix_memberships_current_organisation_job_role', 'memberships', ['organisation_id', 'job_role'],
        postgresql_where=sa.text('left_at IS NULL'), sqlite_where=sa.text('left_at IS NULL'),
    )


def downgrade():
    op.drop_index('ix_memberships_current_organisation_job_role', table_name='memberships')
    op.drop_column('learner_status', 'done_modules')  # SQLite 3.35+ drops a column in place
