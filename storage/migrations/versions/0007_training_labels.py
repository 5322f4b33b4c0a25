"""training_labels: labels with provenance for the flywheel (cascade LLM answers, gold files, people)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('training_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=128), nullable=False),
    sa.Column('text_key', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=512), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('specialist_label', sa.String(length=255), nullable=True),
    sa.Column('specialist_confidence', sa.Float(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_training_labels_document_id_documents'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_labels')),
    sa.UniqueConstraint('task', 'text_key', 'source', name=op.f('uq_training_labels_task'))
    )
    with op.batch_alter_table('training_labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_labels_task'), ['task'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('training_labels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_labels_task'))
    op.drop_table('training_labels')
