"""Small helpers shared by the CLI modules: consoles, exit codes, option defaults."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_PARTIAL = 3

#: human output (tables, progress) goes to stderr when --json owns stdout
out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print a clear error to stderr and exit (2 = usage or configuration error)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def print_json(payload: Any) -> None:
    """One JSON object on stdout, nothing else."""
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    sys.stdout.flush()


def per_label_table(per_label: dict[str, dict[str, Any]]) -> Any:
    """A Rich table of per-label precision, recall, F1 and support, labels sorted."""
    from rich.table import Table

    table = Table("label", "precision", "recall", "F1", "support")
    for label, row in sorted(per_label.items()):
        table.add_row(label, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      str(row["support"]))
    return table


def print_card_or_folder(card: Any, models_dir: Path | None, as_json: bool) -> Path | None:
    """After training: with ``as_json`` print the model card (plus its folder) and return None;
    otherwise return the artifact folder for the human report."""
    from specialists.artifacts import artifact_dir

    folder = artifact_dir(card.name, models_dir)
    if as_json:
        print_json({"artifact": str(folder), **card.model_dump(mode="json")})
        return None
    return folder


MODELS_DIR_HELP = "Folder of trained artifacts (default: $TANDEM_MODELS_DIR or ./models)."
DB_HELP = "SQLAlchemy URL of the results database (default: $TANDEM_DB_URL or sqlite:///tandem.db)."
