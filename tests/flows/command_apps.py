"""A tiny Typer app holding one CLI module's train/eval commands, for CliRunner tests."""

from __future__ import annotations

from collections.abc import Callable

import typer


def make_app(register: Callable[[typer.Typer, typer.Typer], None]) -> typer.Typer:
    app = typer.Typer()
    train_app = typer.Typer()
    eval_app = typer.Typer()
    register(train_app, eval_app)
    app.add_typer(train_app, name="train")
    app.add_typer(eval_app, name="eval")
    return app


def flat(text: str) -> str:
    """Rich wraps long lines at the console width: compare without line breaks."""
    return " ".join(text.split())
