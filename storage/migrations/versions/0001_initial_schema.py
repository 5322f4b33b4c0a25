"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 08:42:10.788384
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('char_count', sa.Integer(), nullable=False),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_documents_content_hash'))
    )
    op.create_table('pipeline_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pipeline', sa.String(length=255), nullable=False),
    sa.Column('spec', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('llm', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stats', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_runs'))
    )
    op.create_table('run_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result_keys', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_run_documents_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], name=op.f('fk_run_documents_run_id_pipeline_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_run_documents')),
    sa.UniqueConstraint('run_id', 'document_id', name=op.f('uq_run_documents_run_id'))
    )
    with op.batch_alter_table('run_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_documents_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_run_documents_run_id'), ['run_id'], unique=False)

    op.create_table('stage_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_key', sa.String(length=64), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=255), nullable=False),
    sa.Column('field', sa.String(length=255), nullable=False),
    sa.Column('stage_version', sa.String(length=64), nullable=False),
    sa.Column('model_id', sa.String(length=512), nullable=False),
    sa.Column('prompt_version', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('output_type', sa.String(length=64), nullable=True),
    sa.Column('output', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('error_kind', sa.String(length=64), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('raw_answer', sa.Text(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=False),
    sa.Column('completion_tokens', sa.Integer(), nullable=False),
    sa.Column('llm_calls', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_stage_results_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], name=op.f('fk_stage_results_run_id_pipeline_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_results')),
    sa.UniqueConstraint('result_key', name=op.f('uq_stage_results_result_key'))
    )
    with op.batch_alter_table('stage_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_results_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_results_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_results_stage'), ['stage'], unique=False)

    op.create_table('entities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_entities_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['stage_results.id'], name=op.f('fk_entities_result_id_stage_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entities'))
    )
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entities_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entities_label'), ['label'], unique=False)
        batch_op.create_index(batch_op.f('ix_entities_result_id'), ['result_id'], unique=False)

    op.create_table('labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('scores', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_labels_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['stage_results.id'], name=op.f('fk_labels_result_id_stage_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labels'))
    )
    with op.batch_alter_table('labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_labels_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_labels_result_id'), ['result_id'], unique=False)

    op.create_table('summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('word_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_summaries_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['result_id'], ['stage_results.id'], name=op.f('fk_summaries_result_id_stage_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summaries'))
    )
    with op.batch_alter_table('summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summaries_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_summaries_result_id'), ['result_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_summaries_result_id'))
        batch_op.drop_index(batch_op.f('ix_summaries_document_id'))

    op.drop_table('summaries')
    with op.batch_alter_table('labels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_labels_result_id'))
        batch_op.drop_index(batch_op.f('ix_labels_document_id'))

    op.drop_table('labels')
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entities_result_id'))
        batch_op.drop_index(batch_op.f('ix_entities_label'))
        batch_op.drop_index(batch_op.f('ix_entities_document_id'))

    op.drop_table('entities')
    with op.batch_alter_table('stage_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_results_stage'))
        batch_op.drop_index(batch_op.f('ix_stage_results_run_id'))
        batch_op.drop_index(batch_op.f('ix_stage_results_document_id'))

    op.drop_table('stage_results')
    with op.batch_alter_table('run_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_run_documents_run_id'))
        batch_op.drop_index(batch_op.f('ix_run_documents_document_id'))

    op.drop_table('run_documents')
    op.drop_table('pipeline_runs')
    op.drop_table('documents')

