"""A stage from a separately installed package runs in ``tandem run`` and is stored like a built-in.

The test writes a tiny plugin distribution (``tandem-wordcount``) to a temporary folder, installs it
with pip into a temporary site folder (so the test environment itself is left unchanged), and runs
``tandem run`` in a subprocess that sees that folder on its path: the stage is found through the
``tandem.stages`` entry-point group exactly as the built-in ones are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import LabelRow, StageResultRow

PLUGIN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "tandem-wordcount"
version = "0.1.0"

[project.entry-points."tandem.stages"]
"length.words.v1" = "tandem_wordcount:WordCountStage"

[tool.setuptools]
packages = ["tandem_wordcount"]
"""

def _extending_example() -> str:
    """The stage of docs/extending.md, exactly as the docs show it: the plugin this test installs."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "extending.md").read_text(encoding="utf-8")
    return text.split("```python\n# my_package/wordcount.py\n", 1)[1].split("```", 1)[0]


PLUGIN_MODULE = _extending_example()


def install_plugin(root: Path, pyproject: str, module: str) -> Path:
    """``tandem_wordcount`` (with ``module`` as its code) installed by pip into ``root/site``."""
    package = root / "tandem-wordcount"
    (package / "tandem_wordcount").mkdir(parents=True)
    (package / "pyproject.toml").write_text(pyproject)
    (package / "tandem_wordcount" / "__init__.py").write_text(module)
    site = root / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(site), str(package)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(site.glob("tandem_wordcount-0.1.0.dist-info"))
    return site


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_plugin(tmp_path_factory.mktemp("plugin"), PLUGIN_PYPROJECT, PLUGIN_MODULE)


def test_a_plugin_written_against_the_old_names_gets_a_clear_error(tmp_path: Path) -> None:
    old = PLUGIN_MODULE.replace("from tandem.stages.", "from stages.")
    assert "from stages.base import" in old
    site = install_plugin(tmp_path / "old", PLUGIN_PYPROJECT, old)
    docs = tmp_path / "a.txt"
    docs.write_text("Short note.")
    spec = tmp_path / "plugin.yaml"
    spec.write_text("stages:\n  - stage: length.words\n")
    done = _tandem(["run", str(docs), "--pipeline", str(spec), "--db", f"sqlite:///{tmp_path / 'p.db'}"], site,
                   tmp_path)
    message = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, message[-2000:]
    assert "imports 'stages', a name Tandem no longer installs" in message
    assert "from tandem.stages.base import Stage" in message


def _env(site: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p)
    env["COLUMNS"] = "200"  # Rich wraps at the terminal width
    return env


def _tandem(args: list[str], site: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed ``tandem`` console script (``python -m tandem.cli`` where there is none)."""
    script = Path(sys.executable).with_name("tandem")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "tandem.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=_env(site), cwd=cwd, timeout=600)


def test_installed_plugin_is_listed_with_its_options(plugin_site: Path, tmp_path: Path) -> None:
    done = _tandem(["pipelines", "--stage", "length.words"], plugin_site, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "threshold" in done.stdout and "texts with more words than this are long" in done.stdout
    assert "1000 documents per task" in done.stdout  # its declared preferred batch


def test_plugin_stage_runs_in_tandem_run_and_is_stored_like_a_builtin(plugin_site: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Angela Merkel visited Microsoft in Seattle on Monday.")
    (docs / "b.txt").write_text("Short note.")
    spec = tmp_path / "plugin.yaml"
    spec.write_text(textwrap.dedent("""\
        name: with-plugin
        stages:
          - stage: length.words
            options: {threshold: 4}
          - stage: ner.spacy
            input: text
        """))
    url = f"sqlite:///{tmp_path / 'p.db'}"
    done = _tandem(["run", str(docs), "--pipeline", str(spec), "--db", url, "--format", "none"], plugin_site, tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]

    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        rows = session.scalars(select(StageResultRow).where(StageResultRow.stage == "length.words")).all()
        assert len(rows) == 2 and {row.status for row in rows} == {"ok"}
        assert {row.model_id for row in rows} == {"wordcount==0.1.0"}
        labels = sorted(label.label for label in session.scalars(select(LabelRow)).all())
        assert labels == ["long", "short"]

    shown = _tandem(["results", "--db", url, "--format", "json"], plugin_site, tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "length.words" in shown.stdout and json.loads(shown.stdout)

    bad = _tandem(["run", str(docs), "--pipeline", str(spec), "--db", url, "--format", "none"], plugin_site, tmp_path)
    assert bad.returncode == 0  # a rerun finds everything stored
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("stages:\n  - stage: length.words\n    options: {treshold: 4}\n")
    failed = _tandem(["run", str(docs), "--pipeline", str(wrong), "--db", url], plugin_site, tmp_path)
    assert failed.returncode == 2
    message = " ".join((failed.stdout + failed.stderr).split())
    assert "'length.words': 'treshold'; valid options: threshold (int, default 5)" in message
