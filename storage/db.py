"""Engine and session factories. Nothing is created at import: callers pass a URL.

``resolve_db_url`` applies the precedence ``--db`` > ``TANDEM_DB_URL`` > ``sqlite:///tandem.db``.
``create_db_engine`` builds an engine and brings the schema to the latest Alembic revision;
``open_db_readonly`` (the read commands: ``tandem results``, ``tandem runs``) opens an existing database for
reading only: it creates no file, no table, and runs no migration (a schema older than the code is an error).

Passwords never travel with a URL that is shown, logged or passed as a Prefect parameter:
:func:`hide_password` moves a URL's password into this process's environment (``TANDEM_DB_PASSWORD``,
inherited by the processes it starts) and returns the URL with ``***`` in its place; connecting to such a
URL (:func:`create_db_engine`) puts the password back. :func:`redact` strips it from any message.

Concurrent writers: SQLite transactions start with ``BEGIN IMMEDIATE`` (a writer waits for the other,
up to ``busy_timeout``, instead of failing with "database is locked" when its read snapshot is stale);
migrations on PostgreSQL hold an advisory lock, so two processes creating the schema at once take turns.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from tandem.settings import DEFAULT_DB_URL, settings

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: where a hidden database password is kept (this process and the processes it starts)
PASSWORD_ENV = "TANDEM_DB_PASSWORD"
HIDDEN = "***"
#: any constant: the PostgreSQL advisory lock migrations take
_MIGRATION_LOCK = 727_001


class DatabaseConfigError(ValueError):
    """A database URL that cannot be used (a hidden password with nothing to fill it in)."""


class DatabaseNotReadableError(DatabaseConfigError):
    """A database a read command cannot read as it is: missing, not Tandem's, or a schema older than the code."""


def resolve_db_url(url: str | None = None) -> str:
    return url or settings().db_url or DEFAULT_DB_URL


def hide_password(url: str) -> str:
    """``url`` with its password replaced by ``***``; the password goes to ``$TANDEM_DB_PASSWORD`` so that
    :func:`create_db_engine` (here or in a child process) can connect. A URL without one is returned as is."""
    parsed = make_url(url)
    if parsed.password is None or parsed.password == HIDDEN:
        return url
    os.environ[PASSWORD_ENV] = str(parsed.password)
    return parsed.render_as_string(hide_password=True)


def connect_url(url: str) -> URL:
    """The URL to connect with: a hidden password (``***``) is filled in from ``$TANDEM_DB_PASSWORD``."""
    parsed = make_url(url)
    if parsed.password == HIDDEN:
        secret = settings().db_password
        password = secret.get_secret_value() if secret is not None else ""
        if not password:
            raise DatabaseConfigError(f"the password of {parsed.render_as_string(hide_password=True)} is hidden "
                                      f"(***); set {PASSWORD_ENV} in the environment of the process that connects")
        parsed = parsed.set(password=password)
    return parsed


def redact(message: str, url: str | None = None) -> str:
    """``message`` without the password of ``url`` nor the one in ``$TANDEM_DB_PASSWORD`` (however short), nor
    any other secret of the environment (:func:`tandem.stages.secrets.redact_secrets`)."""
    from tandem.stages.secrets import redact_secrets

    secret = settings().db_password
    passwords = [secret.get_secret_value() if secret is not None else ""]
    if url:
        try:
            passwords.append(str(make_url(url).password or ""))
        except Exception:  # noqa: BLE001 - an unparseable URL has nothing to hide from its parse
            pass
    return redact_secrets(message, also=passwords)


def describe_db(url: str) -> str:
    """A human-facing location: the absolute file for SQLite, the URL without password otherwise."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return str(Path(parsed.database).resolve())
    return parsed.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver's own BEGIN is off: _sqlite_begin emits it
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=True))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (idempotent)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # two processes creating the schema at once take turns
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def create_db_engine(url: str | None = None, *, migrate_schema: bool = True) -> Engine:
    parsed = connect_url(resolve_db_url(url))
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).resolve().parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    if migrate_schema:
        migrate(engine)
    return engine


def open_db_readonly(url: str | None = None) -> Engine:
    """An engine that only reads an existing results database: nothing is created (no SQLite file, no table),
    nothing is migrated. SQLite opens the file with ``mode=ro``; PostgreSQL sessions are read-only
    (``default_transaction_read_only``). :class:`DatabaseNotReadableError` when the file does not exist, holds
    no Tandem schema, or a schema of another revision than this code's (only commands that write upgrade it)."""
    parsed = connect_url(resolve_db_url(url))
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseNotReadableError("an in-memory SQLite database holds no results to read")
        path = Path(parsed.database).resolve()
        if not path.is_file():
            raise DatabaseNotReadableError("the file does not exist (nothing was stored there yet; read commands "
                                           "create nothing)")
        uri = f"{path.as_uri()}?mode=ro"
        engine = create_engine(parsed, future=True, creator=lambda: sqlite3.connect(
            uri, uri=True, timeout=30, check_same_thread=False))
        event.listen(engine, "connect", _sqlite_readonly_pragmas)
        event.listen(engine, "begin", _sqlite_begin_deferred)
    else:
        connect_args = {"options": "-c default_transaction_read_only=on"} if parsed.get_backend_name() == \
            "postgresql" else {}
        engine = create_engine(parsed, future=True, pool_pre_ping=True, connect_args=connect_args)
    try:
        _check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _sqlite_readonly_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # _sqlite_begin_deferred emits BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_deferred(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _check_schema(engine: Engine) -> None:
    """The database's Alembic revision must be this code's head (read commands never migrate)."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return
    if current is None:
        raise DatabaseNotReadableError("it holds no Tandem results (no schema yet; 'tandem run' creates it)")
    known = {revision.revision for revision in script.walk_revisions()}
    if current in known:
        raise DatabaseNotReadableError(
            f"its schema (revision {current}) is older than this Tandem's ({head}); read commands do not migrate: "
            "a command that writes ('tandem run', 'tandem runs --repair') upgrades it")
    raise DatabaseNotReadableError(f"its schema (revision {current}) is newer than this Tandem's ({head}): "
                                   "upgrade Tandem")


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One migrated engine per URL and process, built on first use (used inside Prefect tasks)."""
    return create_db_engine(url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed only if the block finishes; rolled back otherwise."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
