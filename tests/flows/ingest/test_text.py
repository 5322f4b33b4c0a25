import json
from pathlib import Path

import pytest

from tandem.flows.ingest import InputError, expand_paths, read_inputs


def write_mixed(folder: Path) -> None:
    (folder / "a.txt").write_text("First document about Paris.")
    (folder / "b.md").write_text("# Title\nSecond document.")
    (folder / "c.jsonl").write_text(json.dumps({"id": "j1", "text": "Third.", "lang": "en"}) + "\n\n"
                                    + json.dumps({"text": "Fourth."}) + "\n")
    (folder / "d.csv").write_text('id,text,court\nc1,"Fifth, with a comma.",CA\nc2,Sixth.,NY\n')
    (folder / "ignored.doc").write_bytes(b"%PDF")


def test_mixed_folder_gives_one_document_per_text(tmp_path: Path) -> None:
    write_mixed(tmp_path)
    items = read_inputs([tmp_path])
    assert [i.record.text for i in items] == ["First document about Paris.", "# Title\nSecond document.", "Third.",
                                              "Fourth.", "Fifth, with a comma.", "Sixth."]
    assert all(i.failure is None for i in items)
    jsonl = items[2].record
    assert jsonl.external_id == "j1" and jsonl.metadata == {"lang": "en"} and jsonl.source.endswith("c.jsonl:1")
    assert items[4].record.external_id == "c1" and items[4].record.metadata == {"court": "CA"}


def test_bad_inputs_become_failures_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("   \n\t ")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin1.txt").write_bytes("café crème".encode("latin-1"))
    (tmp_path / "huge.txt").write_bytes(b"word " * 400_000)  # 2 MB
    (tmp_path / "bad.jsonl").write_text('{"text": "ok line"}\nnot json\n{"id": 3}\n{"text": ""}\n')
    (tmp_path / "notext.csv").write_text("body\nhello\n")
    items = {i.record.source.rsplit("/", 1)[-1]: i for i in read_inputs([tmp_path], max_doc_mb=1.0)}
    kinds = {name: (item.failure.kind if item.failure else "ok") for name, item in items.items()}
    assert kinds == {"bad.jsonl:1": "ok", "bad.jsonl:2": "unreadable", "bad.jsonl:3": "unreadable",
                     "bad.jsonl:4": "empty", "binary.txt": "binary", "blank.txt": "empty", "empty.txt": "empty",
                     "huge.txt": "too_large", "latin1.txt": "encoding", "notext.csv": "unreadable"}
    assert "not valid UTF-8" in items["latin1.txt"].failure.message  # type: ignore[union-attr]
    assert "2.0 MB" in items["huge.txt"].failure.message  # type: ignore[union-attr]
    assert "columns: body" in items["notext.csv"].failure.message  # type: ignore[union-attr]
    hashes = [i.record.content_hash for i in items.values()]
    assert len(set(hashes)) == len(hashes)


def test_paths_are_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        expand_paths([tmp_path / "missing"])
    (tmp_path / "x.doc").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="unsupported file type .doc"):
        expand_paths([tmp_path / "x.doc"])
