"""Hostile text through the strategies themselves: see :mod:`tests.stages.hostile`."""

from __future__ import annotations

from tests.stages.hostile import PIECES, SURROGATES, WHITESPACE, storable


def test_strategies_reach_the_hostile_characters() -> None:
    """The pieces the strategies draw from hold what the module docstring promises."""
    joined = "".join(PIECES)
    for char in ("\x00", "\u200f", "\u0301", "\u200d", "\u2028", "\u2029", "\ud800", "\U0001f466"):
        assert char in joined
    assert all(not storable(p) for p in SURROGATES) and all(c.isspace() for c in WHITESPACE)
