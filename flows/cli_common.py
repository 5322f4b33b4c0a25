"""Small helpers shared by the CLI modules: consoles, exit codes, option defaults."""

from __future__ import annotations

import json
import sys
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


MODELS_DIR_HELP = "Folder of trained artifacts (default: $TANDEM_MODELS_DIR or ./models)."
DB_HELP = "SQLAlchemy URL of the results database (default: $TANDEM_DB_URL or sqlite:///tandem.db)."
