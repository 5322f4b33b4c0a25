"""run records and run owners: every input record stays addressable; stale runs can be told apart

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 02:00:00

New table ``run_records`` (one row per input record of a run, pointing to its shared document) and three
nullable columns of ``pipeline_runs`` (host, pid, heartbeat_at). Existing rows are left as they are: runs
from before have no records (``tandem results`` then lists their documents) and no owner.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('run_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_run_records_document_id_documents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['pipeline_runs.id'], name=op.f('fk_run_records_run_id_pipeline_runs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_run_records')),
    sa.UniqueConstraint('run_id', 'source', name=op.f('uq_run_records_run_id'))
    )
    with op.batch_alter_table('run_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_records_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_run_records_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_run_records_run_id'), ['run_id'], unique=False)
    with op.batch_alter_table('pipeline_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pipeline_runs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('pid')
        batch_op.drop_column('host')
    with op.batch_alter_table('run_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_run_records_run_id'))
        batch_op.drop_index(batch_op.f('ix_run_records_external_id'))
        batch_op.drop_index(batch_op.f('ix_run_records_document_id'))
    op.drop_table('run_records')
