"""SQL storage for documents, pipeline runs and stage results (SQLAlchemy 2.0 + Alembic)."""
