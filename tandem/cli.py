"""The ``tandem`` command (``python -m tandem.cli`` works too): the Typer app of :mod:`tandem.flows.cli`."""

from __future__ import annotations

from tandem.flows.cli import app

__all__ = ["app"]

if __name__ == "__main__":
    app()
