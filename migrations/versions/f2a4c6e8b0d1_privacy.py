"""privacy: erasure and leaving dates on users, the audit log; the platform's statements lose names

Revision ID: f2a4c6e8b0d1
Revises: e7c1d9a3b5f2
Create Date: 2026-11-30 18:00:00.000000

"""
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2a4c6e8b0d1'
down_revision = 'e7c1d9a3b5f2'
branch_labels = None
depends_on = None

BATCH = 500
REASON_EXTENSION = 'https://w3id.org/xapi/cmi5/result/extensions/reason'


def _unnamed(agent):
    """The agent without its name (a Group's members too); other values as they were."""
    if not isinstance(agent, dict):
        return agent
    out = {k: v for k, v in agent.items() if k != 'name'}
    if isinstance(out.get('member'), list):
        out['member'] = [_unnamed(m) for m in out['member']]
    return out


def strip_names(statement):
    """A statement the platform made, without any person's name or the waiver's free-text reason.

    Only statements with the platform's own authority are changed: statements other systems posted
    to the LRS stay exactly as they were sent. The platform's authority names the platform, not a
    person, and keeps its name. Ids, timestamps and everything else are kept."""
    authority = statement.get('authority') or {}
    if (authority.get('account') or {}).get('name') != 'platform':
        return statement
    out = dict(statement)
    out['actor'] = _unnamed(out.get('actor'))
    if isinstance(out.get('object'), dict) and out['object'].get('objectType') in ('Agent', 'Group'):
        out['object'] = _unnamed(out['object'])
    context = out.get('context')
    if isinstance(context, dict):
        context = dict(context)
        for key in ('instructor', 'team'):
            if key in context:
                context[key] = _unnamed(context[key])
        out['context'] = context
    result = out.get('result')
    if isinstance(result, dict) and REASON_EXTENSION in (result.get('extensions') or {}):
        result = dict(result)
        extensions = {k: v for k, v in result['extensions'].items() if k != REASON_EXTENSION}
        if extensions:
            result['extensions'] = extensions
        else:
            del result['extensions']
        if result:
            out['result'] = result
        else:
            del out['result']
    return out


def rewrite_statements(connection, batch=BATCH):
    """Rewrite the stored bodies in batches of `batch` rows by `seq`; how many were changed."""
    statements = sa.table('statements', sa.column('seq', sa.Integer), sa.column('body', sa.Text))
    last, changed = 0, 0
    while True:
        rows = connection.execute(
            sa.select(statements.c.seq, statements.c.body)
            .where(statements.c.seq > last)
            .order_by(statements.c.seq)
            .limit(batch)
        ).all()
        if not rows:
            return changed
        for seq, body in rows:
            data = json.loads(body)
            cleaned = strip_names(data)
            if cleaned != data:
                connection.execute(
                    statements.update()
                    .where(statements.c.seq == seq)
                    .values(body=json.dumps(cleaned, separators=(',', ':'), sort_keys=True, ensure_ascii=False))
                )
                changed += 1
        last = rows[-1][0]


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('erased_reason', sa.Text(), nullable=True))
    # Accounts switched off before now have no leaving date: the retention period counts from today.
    users = sa.table('users', sa.column('active', sa.Boolean), sa.column('left_at', sa.DateTime))
    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(users.update().where(users.c.active == sa.false()).values(left_at=now))

    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users')),
        sa.ForeignKeyConstraint(['subject_id'], ['users.id'], name=op.f('fk_audit_log_subject_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_subject_id'), ['subject_id'], unique=False)

    rewrite_statements(op.get_bind())


def downgrade():
    # The names taken out of statements are not put back: the accounts table still has them.
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_subject_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
    op.drop_table('audit_log')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('erased_reason')
        batch_op.drop_column('erased_at')
        batch_op.drop_column('left_at')
