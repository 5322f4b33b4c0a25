"""A tiny Typer app holding one CLI module's train/eval commands, for CliRunner tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import typer

Commands = Mapping[str, Callable[..., None]]


def make_app(train: Commands | None = None, evaluate: Commands | None = None) -> typer.Typer:
    """``train NAME`` and ``eval NAME`` sub-commands, registered as :mod:`tandem.cli.main` does."""
    app = typer.Typer()
    train_app = typer.Typer()
    eval_app = typer.Typer()
    for name, command in (train or {}).items():
        train_app.command(name)(command)
    for name, command in (evaluate or {}).items():
        eval_app.command(name)(command)
    app.add_typer(train_app, name="train")
    app.add_typer(eval_app, name="eval")
    return app


def flat(text: str) -> str:
    """Rich wraps long lines at the console width: compare without line breaks."""
    return " ".join(text.split())
