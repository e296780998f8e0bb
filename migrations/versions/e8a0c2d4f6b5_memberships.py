"""memberships: a learner in more than one organisation, moves between them (issue 17)

Each learner gets one current membership, in their organisation (users.organisation_id, which
stays as their main organisation) and job role, from the day they started. learner_status
becomes one row per learner and organisation they are in; the existing rows keep their figures
under the learner's organisation.

Revision ID: e8a0c2d4f6b5
Revises: d6f8b0c2e4a3
Create Date: 2026-11-30 19:00:00
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e8a0c2d4f6b5'
down_revision = 'd6f8b0c2e4a3'
branch_labels = None
depends_on = None

FIGURES = "status, modules_done, items_done, items_total, next_expiry, last_activity_at, due_date"


def _figures():
    return [
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('modules_done', sa.Integer(), nullable=False),
        sa.Column('items_done', sa.Integer(), nullable=False),
        sa.Column('items_total', sa.Integer(), nullable=False),
        sa.Column('next_expiry', sa.DateTime(), nullable=True),
        sa.Column('last_activity_at', sa.DateTime(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
    ]


def _learner_status(*key):
    """learner_status keyed by `key` (user_id, or user_id and organisation_id), with its indexes."""
    columns = [sa.Column('user_id', sa.Integer(), nullable=False)]
    constraints = [
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_learner_status_user_id_users'), ondelete='CASCADE'),
    ]
    if 'organisation_id' in key:
        columns.append(sa.Column('organisation_id', sa.Integer(), nullable=False))
        constraints.append(
            sa.ForeignKeyConstraint(
                ['organisation_id'], ['organisations.id'],
                name=op.f('fk_learner_status_organisation_id_organisations'), ondelete='CASCADE',
            )
        )
    op.create_table(
        'learner_status', *columns, *_figures(), *constraints,
        sa.PrimaryKeyConstraint(*key, name=op.f('pk_learner_status')),
    )
    with op.batch_alter_table('learner_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learner_status_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_learner_status_next_expiry'), ['next_expiry'], unique=False)
        batch_op.create_index(batch_op.f('ix_learner_status_status'), ['status'], unique=False)


def _drop_learner_status():
    with op.batch_alter_table('learner_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learner_status_status'))
        batch_op.drop_index(batch_op.f('ix_learner_status_next_expiry'))
        batch_op.drop_index(batch_op.f('ix_learner_status_due_date'))
    op.drop_table('learner_status')


def _rebuild_learner_status(select_rows, *key):
    """Copy the rows `select_rows` gives into a plain table, recreate learner_status keyed by `key`
    (constraint names stay those of the first migration), and copy them back."""
    op.create_table(
        'learner_status_copy',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        *_figures(),
    )
    op.execute(f"INSERT INTO learner_status_copy (user_id, organisation_id, {FIGURES}) {select_rows}")
    _drop_learner_status()
    _learner_status(*key)
    columns = ", ".join(key) + ", " + FIGURES
    op.execute(f"INSERT INTO learner_status ({columns}) SELECT {columns} FROM learner_status_copy")
    op.drop_table('learner_status_copy')


def upgrade():
    op.create_table(
        'memberships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('job_role', sa.String(length=120), nullable=True),
        sa.Column('started_on', sa.Date(), nullable=True),
        sa.Column('joined_at', sa.DateTime(), nullable=False),
        sa.Column('left_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_memberships_organisation_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)
        # One current membership per learner and organisation: the last word when requests race.
        batch_op.create_index(
            'uq_memberships_current', ['user_id', 'organisation_id'], unique=True,
            sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'),
        )
    # Every learner with an organisation is a current member of it, since they started.
    op.execute(
        "INSERT INTO memberships (user_id, organisation_id, job_role, started_on, joined_at, left_at) "
        "SELECT id, organisation_id, job_role, start_date, created_at, NULL FROM users "
        "WHERE role = 'learner' AND organisation_id IS NOT NULL"
    )
    _rebuild_learner_status(
        f"SELECT s.user_id, u.organisation_id, {', '.join('s.' + c.strip() for c in FIGURES.split(','))} "
        "FROM learner_status s JOIN users u ON u.id = s.user_id "
        "WHERE u.role = 'learner' AND u.organisation_id IS NOT NULL",
        'user_id', 'organisation_id',
    )


def downgrade():
    # Back to one row per learner: the one for their main organisation.
    _rebuild_learner_status(
        f"SELECT s.user_id, s.organisation_id, {', '.join('s.' + c.strip() for c in FIGURES.split(','))} "
        "FROM learner_status s JOIN users u ON u.id = s.user_id AND u.organisation_id = s.organisation_id",
        'user_id',
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('uq_memberships_current', sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))
        batch_op.drop_index(batch_op.f('ix_memberships_organisation_id'))
    op.drop_table('memberships')
