"""Reading the data files that training and evaluation take (CoNLL, CSV/TSV), with readable errors."""

from __future__ import annotations

from pathlib import Path


def read_text_file(path: str | Path, what: str, *, encoding: str = "utf-8") -> str:
    """The text of ``path``; a ValueError naming the file when it is missing, unreadable or not UTF-8.

    ``what`` names the file in the "not found" message (``"CoNLL file"``, ``"data file"``);
    ``encoding`` is ``utf-8`` or ``utf-8-sig`` (a leading byte-order mark dropped).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} not found: {path}")
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text: {exc}") from exc
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
