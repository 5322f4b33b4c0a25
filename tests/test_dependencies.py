"""Every third-party package the code imports is declared in pyproject.toml, and every declared one is used:
deptry, as ``make lint`` runs it (its settings are pyproject.toml's ``[tool.deptry]``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("deptry", reason="deptry is not installed (pip install -e '.[dev]')")

REPO = Path(__file__).resolve().parents[1]


def _deptry(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "deptry", ".", "--no-ansi", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_every_import_is_declared_and_every_declaration_used() -> None:
    out = _deptry()
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("package, module", [("tenacity", "tenacity"), ("pillow", "PIL")])
def test_an_undeclared_import_fails(tmp_path: Path, package: str, module: str) -> None:
    """The same project with one dependency taken out of pyproject.toml: deptry names the import it left bare
    (tenacity and Pillow are both still installed, pulled in by other packages: the case deptry is here for)."""
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    without, removed = re.subn(rf'^\s*"{package}[<>=!~ ][^"]*",[^\n]*\n', "", pyproject, flags=re.M | re.I)
    assert removed == 1, f"{package} is not declared on a line of its own"
    config = tmp_path / "pyproject.toml"
    config.write_text(without, encoding="utf-8")
    out = _deptry("--config", str(config))
    report = out.stdout + out.stderr  # deptry reports on stderr
    assert out.returncode != 0, report
    assert re.search(rf"DEP00[13] '{module}' imported but", report), report
