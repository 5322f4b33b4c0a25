"""Secrets never written anywhere: API keys, tokens and passwords come from the environment, and any text Tandem
stores, logs or shows can be passed through :func:`redact_secrets` first.

A secret is the value of an environment variable whose name ends in ``_API_KEY``, ``_TOKEN``, ``_PASSWORD`` or
``_SECRET`` (``OPENAI_API_KEY``, ``TANDEM_DB_PASSWORD``, …), of at least :data:`MIN_SECRET_CHARS` characters
(shorter values would mask ordinary words). :class:`StageFailure` messages and raw answers are redacted when
they are made (an LLM server's error may quote the key it refused); :func:`install_log_redaction` redacts every
log record of the process it runs in, when it is made (whatever logger or handler takes it, Prefect's API handler
included, even one configured later). Tandem installs it wherever its code runs: the ``tandem`` command's
callback (every command), the pipeline flow (also when a ``tandem serve`` deployment runs it in a process of its
own) and each Dask worker (:class:`tandem.flows.dask_worker.RedactLogsPlugin`, and the batch tasks themselves).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

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


def _redacting_factory(previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _FILTER.filter(record)
        return record

    make_record.tandem_redacting = True  # type: ignore[attr-defined]
    return make_record


def log_redaction_installed() -> bool:
    """Whether this process's log records are redacted when they are made."""
    return bool(getattr(logging.getLogRecordFactory(), "tandem_redacting", False))


def install_log_redaction() -> None:
    """Redact every log record of this process: the record factory takes the secrets out of each record as it is
    made (loggers and handlers configured later included), and the filter is added to every handler configured
    so far (root, Prefect's, …). Idempotent and cheap: call it wherever Tandem code starts."""
    if not log_redaction_installed():
        logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
    loggers = [logging.getLogger()] + [logger for logger in logging.Logger.manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)

