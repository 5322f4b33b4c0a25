"""Hostile input, property-based: whatever bytes a ``.txt``/``.md``/``.jsonl``/``.csv`` file holds, reading it
ends, quickly, in items that are either a document with a storable text or a failure with a reason.

Inputs: arbitrary bytes, NUL bytes, latin-1 mixed with UTF-8, UTF-16 with a byte-order mark, lone surrogates
(raw, or as JSON escapes like ``\\ud800``), BOMs, RTL marks, combining characters, U+2028, deeply nested JSON,
huge lines and fields (over the csv module's 131,072-character field limit), broken CSV quoting.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st

from tandem.flows.ingest import IngestItem, iter_inputs, read_file
from tandem.stages.contracts import FailureKind

#: one file is read in under this many seconds (a hang is cut off by an alarm at the same bound)
READ_LIMIT_S = 2.0
MAX_BYTES = (300, 5_000, 5_000_000)
EDGE_CHARS = ["\ufeff", "\u200f", "\u200e", "\u202e", "\u0301", "\u0308", "\u2028", "\u2029", "\x85", "\x00",
              "\x1c", "\r", "\n", "\t", " ", "é", "ß", "日本", "𝄞", "🙂", "\u05d0", "\ud800", "\udfff", "\x7f", "\"",
              ",", "\\", "{", "[", "a", "word "]
BAD_ESCAPES = ["\\ud800", "\\udfff", "\\udc80\\ud800", "\\u0000", "\\ud83d\\ude00", "\\u2028", "\\ufeff", "\\u200f",
               "\\x", "\\u12", "\\"]
SETTINGS = settings(max_examples=500, deadline=int(READ_LIMIT_S * 1000),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class ReadHung(BaseException):
    """Raised by the alarm in a read that took too long (a BaseException: no reader may swallow it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise ReadHung(f"reading one file took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """One folder for every example (hypothesis does not reset function-scoped fixtures such as tmp_path)."""
    with tempfile.TemporaryDirectory(prefix="tandem-hypothesis-") as name:
        yield Path(name)


def storable(value: Any) -> bool:
    """What the database write needs: valid UTF-8 (no lone surrogate), no NUL character, no NaN in JSON."""
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return False
        stack.extend(list(item) + list(item.values()) if isinstance(item, dict)
                     else item if isinstance(item, list) else [])
    return True


def read_checked(path: Path, max_bytes: int) -> list[IngestItem]:
    """All items of ``path``, each checked: a document with a storable text, or a failure with a reason."""
    started = time.perf_counter()
    with time_limit(READ_LIMIT_S):
        items = list(read_file(path, max_bytes))
    assert time.perf_counter() - started < READ_LIMIT_S
    assert items, "a file always ends as at least one item (a document or a failure)"
    for item in items:
        check_item(item)
    return items


def check_item(item: IngestItem) -> None:
    record = item.record
    if currently_in_test_context():  # counted in --hypothesis-show-statistics
        event(f"failed: {item.failure.kind}" if item.failure else "processed")
    assert isinstance(item, IngestItem) and isinstance(record.content_hash, str) and record.content_hash
    record.source.encode("utf-8")
    if item.failure is None:
        assert isinstance(record.text, str) and record.text.strip()
        assert storable(record.text) and storable(record.metadata)
        assert record.external_id is None or (storable(record.external_id) and len(record.external_id) <= 255)
    else:
        assert record.text is None
        assert item.failure.kind in get_args(FailureKind) and item.failure.stage == "ingest"
        assert item.failure.message.strip() and storable(item.failure.message)


# -- strategies --------------------------------------------------------------------------------------------------

edge_text = st.lists(st.sampled_from(EDGE_CHARS), max_size=40).map("".join)
words = st.lists(st.sampled_from(["Anna", "flew", "to", "Paris", "caf\u00e9", "e\u0301", "\u05e9\u05dc\u05d5\u05dd",
                                  "\u200f", "\u2028", "\ufeff", "\u65e5\u672c", "\U0001f642", "a,b", '"q"']),
                 min_size=1, max_size=8).map(" ".join)
#: text that is valid in a file (no control character, no lone surrogate), so that parsers get to run
clean_text = st.one_of(
    words,
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=200),
    st.lists(st.sampled_from([c for c in EDGE_CHARS if c not in "\x00\x1c\x7f\ud800\udfff"]), max_size=40)
    .map("".join))
any_text = st.one_of(clean_text, edge_text, st.text(max_size=100))


def encodings(text: str) -> st.SearchStrategy[bytes]:
    """``text`` mostly as UTF-8 (lone surrogates kept as their invalid 3-byte form), else with a BOM, as UTF-16."""
    utf8 = text.encode("utf-8", "surrogatepass")
    return st.sampled_from([utf8, utf8, utf8, utf8, utf8, b"\xef\xbb\xbf" + utf8, text.encode("utf-16", "surrogatepass"),
                            text.encode("utf-16-be", "surrogatepass")])


text_bytes = any_text.flatmap(encodings)
mixed_bytes = st.tuples(any_text, any_text).map(
    lambda pair: pair[0].encode("latin-1", "replace") + pair[1].encode("utf-8", "surrogatepass"))


def with_nul(data: bytes, position: int) -> bytes:
    where = position % (len(data) + 1)
    return data[:where] + b"\x00" + data[where:]


hostile_bytes = st.one_of(st.binary(max_size=2000), text_bytes, mixed_bytes,
                          st.builds(with_nul, text_bytes, st.integers(0, 10_000)))

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), clean_text, any_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                               st.dictionaries(any_text, inner, max_size=3)),
                          max_leaves=8)


def dump(obj: Any, ascii_only: bool) -> str:
    return json.dumps(obj, ensure_ascii=ascii_only)


record = st.fixed_dictionaries({"text": st.one_of(clean_text, any_text, json_value)},
                               optional={"id": json_value, "lang": json_value, "meta": json_value})
nested = st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth)
jsonl_line = st.one_of(
    st.builds(dump, record, st.just(True)),  # lone surrogates and NUL as escapes (\\ud800, \\u0000)
    st.builds(dump, st.fixed_dictionaries({"text": clean_text}, optional={"id": clean_text}), st.booleans()),
    st.builds(lambda a, esc, b: '{"text": "' + a + esc + b + '"}', clean_text,
              st.sampled_from(BAD_ESCAPES), clean_text),
    st.builds(lambda esc: '{"text": "x", "id": "' + esc + '"}', st.sampled_from(BAD_ESCAPES)),
    nested, nested.map(lambda deep: '{"text": "deep", "meta": ' + deep + "}"),
    st.sampled_from(['{"text": "x", "v": NaN}', '{"text": "x", "v": -Infinity}', '{"text": "x", "v": 1e999}',
                     '{"text": "x", "id": ' + "9" * 5000 + "}", "42", '"text"', "null", "[]", '{"text": 5}',
                     '{"text": null}', "{", '{"text": "unterminated', '{"id": 1}']),
    clean_text,
)
jsonl_file = st.tuples(st.lists(jsonl_line, min_size=1, max_size=6), st.sampled_from(["\n", "\r\n", "\r"]),
                       st.booleans()).map(lambda t: ("\ufeff" if t[2] else "") + t[1].join(t[0])).flatmap(encodings)
jsonl_bytes = st.one_of(jsonl_file, jsonl_file, hostile_bytes)

csv_field = st.one_of(clean_text, clean_text, edge_text.map(lambda text: text.replace("\x00", "")),
                      st.sampled_from(['"', '"unterminated', 'a"b', '""', "x\ny", "a,b", "\r"]))
csv_header = st.one_of(st.just(["id", "text", "court"]), st.just(["text", "id"]), st.just(["text"]),
                       st.lists(csv_field, max_size=4))


def csv_text(header: list[str], rows: list[list[str]], quoted: bool) -> str:
    if quoted:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue()
    return "".join(",".join(row) + "\n" for row in [header, *rows])  # no quoting: broken on purpose


csv_file = st.builds(csv_text, csv_header, st.lists(st.lists(csv_field, max_size=4), min_size=1, max_size=6),
                     st.booleans()).flatmap(encodings)
csv_bytes = st.one_of(csv_file, csv_file, hostile_bytes)

HUGE_FIELD = "x" * 140_000  # over the csv module's field_size_limit (131,072)


def write(folder: Path, suffix: str, data: bytes) -> Path:
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    return path


# -- one test per suffix -----------------------------------------------------------------------------------------

def plain_text_test(suffix: str) -> Callable[..., None]:
    @SETTINGS
    @given(data=hostile_bytes, max_bytes=st.sampled_from(MAX_BYTES))
    @example(data=b"word " * 300_000, max_bytes=5_000_000)  # one huge line
    @example(data=b"word " * 300_000, max_bytes=300)  # over the limit
    @example(data="caf\u00e9 ".encode("latin-1") + "caf\u00e9".encode("utf-8"), max_bytes=5_000)
    @example(data="\ufeffHello \u200fworld\u2028e\u0301".encode("utf-16"), max_bytes=5_000)
    @example(data="abc\ud800def".encode("utf-8", "surrogatepass"), max_bytes=5_000)
    @example(data=b"text" * 3000 + b"\x00", max_bytes=5_000_000)  # NUL past the binary sniff
    @example(data="\ufeff".encode(), max_bytes=5_000)
    def check(folder: Path, data: bytes, max_bytes: int) -> None:
        items = read_checked(write(folder, suffix, data), max_bytes)
        assert len(items) == 1
        if items[0].failure is None:
            assert items[0].record.text == data.decode("utf-8-sig")

    return check


test_txt_reader = plain_text_test(".txt")
test_md_reader = plain_text_test(".md")


@SETTINGS
@given(data=jsonl_bytes, max_bytes=st.sampled_from(MAX_BYTES))
@example(data=("[" * 100_000 + "]" * 100_000 + "\n").encode(), max_bytes=5_000_000)
@example(data=('{"text": "deep", "meta": ' + "[" * 100_000 + "]" * 100_000 + "}\n").encode(), max_bytes=5_000_000)
@example(data=b'{"text": "a\\ud800b"}\n{"text": "fine"}\n', max_bytes=5_000)
@example(data=b'{"text": "x", "id": "a\\udfff"}\n', max_bytes=5_000)
@example(data=b'{"text": "nul \\u0000 inside"}\n', max_bytes=5_000)
@example(data=b'{"text": "x", "n": NaN}\n', max_bytes=5_000)
@example(data=b'{"text": "x", "id": ' + b"1" * 5000 + b"}\n", max_bytes=5_000)
@example(data=b'{"text": "x", "id": "' + b"i" * 300 + b'"}\n', max_bytes=5_000)
@example(data=('{"text": "' + "word " * 400_000 + '"}\n').encode(), max_bytes=5_000_000)  # 2 MB line
@example(data=('{"text": "' + "word " * 400_000 + '"}\n{"text": "next"}\n').encode(), max_bytes=300)
@example(data=("{\"text\": \"\u2028\u200f\u0301\ufeff\"}\n").encode(), max_bytes=5_000)
def test_jsonl_reader(folder: Path, data: bytes, max_bytes: int) -> None:
    items = read_checked(write(folder, ".jsonl", data), max_bytes)
    if all(":" in Path(item.record.source).name for item in items):  # read line by line: one item per line
        text = data.decode("utf-8-sig")
        assert len(items) == sum(bool(line.strip()) for line in re.split(r"\r\n|\r|\n", text))


@SETTINGS
@given(data=csv_bytes, max_bytes=st.sampled_from(MAX_BYTES))
@example(data=("id,text\n1," + HUGE_FIELD + "\n2,after\n").encode(), max_bytes=5_000_000)
@example(data=("id,text\n1," + HUGE_FIELD + "\n2,after\n").encode(), max_bytes=5_000)
@example(data=("id,text\n1,\"unterminated\n" + "2,more words\n" * 30_000).encode(), max_bytes=5_000_000)
@example(data=("id,text\n1,\"unterminated\n" + "2,more words\n" * 30_000).encode(), max_bytes=5_000)
@example(data=(HUGE_FIELD + ",text\n1,x\n").encode(), max_bytes=5_000)  # the header itself too large
@example(data=b"id,text\n", max_bytes=5_000)  # a header, no rows
@example(data=b"id,text\n1,a\x00b\n", max_bytes=5_000)
@example(data=b"id,text\n" + b"1,word\n" * 2000 + b"2,a\x00b\n", max_bytes=5_000)  # NUL past the binary sniff
@example(data=("id,text\n" + "i" * 300 + ",x\n").encode(), max_bytes=5_000)
@example(data="id,text\n1,caf\u00e9\n".encode("utf-16"), max_bytes=5_000)
def test_csv_reader(folder: Path, data: bytes, max_bytes: int) -> None:
    read_checked(write(folder, ".csv", data), max_bytes)


def test_a_multibyte_character_across_the_sniffed_block_is_not_an_encoding_error(tmp_path: Path) -> None:
    """Tables are checked for being text on their first 64 KiB: a character cut at that boundary is fine."""
    path = tmp_path / "big.jsonl"
    for pad in range(2):  # one of two paddings puts a 2-byte "é" across byte 65,536
        data = "".join(json.dumps({"text": "a" * pad + "é" * 100}, ensure_ascii=False) + "\n"
                       for _ in range(1000)).encode()
        try:
            data[:1 << 16].decode("utf-8")
        except UnicodeDecodeError:
            break
    path.write_bytes(data)
    items = read_checked(path, 5_000)
    assert len(items) == 1000 and all(item.failure is None for item in items)


def test_a_file_name_that_is_not_utf8_is_stored_escaped(tmp_path: Path) -> None:
    path = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.jsonl"))
    path.write_bytes(b'{"text": "Hello"}\nnot json\n')
    items = read_checked(path, 5_000)
    assert [item.record.source.rsplit("/", 1)[-1] for item in items] == ["caf\\xe9.jsonl:1", "caf\\xe9.jsonl:2"]
    assert items[0].failure is None and items[1].failure is not None


# -- iter_inputs over a folder of mixed files ----------------------------------------------------------------------

file_of = st.one_of(st.tuples(st.just(".txt"), hostile_bytes), st.tuples(st.just(".md"), hostile_bytes),
                    st.tuples(st.just(".jsonl"), jsonl_bytes), st.tuples(st.just(".csv"), csv_bytes))


@SETTINGS
@given(files=st.lists(file_of, min_size=1, max_size=4), max_doc_mb=st.sampled_from([0.0003, 0.005, 5.0]))
def test_iter_inputs_gives_every_file_an_item(folder: Path, files: list[tuple[str, bytes]], max_doc_mb: float) -> None:
    batch = folder / "batch"
    if batch.exists():
        for old in batch.iterdir():
            old.unlink()
    batch.mkdir(exist_ok=True)
    for number, (suffix, data) in enumerate(files):
        (batch / f"f{number}{suffix}").write_bytes(data)
    started = time.perf_counter()
    with time_limit(READ_LIMIT_S * len(files)):
        items = list(iter_inputs([batch], max_doc_mb))
    assert time.perf_counter() - started < READ_LIMIT_S * len(files)
    for item in items:
        check_item(item)
    names = {Path(item.record.source.split(":", 1)[0]).name for item in items}
    assert names == {f"f{number}{suffix}" for number, (suffix, _) in enumerate(files)}
