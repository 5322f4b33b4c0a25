"""What reading an input yields: :class:`IngestItem` (a document record, or a failure with its reason), the
keys of inputs that could not be read, and the limits and suffixes every reader shares."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tandem.stages.contracts import Document, FailureKind, StageFailure
from tandem.storage.repository import DocumentRecord

#: files read by :mod:`tandem.flows.ingest.documents` (binary: never decoded as UTF-8 text)
DOCUMENT_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
SUPPORTED_SUFFIXES = (".txt", ".md", ".jsonl", ".csv") + DOCUMENT_SUFFIXES
#: what ``suffixes`` may add: tab-separated tables with a ``text`` column
TABLE_SUFFIXES = (".tsv",)
DEFAULT_MAX_DOC_MB = 5.0
#: what no database stores in a text: a NUL (PostgreSQL) or a lone surrogate (not UTF-8, e.g. from ``"\\ud800"``)
UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff]")
INGEST_STAGE = "ingest"


class InputError(ValueError):
    """A path that cannot be used at all (missing, unsupported type)."""


@dataclass(frozen=True)
class IngestItem:
    record: DocumentRecord
    failure: StageFailure | None = None


def raw_key(data: bytes | Iterable[bytes]) -> str:
    """The content hash of an input that could not be read as a document: ``raw:`` + sha256 of ``data``
    (bytes, or chunks hashed in order, e.g. a large file read block by block)."""
    digest = hashlib.sha256()
    for chunk in (data,) if isinstance(data, bytes) else data:
        digest.update(chunk)
    return "raw:" + digest.hexdigest()


def ingest_result_key(content_hash: str) -> str:
    """The result key of a document's read failure (``ingest:`` + its content hash, cut to the key column)."""
    return f"ingest:{content_hash}"[:64]


def failed_item(content_hash: str, source: str, kind: FailureKind, message: str) -> IngestItem:
    """An input that could not be read: recorded as failed at ``ingest`` with its reason."""
    return IngestItem(DocumentRecord(content_hash=content_hash, source=source, text=None),
                      StageFailure(stage=INGEST_STAGE, kind=kind, message=message))


def document_item(text: str, source: str, content_hash: str, external_id: str | None = None,
                  metadata: dict[str, object] | None = None) -> IngestItem:
    """A document read; ``content_hash`` as the caller computes it (e.g. the sha256 of a PDF's bytes)."""
    return IngestItem(DocumentRecord(content_hash=content_hash, source=source, text=text,
                                     external_id=external_id, metadata=dict(metadata or {})))


def text_item(text: str, source: str, external_id: str | None = None, metadata: dict[str, object] | None = None
              ) -> IngestItem:
    """A text read (its content hash: the sha256 of its UTF-8 bytes)."""
    return document_item(text, source, Document.hash_bytes(text.encode("utf-8")), external_id, metadata)


def source_name(path: Path) -> str:
    """``path`` as a record's source: its name's bytes that are not UTF-8 as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


