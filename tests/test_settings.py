"""Every ``TANDEM_*`` setting is declared once (``tandem/settings.py``), read from there, and listed in the
README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tandem.settings import TandemSettings, settings
from tandem.specialists.artifacts import models_dir
from tandem.storage.db import resolve_db_url

REPO = Path(__file__).resolve().parents[1]
SOURCES = [REPO / folder for folder in ("flows", "stages", "specialists", "storage", "tandem/cli")]
#: reading a TANDEM_ variable anywhere but tandem/settings.py
DIRECT_READ = re.compile(r"""(?:environ(?:\.get)?\s*[\[(]|getenv\s*\()\s*["']TANDEM_""")


def test_the_readme_lists_every_setting_and_nothing_else() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(TANDEM_[A-Z_]+)` \|", readme, re.MULTILINE))
    assert listed == {f"TANDEM_{name.upper()}" for name in TandemSettings.model_fields}


def test_no_module_reads_a_tandem_variable_itself() -> None:
    direct = [f"{path.relative_to(REPO)}:{number}" for folder in SOURCES for path in folder.rglob("*.py")
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if DIRECT_READ.search(line)]
    assert not direct, direct


def test_settings_are_read_when_asked_not_at_import(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TANDEM_MODELS_DIR", str(tmp_path / "m"))
    monkeypatch.setenv("TANDEM_DB_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert models_dir() == tmp_path / "m" and models_dir("elsewhere") == Path("elsewhere")
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("TANDEM_LLM_TIMEOUT", "-1")
    with pytest.raises(ValueError, match="TANDEM_LLM_TIMEOUT: Input should be greater than 0"):
        settings()
    monkeypatch.delenv("TANDEM_LLM_TIMEOUT")
    monkeypatch.setenv("TANDEM_DB_PASSWORD", "s3cret-pw")
    assert "s3cret" not in repr(settings())  # a secret is never printed
