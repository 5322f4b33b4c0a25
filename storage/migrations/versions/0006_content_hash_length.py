"""documents.content_hash: 80 characters (a failed read's ``raw:`` key has 68)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:10:00

An input that cannot be read is keyed ``raw:`` + the sha256 of its bytes: 68 characters, which PostgreSQL refused
in a VARCHAR(64) (the whole batch's registration failed). SQLite does not enforce VARCHAR lengths, so only
PostgreSQL is altered (rebuilding ``documents`` on SQLite would cascade-delete every result with it).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('documents', 'content_hash', type_=sa.String(length=80), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('documents', 'content_hash', type_=sa.String(length=64), existing_nullable=False)
