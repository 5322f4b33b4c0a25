"""embeddings: one float32 vector per embedding result, with its model and dimension

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 17:10:00

New table ``embeddings`` (stage ``embed`` / ``embed.llm``): the vector as float32 bytes, its model id and
dimension, keyed by the stage result (unique; deleted with it). A plain bytes column on SQLite and PostgreSQL;
searches scan it exactly (tandem.storage.vectors).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('embeddings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=512), nullable=False),
    sa.Column('dim', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_embeddings_document_id_documents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['stage_results.id'], name=op.f('fk_embeddings_result_id_stage_results'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_embeddings')),
    sa.UniqueConstraint('result_id', name=op.f('uq_embeddings_result_id'))
    )
    with op.batch_alter_table('embeddings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_embeddings_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_embeddings_model'), ['model'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('embeddings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_embeddings_model'))
        batch_op.drop_index(batch_op.f('ix_embeddings_document_id'))
    op.drop_table('embeddings')
