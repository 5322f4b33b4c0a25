"""comparisons: the tables of ``tandem compare`` (one row per comparison, one per system in it)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 18:50:12.910362

Only new tables: every table of 0001 and its rows are left as they are.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('comparisons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=32), nullable=False),
    sa.Column('gold', sa.Text(), nullable=False),
    sa.Column('docs', sa.Integer(), nullable=False),
    sa.Column('cost_model', JSON_TYPE, nullable=False),
    sa.Column('chart', sa.Text(), nullable=True),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comparisons'))
    )
    with op.batch_alter_table('comparisons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comparisons_task'), ['task'], unique=False)

    op.create_table('comparison_systems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comparison_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('model_id', sa.String(length=512), nullable=False),
    sa.Column('quality', sa.Float(), nullable=True),
    sa.Column('docs_per_s', sa.Float(), nullable=False),
    sa.Column('p50_ms', sa.Float(), nullable=False),
    sa.Column('p95_ms', sa.Float(), nullable=False),
    sa.Column('llm_calls', sa.Integer(), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=False),
    sa.Column('completion_tokens', sa.Integer(), nullable=False),
    sa.Column('cost_per_1k_docs', sa.Float(), nullable=False),
    sa.Column('report', JSON_TYPE, nullable=False),
    sa.ForeignKeyConstraint(['comparison_id'], ['comparisons.id'],
                            name=op.f('fk_comparison_systems_comparison_id_comparisons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comparison_systems'))
    )
    with op.batch_alter_table('comparison_systems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comparison_systems_comparison_id'), ['comparison_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('comparison_systems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comparison_systems_comparison_id'))
    op.drop_table('comparison_systems')
    with op.batch_alter_table('comparisons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comparisons_task'))
    op.drop_table('comparisons')
