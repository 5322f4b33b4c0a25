"""``tandem compare embed``'s pieces without a model: reading scored pairs, scoring an embedder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tandem.specialists.comparison.chart import write_chart
from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.embed_pairs import PairsError, compare_embedders, read_pairs


def test_sts_lines_with_extra_fields_take_columns_5_to_7(tmp_path: Path) -> None:
    gold = tmp_path / "sts.csv"
    gold.write_text("g\tf\t2012\t0001\t4.5\tA cat.\tA kitten.\n"
                    "g\tf\t2012\t0002\t0.5\tA car.\tThe sea.\textra\tfields\n"
                    "g\tf\t2012\t0003\t2.0\tOne.\tTwo.\n", encoding="utf-8")
    pairs = read_pairs(gold)
    assert [(p.text_a, p.text_b, p.score) for p in pairs][1] == ("A car.", "The sea.", 0.5) and len(pairs) == 3


def test_csv_with_a_header_and_bad_files(tmp_path: Path) -> None:
    gold = tmp_path / "pairs.csv"
    gold.write_text('text_a,text_b,score\n"a, b",c,1\nd,e,2\nf,g,3\n', encoding="utf-8")
    assert read_pairs(gold)[0].text_a == "a, b"
    bad = tmp_path / "bad.tsv"
    bad.write_text("only\ttwo\n", encoding="utf-8")
    with pytest.raises(PairsError, match="7"):
        read_pairs(bad)


class LengthEmbedder:
    """Vectors whose cosine falls with the difference in length: a known ranking."""

    def model_id(self) -> str:
        return "length"

    def load(self) -> None:
        return None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        angles = np.array([len(t) / 20.0 for t in texts])
        return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)

    def count_tokens(self, texts: Sequence[str]) -> int:
        return sum(len(t.split()) for t in texts)


def test_an_embedder_that_ranks_pairs_right_gets_spearman_one(tmp_path: Path) -> None:
    gold = tmp_path / "pairs.tsv"
    rows = [("aaaa", "aaab", 5.0), ("aaaa", "aaaaaaaaaa", 3.0), ("a", "aaaaaaaaaaaaaaaaaaaa", 1.0),
            ("bb", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 0.0)]
    gold.write_text("text_a\ttext_b\tscore\n" + "".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows), encoding="utf-8")
    report = compare_embedders(gold, {"len": LengthEmbedder()}, cost=CostModel(cpu_hour=1.0))
    [system] = report.systems
    assert system.quality("embed") == 1.0 and system.metrics["pairs"] == 4 and system.metrics["tokens"] == 7
    assert system.docs == 7 and system.docs_per_s > 0 and system.kind == "specialist"
    assert system.p95_ms >= system.p50_ms >= 0
    flat = system.model_dump(mode="json")  # the --json object: the metrics at the top level, as for every task
    assert flat["spearman"] == 1.0 and flat["name"] == "len"
    chart = tmp_path / "c.png"
    write_chart(report, chart)
    assert chart.read_bytes()[:4] == b"\x89PNG"
