"""identity providers: OpenID Connect sign-in, the organisations each serves, and linked accounts

Revision ID: a8b6c4d2e0f9
Revises: f2a4c6e8b0d1
Create Date: 2026-11-30 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8b6c4d2e0f9'
down_revision = 'f2a4c6e8b0d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'identity_providers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('issuer', sa.String(length=300), nullable=False),
        sa.Column('client_id', sa.String(length=200), nullable=False),
        sa.Column('client_secret', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_table(
        'provider_organisations',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('domains', sa.String(length=500), nullable=False),
        sa.Column('create_learners', sa.Boolean(), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['provider_id'], ['identity_providers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organisation_id'),
    )
    op.create_index('ix_provider_organisations_provider_id', 'provider_organisations', ['provider_id'])
    op.create_table(
        'identity_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=300), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('issuer', 'subject'),
        sa.UniqueConstraint('user_id', 'issuer'),
    )
    op.create_index('ix_identity_links_user_id', 'identity_links', ['user_id'])


def downgrade():
    op.drop_index('ix_identity_links_user_id', table_name='identity_links')
    op.drop_table('identity_links')
    op.drop_index('ix_provider_organisations_provider_id', table_name='provider_organisations')
    op.drop_table('provider_organisations')
    op.drop_table('identity_providers')

