"""``python -m tandem.cli``: the ``tandem`` command."""

from __future__ import annotations

from tandem.cli.main import main

if __name__ == "__main__":  # pragma: no cover
    main()
