"""duplicates: near-duplicate marks of a run (tandem dedup --mark)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:00:00

New table ``duplicates``: per run, each document found to be a near-duplicate of an earlier document of the same
run (the group's first by record order), with the cosine, the threshold and the embedding model. Replaced
whenever the run is marked again; deleted with the run or either document.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('duplicates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('duplicate_of', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('model', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_duplicates_document_id_documents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['duplicate_of'], ['documents.id'], name=op.f('fk_duplicates_duplicate_of_documents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], name=op.f('fk_duplicates_run_id_pipeline_runs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicates')),
    sa.UniqueConstraint('run_id', 'document_id', name=op.f('uq_duplicates_run_id'))
    )
    with op.batch_alter_table('duplicates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duplicates_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('duplicates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duplicates_run_id'))
    op.drop_table('duplicates')
