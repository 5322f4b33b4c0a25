"""Shared fixtures: offline environment, shared datasets, Prefect test harness, databases, a tiny classifier."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# CliRunner swaps stdout/stderr; Prefect's console log handler keeps the old stream, so keep it quiet
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
# a developer's running 'tandem server' must not leak into the tests (flows/server.py looks here)
# (made once per run and removed when it ends; an outer TANDEM_HOME is left as it is)
if "TANDEM_HOME" not in os.environ:
    os.environ["TANDEM_HOME"] = tempfile.mkdtemp(prefix="tandem-test-home-")
    atexit.register(shutil.rmtree, os.environ["TANDEM_HOME"], True)

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Set Prefect's logging up once, on the real stderr: if it first happened inside a CliRunner
    invocation, its console handler would keep CliRunner's temporary stream and write to it closed."""
    from prefect.logging.configuration import setup_logging

    setup_logging()


def shared_datasets_dir() -> Path:
    return Path(os.environ.get("TANDEM_DATASETS", REPO_ROOT.parent / "shared" / "datasets"))


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """``../shared/datasets``; the test is skipped with a reason when it is absent."""
    path = shared_datasets_dir()
    if not path.is_dir():
        pytest.skip(f"shared datasets not found at {path}")
    return path


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One ephemeral Prefect API for the whole session (starting one costs ~18 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def _pg_url() -> str | None:
    return os.environ.get("TANDEM_TEST_PG_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL: SQLite always, PostgreSQL when TANDEM_TEST_PG_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    base = _pg_url()
    if not base:
        pytest.skip("PostgreSQL not configured (set TANDEM_TEST_PG_URL)")
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tandem_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from tandem.storage.db import engine_for

        engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding ``tiny``, a TF-IDF spam/ham classifier (no MiniLM: seconds to train)."""
    from tandem.specialists.training.classify import train_classifier
    from tests.specialists.test_classifier import tiny_rows, write_rows

    root = tmp_path_factory.mktemp("tiny_models")
    train_classifier(write_rows(root / "train.tsv", tiny_rows()), "tiny", models_dir=root / "models",
                     features="tfidf")
    return root / "models"
