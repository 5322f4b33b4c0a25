"""Secrets never written anywhere: API keys, tokens and passwords come from the environment, and any text Tandem
stores, logs or shows can be passed through :func:`redact_secrets` first.

A secret is the value of an environment variable whose name ends in ``_API_KEY``, ``_TOKEN``, ``_PASSWORD`` or
``_SECRET`` (``OPENAI_API_KEY``, ``TANDEM_DB_PASSWORD``, …), of at least :data:`MIN_SECRET_CHARS` characters
(shorter values would mask ordinary words). :class:`StageFailure` messages and raw answers are redacted when
they are made (an LLM server's error may quote the key it refused); :func:`install_log_redaction` adds the same
filter to every log handler (Prefect's API handler included).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_PASSWORD", "_SECRET")
MIN_SECRET_CHARS = 6
MASK = "***"


def secret_values() -> list[str]:
    """The secrets of this process's environment, longest first."""
    values = {value for name, value in os.environ.items()
              if name.upper().endswith(SECRET_SUFFIXES) and len(value) >= MIN_SECRET_CHARS}
    return sorted(values, key=len, reverse=True)


def redact_secrets(text: str, also: Iterable[str] = ()) -> str:
    """``text`` with every secret of the environment, and those of ``also`` (e.g. the password of a URL at hand),
    replaced by ``***``. A secret of ``also`` shorter than :data:`MIN_SECRET_CHARS` is masked only where it
    stands alone (it would mask every word it occurs in)."""
    for secret in sorted(set(secret_values()) | (set(also) - {"", MASK}), key=len, reverse=True):
        if secret not in text:
            continue
        if len(secret) >= MIN_SECRET_CHARS:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """A log filter that takes the environment's secrets out of each record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_secrets(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[1] is not None and redact_secrets(str(record.exc_info[1])) != str(
                record.exc_info[1]):
            record.exc_info, record.exc_text = None, None  # a traceback quoting a secret is dropped, its line kept
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Add the redacting filter to every handler configured so far (root, Prefect's, …); idempotent."""
    loggers = [logging.getLogger()] + [logger for logger in logging.Logger.manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
