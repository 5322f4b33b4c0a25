"""One import name: the wheel installs ``tandem`` and nothing else, and no file of the repository still uses
the names Tandem installed before (``flows``, ``stages``, ``specialists``, ``storage`` at the top level)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tandem import FORMER_TOP_LEVEL

REPO = Path(__file__).resolve().parents[1]
OLD_IMPORT = re.compile(rf"^\s*(?:from|import)\s+(?:{'|'.join(FORMER_TOP_LEVEL)})(?:\.|\s|$)", re.MULTILINE)


def _submodules(package: str) -> list[str]:
    folder = REPO / package
    return sorted({p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
                  | {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()})


#: "python -m flows.pipeline", "stages.llm.cleanup:CleanupStage", patch("flows.pipeline.x") and the like
OLD_DOTTED = re.compile("|".join(rf"(?<![\w./-]){package}\.(?:{'|'.join(_submodules(package))})\b"
                                 for package in FORMER_TOP_LEVEL))
#: where an old name is quoted on purpose: the error that tells a plugin author the new one
QUOTED_ON_PURPOSE = ("a name Tandem no longer installs", "'from stages.base import Stage'",
                     '"from stages.base import" in old', 'replace("from tandem.stages.", "from stages.")')


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    keep = {".py", ".md", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".mako", ""}
    return [REPO / name for name in listed.splitlines()
            if Path(name).suffix in keep and not (REPO / name).is_symlink() and (REPO / name).is_file()]


def test_no_file_imports_the_former_top_level_names() -> None:
    offending = []
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.name == "test_plugin_stage.py":  # it writes a plugin with the old names on purpose
            continue
        for match in OLD_IMPORT.finditer(text):
            offending.append(f"{path.relative_to(REPO)}: {match.group().strip()}")
    assert not offending, offending


def test_module_paths_in_strings_use_tandem() -> None:
    offending = []
    for path in tracked_text_files():
        if path.suffix not in (".py", ".toml", ".yaml", ".yml", "") or path.name == "test_packaging.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OLD_DOTTED.search(line) and not any(quoted in line for quoted in QUOTED_ON_PURPOSE):
                offending.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offending, offending


#: an import of the CLI: ``from tandem.cli...``, ``import tandem.cli``, ``from tandem import cli``
CLI_IMPORT = re.compile(r"^\s*(?:from\s+tandem\.cli\b|import\s+tandem\.cli\b|from\s+tandem\s+import\s+.*\bcli\b)",
                        re.MULTILINE)


def test_the_cli_sits_on_top_and_its_old_modules_are_named_nowhere() -> None:
    """``tandem/cli/`` uses the other packages, never the reverse; ``flows/cli*.py`` are gone for good."""
    below = [path for path in tracked_text_files() if path.suffix == ".py"
             and path.relative_to(REPO).parts[0] in FORMER_TOP_LEVEL]
    assert below
    importing = [str(path.relative_to(REPO)) for path in below
                 if CLI_IMPORT.search(path.read_text(encoding="utf-8", errors="replace"))]
    assert not importing, importing
    stale = [f"{path.relative_to(REPO)}:{number}" for path in tracked_text_files() if path.name != "test_packaging.py"
             for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
             if re.search(r"flows[./]cli", line)]
    assert not stale, stale
    assert not list((REPO / "flows").glob("cli*.py"))


@pytest.mark.slow
def test_the_wheel_installs_one_package_tandem_and_runs(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "-w", str(tmp_path / "wheel"), str(REPO)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = (tmp_path / "wheel").glob("tandem-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"tandem", wheel.name.split("-py3")[0] + ".dist-info"}
    for expected in ("tandem/cli/__init__.py", "tandem/cli/__main__.py", "tandem/cli/main.py", "tandem/flows/pipeline.py", "tandem/stages/base.py",
                     "tandem/specialists/data/legal_scorer.json", "tandem/storage/migrations/env.py",
                     "tandem/storage/migrations/versions/0001_initial_schema.py"):
        assert expected in names
    assert not [name for name in names if os.path.basename(name) in ("__pycache__",) or name.endswith(".pyc")]
    entry_points = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-py3')[0]}.dist-info/entry_points.txt").decode()
    assert "tandem = tandem.cli:app" in entry_points
    values = [line.split(" = ", 1)[1] for line in entry_points.splitlines() if " = " in line]
    assert values and all(value.startswith("tandem.") for value in values), values
    # installed (not editable) into a folder of its own: the old names are gone, tandem runs from there
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, timeout=600)
    assert sorted(p.name for p in site.iterdir() if not p.name.endswith(".dist-info")) in (["bin", "tandem"],
                                                                                           ["tandem"])
    env = {**os.environ, "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1", "PREFECT_HOME": str(tmp_path / "ph")}
    env.pop("PREFECT_API_URL", None)
    for old in FORMER_TOP_LEVEL:
        done = subprocess.run([sys.executable, "-c", f"import {old}"], cwd=tmp_path, env=env, capture_output=True,
                              text=True)
        assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr, (old, done.stderr)
    where = subprocess.run([sys.executable, "-c", "import tandem.flows.pipeline as p; print(p.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(site))
    # the default pipeline (cleanup → summarize → ner.spacy), every stage's code from the wheel; the test LLM
    run = subprocess.run([sys.executable, "-m", "tandem.cli", "run", str(REPO / "examples" / "docs"), "--llm",
                          "fake:A short summary.", "--db", f"sqlite:///{tmp_path / 'r.db'}", "--format", "none"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "7 succeeded, 0 failed" in run.stderr
