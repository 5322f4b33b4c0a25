"""Read inputs into documents: text and tables (:mod:`~tandem.flows.ingest.text`), PDF, Word, HTML and images
(:mod:`~tandem.flows.ingest.documents`), each yielding :class:`~tandem.flows.ingest.items.IngestItem` (a
document record, or a failure with its reason: a bad input never raises)."""

from tandem.flows.ingest.documents import read_document
from tandem.flows.ingest.items import (
    DEFAULT_MAX_DOC_MB,
    DOCUMENT_SUFFIXES,
    INGEST_STAGE,
    SUPPORTED_SUFFIXES,
    TABLE_SUFFIXES,
    IngestItem,
    InputError,
    ingest_result_key,
)
from tandem.flows.ingest.text import expand_paths, iter_inputs, read_file, read_inputs

__all__ = ["DEFAULT_MAX_DOC_MB", "DOCUMENT_SUFFIXES", "INGEST_STAGE", "SUPPORTED_SUFFIXES", "TABLE_SUFFIXES",
           "IngestItem", "InputError", "expand_paths", "ingest_result_key", "iter_inputs", "read_document",
           "read_file", "read_inputs"]
