"""learner_status_summary: learner_status counted by organisation and the dates that decide the statuses

Revision ID: a7c9e1b3d5f7
Revises: f1b3d5e7a9c2
Create Date: 2026-11-30 22:30:00

Issue 19. The manager's report counted a million learner_status rows on every request. This
table holds how many learner_status rows there are for each organisation, stored status, month
of the due date, month of the next expiry and set of modules done; the report adds up these few
rows instead, and reads learner_status itself only for the months in which "today" (overdue),
"now" (expired) and "now + 60 days" (refresher due) fall, where a month's rows are on both sides
of the line (reporting/services.py). A month is `year * 12 + month - 1`; no date is 999999.

Database triggers on learner_status keep it in the same transaction as every insert, update and
delete of a row, whatever code (or cascade) makes it, so no Python that writes learner_status
changes. On PostgreSQL they are statement triggers over the transition tables, which add each
statement's changes up and apply them in the order of the key, so two transactions never wait
for each other's rows the other way round; SQLite has one writer at a time and row triggers.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a7c9e1b3d5f7'
down_revision = 'f1b3d5e7a9c2'
branch_labels = None
depends_on = None

NO_DATE = 999999
KEY = ('organisation_id', 'status', 'due_month', 'expiry_month', 'done_modules')
KEYS = ", ".join(KEY)


def _month(column, dialect):
    """The month of a date or timestamp as year * 12 + month - 1; NO_DATE for none."""
    if dialect == 'postgresql':
        return f"coalesce((extract(year FROM {column}) * 12 + extract(month FROM {column}) - 1)::integer, {NO_DATE})"
    # SQLite keeps dates and timestamps as ISO text: YYYY-MM-DD...
    return (
        f"coalesce(CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 6, 2) AS INTEGER) - 1, "
        f"{NO_DATE})"
    )


def _key(row, dialect):
    return (
        f"{row}.organisation_id, {row}.status, {_month(f'{row}.due_date', dialect)}, "
        f"{_month(f'{row}.next_expiry', dialect)}, {row}.done_modules"
    )


def _apply(changes):
    """PostgreSQL: add `changes` (rows of the key and +1 or -1) to the summary, key by key in order."""
    return f"""
        INSERT INTO learner_status_summary AS s ({KEYS}, learners)
        SELECT {KEYS}, sum(change) FROM ({changes}) AS c ({KEYS}, change)
        GROUP BY {KEYS} HAVING sum(change) <> 0 ORDER BY {KEYS}
        ON CONFLICT ({KEYS}) DO UPDATE SET learners = s.learners + excluded.learners;
        DELETE FROM learner_status_summary WHERE learners = 0;"""


def _postgresql():
    new = f"SELECT {_key('n', 'postgresql')}, 1 FROM new_rows AS n"
    old = f"SELECT {_key('o', 'postgresql')}, -1 FROM old_rows AS o"
    return [
        f"""
CREATE OR REPLACE FUNCTION learner_status_summary_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN{_apply(new)}
    ELSIF TG_OP = 'UPDATE' THEN{_apply(f"{new} UNION ALL {old}")}
    ELSE{_apply(old)}
    END IF;
    RETURN NULL;
END
$$""",
        """
CREATE OR REPLACE FUNCTION learner_status_summary_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM learner_status_summary;
    RETURN NULL;
END
$$""",
        "CREATE TRIGGER learner_status_summary_insert AFTER INSERT ON learner_status "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION learner_status_summary_apply()",
        "CREATE TRIGGER learner_status_summary_update AFTER UPDATE ON learner_status "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION learner_status_summary_apply()",
        "CREATE TRIGGER learner_status_summary_delete AFTER DELETE ON learner_status "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION learner_status_summary_apply()",
        "CREATE TRIGGER learner_status_summary_truncate AFTER TRUNCATE ON learner_status "
        "FOR EACH STATEMENT EXECUTE FUNCTION learner_status_summary_truncate()",
    ]


def _sqlite():
    new = _key('NEW', 'sqlite')
    old = [
        'OLD.organisation_id', 'OLD.status', _month('OLD.due_date', 'sqlite'), _month('OLD.next_expiry', 'sqlite'),
        'OLD.done_modules',
    ]
    the_old_row = " AND ".join(f"{k} = {v}" for k, v in zip(KEY, old))
    add = (
        f"INSERT INTO learner_status_summary ({KEYS}, learners) VALUES ({new}, 1) "
        f"ON CONFLICT ({KEYS}) DO UPDATE SET learners = learners + 1;"
    )
    take = (
        f"UPDATE learner_status_summary SET learners = learners - 1 WHERE {the_old_row}; "
        f"DELETE FROM learner_status_summary WHERE {the_old_row} AND learners = 0;"
    )
    changed = " OR ".join(
        f"OLD.{c} IS NOT NEW.{c}" for c in ('organisation_id', 'status', 'due_date', 'next_expiry', 'done_modules')
    )
    return [
        f"CREATE TRIGGER learner_status_summary_insert AFTER INSERT ON learner_status BEGIN {add} END",
        f"CREATE TRIGGER learner_status_summary_update AFTER UPDATE ON learner_status WHEN {changed} "
        f"BEGIN {take} {add} END",
        f"CREATE TRIGGER learner_status_summary_delete AFTER DELETE ON learner_status BEGIN {take} END",
    ]


def upgrade():
    op.create_table(
        'learner_status_summary',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('due_month', sa.Integer(), nullable=False),
        sa.Column('expiry_month', sa.Integer(), nullable=False),
        sa.Column('done_modules', sa.Text(), nullable=False),
        sa.Column('learners', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f('pk_learner_status_summary')),
    )
    op.create_index(
        'ix_learner_status_summary_empty', 'learner_status_summary', ['learners'],
        postgresql_where=sa.text('learners = 0'), sqlite_where=sa.text('learners = 0'),
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        f"INSERT INTO learner_status_summary ({KEYS}, learners) "  # noqa: S608 - no user input
        f"SELECT {_key('l', dialect)}, count(*) FROM learner_status AS l GROUP BY {_key('l', dialect)}"
    )
    for statement in _postgresql() if dialect == 'postgresql' else _sqlite():
        op.execute(statement)
    # The months chart reads a year of certificates from this index alone.
    op.create_index('ix_certificates_issued_at_user_id', 'certificates', ['issued_at', 'user_id'])
    if dialect == 'postgresql':
        # Covering indexes, so the report reads the rows it needs from them alone (index-only
        # scans): the modules whose completion has expired; the learner_status rows in the month of
        # today, now or the end of the refresher window, and the expired ones.
        op.create_index(
            'ix_module_progress_completed_expiry', 'module_progress', ['expires_at'],
            postgresql_include=['user_id', 'module_slug'],
            postgresql_where=sa.text("state = 'completed' AND expires_at IS NOT NULL"),
        )
        figures = ['organisation_id', 'user_id', 'status', 'done_modules']
        op.create_index(
            'ix_learner_status_expiry_figures', 'learner_status', ['next_expiry'],
            postgresql_include=[*figures, 'due_date'], postgresql_where=sa.text('next_expiry IS NOT NULL'),
        )
        op.create_index(
            'ix_learner_status_due_figures', 'learner_status', ['due_date'],
            postgresql_include=[*figures, 'next_expiry'], postgresql_where=sa.text('due_date IS NOT NULL'),
        )


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        op.drop_index('ix_learner_status_due_figures', table_name='learner_status')
        op.drop_index('ix_learner_status_expiry_figures', table_name='learner_status')
        op.drop_index('ix_module_progress_completed_expiry', table_name='module_progress')
    op.drop_index('ix_certificates_issued_at_user_id', table_name='certificates')
    for name in ('insert', 'update', 'delete', 'truncate') if postgresql else ('insert', 'update', 'delete'):
        op.execute(f"DROP TRIGGER IF EXISTS learner_status_summary_{name}" + (" ON learner_status" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS learner_status_summary_apply()")
        op.execute("DROP FUNCTION IF EXISTS learner_status_summary_truncate()")
    op.drop_index('ix_learner_status_summary_empty', table_name='learner_status_summary')
    op.drop_table('learner_status_summary')
