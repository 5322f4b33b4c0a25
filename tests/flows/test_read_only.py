"""Read commands (``tandem results``, ``tandem runs``, ``tandem results --comparison``) write nothing: a missing
SQLite file is an error (exit 2) and stays missing, an existing database is opened read-only and never migrated."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from tandem.cli import app
from tandem.storage.db import DatabaseNotReadableError, create_db_engine, migrate, open_db_readonly
from tests.cli.command_apps import flat

runner = CliRunner()
READ_COMMANDS = [["results"], ["runs"], ["results", "--comparison", "last"], ["runs", "--format", "json"]]


@pytest.mark.parametrize("command", READ_COMMANDS)
def test_a_read_command_creates_no_database(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "sub" / "missing.db"
    result = runner.invoke(app, [*command, "--db", f"sqlite:///{missing}"])
    assert result.exit_code == 2, result.output
    assert "cannot open the results database" in flat(result.stderr)
    assert "does not exist" in flat(result.stderr) and "read commands create nothing" in flat(result.stderr)
    assert not missing.exists() and not (tmp_path / "sub").exists()
    assert list(tmp_path.iterdir()) == []


def _revision(url: str) -> str | None:
    engine = create_db_engine(url, migrate_schema=False)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return revision


@pytest.mark.parametrize("command", READ_COMMANDS[:3])
def test_a_read_command_does_not_migrate_an_older_schema(tmp_path: Path, command: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_db_engine(url, migrate_schema=False)
    migrate(old, "0002")
    old.dispose()
    result = runner.invoke(app, [*command, "--db", url])
    assert result.exit_code == 2, result.output
    assert "older than this Tandem's" in flat(result.stderr) and "read commands do not migrate" in flat(result.stderr)
    assert _revision(url) == "0002"
    repaired = runner.invoke(app, ["runs", "--repair", "--db", url])  # a command that writes upgrades it
    assert repaired.exit_code == 0, repaired.output
    assert _revision(url) != "0002"


def test_an_existing_database_opens_read_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    create_db_engine(url).dispose()
    engine = open_db_readonly(url)
    with pytest.raises(OperationalError, match="readonly"), engine.begin() as connection:
        connection.execute(text("CREATE TABLE intruder (x INTEGER)"))
    engine.dispose()
    shown = runner.invoke(app, ["results", "--db", url])
    assert shown.exit_code == 2 and "no pipeline run in this database yet" in shown.stderr
    listed = runner.invoke(app, ["runs", "--db", url, "--format", "json"])
    assert listed.exit_code == 0 and '"runs": []' in listed.stdout


def test_a_database_without_tandem_schema_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(DatabaseNotReadableError, match="no Tandem results"):
        open_db_readonly(f"sqlite:///{empty}")
    assert empty.stat().st_size == 0
    with pytest.raises(DatabaseNotReadableError, match="in-memory"):
        open_db_readonly("sqlite://")
