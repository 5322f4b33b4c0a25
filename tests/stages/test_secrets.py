"""tandem.stages.secrets: which environment values are secrets, how text and log records are redacted."""

from __future__ import annotations

import logging

import pytest

from tandem.stages.secrets import MASK, RedactingFilter, redact_secrets, secret_values


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.upper().endswith(("_API_KEY", "_TOKEN", "_PASSWORD", "_SECRET")):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "HF_TOKEN", "TANDEM_DB_PASSWORD", "APP_SECRET", "my_api_key"])
def test_every_secret_suffix_is_masked(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "s3cr3t-value-42")
    assert secret_values() == ["s3cr3t-value-42"]
    assert redact_secrets("Bearer s3cr3t-value-42 refused; again: s3cr3t-value-42.") == "Bearer *** refused; again: ***."


def test_other_variables_and_short_values_are_not_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://llm.example/v1")  # not a secret name
    monkeypatch.setenv("SHORT_TOKEN", "abc")  # too short: it would mask ordinary words
    monkeypatch.setenv("KEY_PREFIX", "prefix-value-1")  # the suffix decides, not a part of the name
    assert secret_values() == []
    text = "abc http://llm.example/v1 prefix-value-1 abcdef"
    assert redact_secrets(text) == text


def test_the_longest_secret_is_masked_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A_TOKEN", "token-123")
    monkeypatch.setenv("B_TOKEN", "token-123-extended")
    assert redact_secrets("x token-123-extended y token-123") == f"x {MASK} y {MASK}"


def test_short_secrets_given_are_masked_only_where_they_stand_alone() -> None:
    text = "user u, password pw1: login pw1 failed for pw10 and apw1"
    assert redact_secrets(text, also=["pw1"]) == "user u, password ***: login *** failed for pw10 and apw1"
    assert redact_secrets("long-password-here in long-password-heres", also=["long-password-here"]) == \
        "*** in ***s"
    assert redact_secrets("nothing *** here", also=["", MASK]) == "nothing *** here"


def test_the_log_filter_masks_messages_and_drops_tracebacks_quoting_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-123456789")
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "refused %s", ("sk-test-123456789",), None)
    assert RedactingFilter().filter(record) and record.getMessage() == "refused ***"
    try:
        raise ValueError("bad key sk-test-123456789")
    except ValueError as exc:
        failing = logging.LogRecord("t", logging.ERROR, __file__, 1, "call failed", (), (ValueError, exc, None))
    assert RedactingFilter().filter(failing)
    assert failing.exc_info is None and failing.getMessage() == "call failed"
    clean = logging.LogRecord("t", logging.INFO, __file__, 1, "fine %s", ("x",), None)
    assert RedactingFilter().filter(clean) and (clean.msg, clean.args) == ("fine %s", ("x",))
