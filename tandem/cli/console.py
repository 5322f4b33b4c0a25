"""The CLI's two Rich consoles, :data:`out` (stdout) and :data:`err` (stderr), readable in a pipe and a CI log.

Rich lays tables out for 80 columns when its stream is not a terminal (a pipe, a file, a CI log), so a narrow
cell loses its end (``crashed`` shown as ``cras…``) and a long one wraps a word per line. Here a console whose
stream is not a terminal is :data:`PIPE_WIDTH` columns wide instead: a table takes the width its values need and
each row stays on one line, whole. On a terminal, or with ``COLUMNS`` set, Rich sizes the console as usual.
Colours still follow Rich's own rules (``FORCE_COLOR`` and the like); only the width depends on the stream.
"""

from __future__ import annotations

import os

from rich.console import Console, ConsoleDimensions

#: the width of a console writing to a pipe or a file: wider than any row Tandem prints, so nothing is cut or
#: wrapped (tables and lines take only the width they need; nothing is padded to it)
PIPE_WIDTH = 10_000


class PipeAwareConsole(Console):
    """A Rich console as wide as :data:`PIPE_WIDTH` when its stream is not a terminal, ``COLUMNS`` is not set
    and no width was given; otherwise sized by Rich. Decided at each use, so a redirected stream (or a test
    runner's) counts as what it is when written to."""

    @property
    def writes_to_terminal(self) -> bool:
        """Whether the stream is a terminal (``isatty``; unlike :attr:`is_terminal`, ``FORCE_COLOR`` does not
        make a pipe count as one)."""
        isatty = getattr(self.file, "isatty", None)
        try:
            return bool(isatty is not None and isatty())
        except ValueError:  # a closed stream
            return False

    @property
    def size(self) -> ConsoleDimensions:
        dimensions = super().size
        if self._width is not None or "COLUMNS" in os.environ or self.writes_to_terminal:
            return dimensions
        return ConsoleDimensions(PIPE_WIDTH, dimensions.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


#: human output (tables, progress) goes to stderr when --json owns stdout
out = PipeAwareConsole()
err = PipeAwareConsole(stderr=True)
