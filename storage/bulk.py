"""Bulk helpers the storage modules share: ``IN (...)`` chunks, multi-row inserts, text no database refuses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tandem.stages.batching import batched

#: ids or keys per ``IN (...)`` query (well under SQLite's and PostgreSQL's parameter limits)
IN_CHUNK = 500
T = TypeVar("T")


def in_chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """``values`` in lists of :data:`IN_CHUNK`, one ``IN (...)`` query each."""
    return batched(values, IN_CHUNK)


def insert_many(session: Session, model: type[Any], rows: list[dict[str, Any]],
                 skip_conflicts_on: str | Sequence[str] | None = None) -> None:
    """A Core ``executemany`` INSERT into ``model``'s table (rows keyed by column name). ``skip_conflicts_on``:
    a unique column (or the columns of a unique constraint); a row whose value is already stored (by a concurrent
    run) is skipped, not an error."""
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    if skip_conflicts_on and dialect in ("sqlite", "postgresql"):
        dialect_insert = sqlite_insert if dialect == "sqlite" else pg_insert
        columns = [skip_conflicts_on] if isinstance(skip_conflicts_on, str) else list(skip_conflicts_on)
        session.execute(dialect_insert(table).on_conflict_do_nothing(index_elements=columns), rows)
        return
    session.execute(insert(table), rows)


def without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def storable(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PostgreSQL refuses NUL characters in text and JSONB: there they are stored as U+FFFD (SQLite keeps them)."""
    if session.get_bind().dialect.name != "postgresql":
        return rows
    return [without_nul(row) if "\\x00" in repr(row) else row for row in rows]


def pairs(session: Session, key_column: Any, value_column: Any, keys: Iterable[Any]) -> dict[Any, Any]:
    """``key → value`` of the rows whose unique ``key_column`` is among ``keys`` (in chunks)."""
    found: dict[Any, Any] = {}
    for chunk in in_chunks(keys):
        query = select(key_column, value_column).where(key_column.in_(chunk))
        found.update({key: value for key, value in session.execute(query).tuples()})
    return found
