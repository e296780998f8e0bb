"""refresher periods set by an organisation or for a sector (issue 17)

Revision ID: d6f8b0c2e4a3
Revises: c4e6a8b0d2f1
Create Date: 2026-11-30 19:00:00

`refresher_periods`: a module's refresher period in months, shorter than its default, for one
organisation or for a sector: exactly one of the two (a check), at most one per organisation and
module and per sector and module (unique keys, which also serve the look-ups by organisation and
by sector). The period that applies to a learner is `rules.refresher_months`.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd6f8b0c2e4a3'
down_revision = 'c4e6a8b0d2f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'refresher_periods',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('module_slug', sa.String(length=120), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('sector', sa.String(length=40), nullable=True),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            '(organisation_id IS NULL AND sector IS NOT NULL) OR (organisation_id IS NOT NULL AND sector IS NULL)',
            name='ck_refresher_periods_one_scope',
        ),
        sa.CheckConstraint('months >= 1', name='ck_refresher_periods_months'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organisation_id', 'module_slug', name='uq_refresher_periods_organisation_module'),
        sa.UniqueConstraint('sector', 'module_slug', name='uq_refresher_periods_sector_module'),
    )


def downgrade():
    op.drop_table('refresher_periods')
