"""The ``tandem`` command (Typer + Rich; ``python -m tandem.cli`` works too).

One module per command group, all registered on :data:`app` in :mod:`tandem.cli.main`; shared consoles,
options and output helpers live in :mod:`tandem.cli.common`. The CLI sits on top of the package: nothing in
``tandem.flows``, ``tandem.stages``, ``tandem.specialists`` or ``tandem.storage`` imports it.
"""

from __future__ import annotations

from tandem.cli.main import app

__all__ = ["app"]
