"""Spreading the work over Dask: the specialists-only pipeline on a local cluster of 1 and of 2 workers.

    python bench/dask.py [N] [--models-dir DIR] [--quick]

Runs ``tandem run --runner dask --workers W`` (W = 1, then 2; single-threaded worker processes) over the
same N generated SMS-sized documents (default 20,000; see :mod:`bench.corpus`) with ``classify.spam`` +
``ner.spacy``, each into a fresh SQLite file. Prints docs/s of the processing (from the first batch to the
last result written, each worker loading its models included) and of the whole command, then one JSON
line with ``ratio`` (2 workers over 1), ``stored_ok`` (the ``ok`` results each run left stored: one per
document and stage, with 1 worker as with 2) and ``failed`` (documents that failed in each run).
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, nargs="?", default=20000, help="documents (default 20000)")
    parser.add_argument("--models-dir", type=Path, default=None, help="folder with a 'spam' classifier")
    parser.add_argument("--quick", action="store_true", help="600 documents: a smoke test of the benchmark")
    args = parser.parse_args(argv)
    n = 600 if args.quick else args.n
    rates: dict[int, float] = {}
    runs: dict[int, CommandRun] = {}
    with tempfile.TemporaryDirectory(prefix="tandem-dask-") as tmp:
        folder = Path(tmp)
        models_dir = ensure_spam_model(args.models_dir or folder / "models")
        corpus = write_sms_corpus(folder / "sms.jsonl", n)
        spec = specialists_spec(folder / "specialists.yaml")
        print(f"{n} documents, classify.spam + ner.spacy, local Dask cluster")
        for workers in (1, 2):
            run = runs[workers] = tandem_run(
                [corpus], folder / f"results_{workers}.db", str(spec),
                ["--models-dir", str(models_dir), "--runner", "dask", "--workers", str(workers),
                 "--batch-size", str(max(50, min(1000, n // 20)))],
                env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
            process_s = run.timings.get("process_s", run.wall_s)
            rates[workers] = n / process_s
            print(f"  {workers} worker{'s' if workers > 1 else ' '}  processing {rates[workers]:7.0f} docs/s   "
                  f"whole command {n / run.wall_s:7.0f} docs/s   peak RSS {run.peak_rss_mb:6.0f} MB")
    ratio = rates[2] / rates[1]
    print(f"  2 workers over 1: {ratio:.2f}x")
    emit({"benchmark": "dask", "docs": n, "docs_s_1": round(rates[1], 1), "docs_s_2": round(rates[2], 1),
          "ratio": round(ratio, 3), "stages": len(SPECIALIST_STAGES),
          "stored_ok": [runs[w].stored_ok for w in (1, 2)], "failed": [runs[w].failed for w in (1, 2)]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
