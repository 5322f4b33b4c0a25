"""Memory stays flat and speed holds as the corpus grows: the same command at two sizes, side by side.

    python bench/scale.py 100000 [--baseline 10000] [--models-dir DIR] [--quick]

Streams N generated SMS-sized documents (see :mod:`bench.corpus`) through the specialists-only pipeline
(``classify.spam`` + ``ner.spacy``) with ``tandem run``, and first the same at the baseline size (N/10
unless ``--baseline``). Prints docs/s (the whole command, and the flow from the first batch on) and the
peak RSS of the whole process tree at both sizes, then one JSON line with ``ratio`` (peak RSS at N over
the peak at the baseline) and ``speed_ratio`` (the flow's docs/s at N over the baseline's), and at both
sizes the ``ok`` results left stored (``stored_ok``, ``baseline_stored_ok``: one per document and stage) and
the documents that failed (``failed``, ``baseline_failed``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (  # noqa: E402 - the bench folder is not a package
    SPECIALIST_STAGES,
    CommandRun,
    emit,
    ensure_spam_model,
    specialists_spec,
    tandem_run,
    write_sms_corpus,
)


def one_size(folder: Path, n: int, spec: Path, models_dir: Path) -> CommandRun:
    corpus = write_sms_corpus(folder / f"sms_{n}.jsonl", n)
    run = tandem_run([corpus], folder / f"results_{n}.db", str(spec), ["--models-dir", str(models_dir)])
    corpus.unlink()
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, nargs="?", default=100_000, help="documents (default 100000)")
    parser.add_argument("--baseline", type=int, default=None, help="the smaller size (default N/10)")
    parser.add_argument("--models-dir", type=Path, default=None, help="folder with a 'spam' classifier")
    parser.add_argument("--quick", action="store_true", help="2,000 against 200 documents: a smoke test")
    args = parser.parse_args(argv)
    n = 2000 if args.quick else args.n
    base = args.baseline or max(n // 10, 1)
    with tempfile.TemporaryDirectory(prefix="tandem-scale-") as tmp:
        folder = Path(tmp)
        models_dir = ensure_spam_model(args.models_dir or folder / "models")
        spec = specialists_spec(folder / "specialists.yaml")
        runs = {size: one_size(folder, size, spec, models_dir) for size in (base, n)}
    print("classify.spam + ner.spacy, generated SMS-sized documents")
    rates = {}
    for size, run in runs.items():
        flow_docs_s = size / max(run.timings.get("stages_s", run.wall_s), 1e-9)
        rates[size] = flow_docs_s
        print(f"  {size:>8} documents  command {size / run.wall_s:7.0f} docs/s   flow {flow_docs_s:7.0f} docs/s   "
              f"peak RSS {run.peak_rss_mb:6.0f} MB")
    ratio = runs[n].peak_rss_mb / runs[base].peak_rss_mb
    speed = rates[n] / rates[base]
    print(f"  {n} vs {base}: peak RSS {ratio:.2f}x, flow speed {speed:.2f}x")
    emit({"benchmark": "scale", "docs": n, "baseline_docs": base, "peak_rss_mb": round(runs[n].peak_rss_mb),
          "baseline_peak_rss_mb": round(runs[base].peak_rss_mb), "ratio": round(ratio, 3),
          "docs_s": round(rates[n], 1), "baseline_docs_s": round(rates[base], 1), "speed_ratio": round(speed, 3),
          "command_docs_s": round(n / runs[n].wall_s, 1), "stages": len(SPECIALIST_STAGES),
          "stored_ok": runs[n].stored_ok, "baseline_stored_ok": runs[base].stored_ok, "failed": runs[n].failed,
          "baseline_failed": runs[base].failed})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
