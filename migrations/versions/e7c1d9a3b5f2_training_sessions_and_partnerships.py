"""training sessions, bookings, session items; partnerships and their member organisations

Revision ID: e7c1d9a3b5f2
Revises: d5b2f8c4e6a1
Create Date: 2026-11-30 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7c1d9a3b5f2'
down_revision = 'd5b2f8c4e6a1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'partnerships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('area', sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partnerships')),
        sa.UniqueConstraint('name', name=op.f('uq_partnerships_name')),
    )
    op.create_table(
        'partnership_organisations',
        sa.Column('partnership_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_partnership_organisations_organisation_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_partnership_organisations_partnership_id_partnerships'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('partnership_id', 'organisation_id', name=op.f('pk_partnership_organisations')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partnership_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_partnership_id_partnerships'), 'partnerships', ['partnership_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'training_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('module_slug', sa.String(length=100), nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('venue', sa.String(length=300), nullable=False),
        sa.Column('online_link', sa.String(length=500), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('max_sector_share', sa.Integer(), nullable=False),
        sa.Column('trainer_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_training_sessions_trainer_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions')),
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_sessions_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_sessions_topic'), ['topic'], unique=False)
    op.create_table(
        'training_bookings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('booked_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('attended', sa.Boolean(), nullable=True),
        sa.Column('register_taken_by_id', sa.Integer(), nullable=True),
        sa.Column('statement_id', sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_training_bookings_booked_by_id_users')),
        sa.ForeignKeyConstraint(['register_taken_by_id'], ['users.id'], name=op.f('fk_training_bookings_register_taken_by_id_users')),
        sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_training_bookings_session_id_training_sessions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_bookings_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_bookings')),
        sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_training_bookings_session_id')),
    )
    with op.batch_alter_table('training_bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_bookings_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_bookings_user_id'), ['user_id'], unique=False)
    op.create_table(
        'training_items',
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['induction_items.id'], name=op.f('fk_training_items_item_id_induction_items'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('item_id', name=op.f('pk_training_items')),
    )
    with op.batch_alter_table('training_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_items_topic'), ['topic'], unique=False)


def downgrade():
    with op.batch_alter_table('training_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_items_topic'))
    op.drop_table('training_items')
    with op.batch_alter_table('training_bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_bookings_user_id'))
        batch_op.drop_index(batch_op.f('ix_training_bookings_session_id'))
    op.drop_table('training_bookings')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sessions_topic'))
        batch_op.drop_index(batch_op.f('ix_training_sessions_starts_at'))
    op.drop_table('training_sessions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_partnership_id_partnerships'), type_='foreignkey')
        batch_op.drop_column('partnership_id')
    op.drop_table('partnership_organisations')
    op.drop_table('partnerships')
