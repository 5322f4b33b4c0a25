"""tandem.storage.db: a URL's password is hidden from what is shown and redacted from messages; no database needed."""

from __future__ import annotations

import os

import pytest

from tandem.storage.db import (
    PASSWORD_ENV,
    DatabaseConfigError,
    connect_url,
    describe_db,
    hide_password,
    redact,
)

URL = "postgresql+psycopg://tandem:sekritpw@db.example:5432/results"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().endswith(("_API_KEY", "_TOKEN", "_PASSWORD", "_SECRET")):
            monkeypatch.delenv(name)


def test_redact_takes_the_url_password_out() -> None:
    message = 'connection to "db.example" failed: password authentication failed (sekritpw) for ' + URL
    cleaned = redact(message, URL)
    assert "sekritpw" not in cleaned and cleaned.count("***") == 2


def test_redact_takes_the_hidden_password_and_environment_secrets_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "pw9")  # however short, standing alone
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-123456789")
    monkeypatch.setenv("HF_TOKEN", "hf_abcdefgh")
    monkeypatch.setenv("S3_SECRET", "s3-secret-value")
    message = "login pw9 refused (pw99 kept); keys sk-test-123456789 hf_abcdefgh s3-secret-value"
    assert redact(message) == "login *** refused (pw99 kept); keys *** *** ***"


def test_redact_survives_an_unparseable_url() -> None:
    assert redact("plain message", "not a url ::") == "plain message"


def test_hide_password_moves_it_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    public = hide_password(URL)
    assert public == "postgresql+psycopg://tandem:***@db.example:5432/results"
    assert os.environ[PASSWORD_ENV] == "sekritpw"
    assert connect_url(public).password == "sekritpw"  # put back only to connect
    assert "sekritpw" not in describe_db(URL) and hide_password(public) == public
    assert hide_password("sqlite:///x.db") == "sqlite:///x.db"
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(DatabaseConfigError, match=PASSWORD_ENV) as raised:
        connect_url(public)
    assert "sekritpw" not in str(raised.value)
