"""The embedded LLM's thread count: the cores really free, unless TANDEM_LLM_THREADS says otherwise."""

from __future__ import annotations

import pytest


def test_embedded_llm_threads_follow_the_free_cores_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from tandem.stages.llm.embedded import default_threads

    monkeypatch.delenv("TANDEM_LLM_THREADS", raising=False)
    assert default_threads(cpu_count=2, load=0.1) == 2   # an idle machine: every core
    assert default_threads(cpu_count=2, load=1.2) == 1   # another job busy on one core: the other one
    assert default_threads(cpu_count=2, load=3.0) == 1   # never fewer than one
    assert default_threads(cpu_count=32, load=0.0) == 8  # at most 8
    monkeypatch.setenv("TANDEM_LLM_THREADS", "3")
    assert default_threads(cpu_count=2, load=2.0) == 3   # the setting wins
    monkeypatch.setenv("TANDEM_LLM_THREADS", "many")
    with pytest.raises(ValueError, match="TANDEM_LLM_THREADS"):
        default_threads()
