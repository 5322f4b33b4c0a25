"""What the orchestration costs on top of its models: a plain loop vs ``tandem run``, side by side.

    python bench/overhead.py 20000 [--batch-size N] [--models-dir DIR] [--quick]

The specialists-only pipeline (``classify.spam`` + ``ner.spacy``, both reading ``text``) over N generated
SMS-sized documents (see :mod:`bench.corpus`), three ways in one run:

1. **plain loop**: the same loaded stages called in batches of 256, no Prefect, no SQL (model time only);
2. **tandem run**: the whole command in a subprocess (start-up, Prefect's temporary API, reading,
   registering, every stage, every write, the summary), timed from outside;
3. **the flow alone**: from the first stage batch to the last result written, as the run records it
   (``pipeline_runs.stats.timings.stages_s``), plus registering and the fixed start-up cost apart.

Prints docs/s of each and the ratios to the plain loop, then one JSON line (``ratio``: the flow alone over
the loop; ``command_ratio``: the whole command over the loop; ``documents``, ``failed`` and ``stored_ok``:
what ``tandem run`` registered, failed and left stored, which should be every document and one ``ok``
result per document and stage).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (  # noqa: E402 - the bench folder is not a package
    SPECIALIST_STAGES,
    emit,
    ensure_spam_model,
    prefect_server,
    specialists_spec,
    tandem_run,
    write_sms_corpus,
)

LOOP_BATCH = 256


def plain_loop(corpus: Path, spec: Path, models_dir: Path) -> tuple[int, float]:
    """Documents through the loaded stages in batches, no Prefect, no SQL: (documents, seconds)."""
    from tandem.stages.batching import batched
    from tandem.stages.contracts import DocState, Document
    from tandem.stages.pipeline_spec import Pipeline

    pipeline = Pipeline.load(str(spec), models_dir=str(models_dir))
    for stage in pipeline.stages:
        stage.load()
    warm = [DocState(document=Document.from_text("Warm up in London with Anna.", "warm"))]
    for stage in pipeline.stages:
        stage.run(warm)
    count = 0
    start = time.perf_counter()
    with corpus.open(encoding="utf-8") as handle:
        for lines in batched(handle, LOOP_BATCH):
            states = [DocState(document=Document.from_text(json.loads(line)["text"], "bench")) for line in lines]
            for stage in pipeline.stages:
                result = stage.run(states)
                assert len(result.successes) + len(result.failures) == len(states)
            count += len(states)
    return count, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, nargs="?", default=20000, help="documents (default 20000)")
    parser.add_argument("--batch-size", type=int, default=None, help="tandem run --batch-size (default: the "
                        "stages' preferred sizes)")
    parser.add_argument("--models-dir", type=Path, default=None, help="folder with a 'spam' classifier (default: "
                        "a quick TF-IDF one is trained in a temporary folder)")
    parser.add_argument("--server", action="store_true", help="run against a Prefect server started for the "
                        "benchmark (tandem server start) instead of Prefect's temporary API")
    parser.add_argument("--quick", action="store_true", help="200 documents: a smoke test of the benchmark")
    args = parser.parse_args(argv)
    n = 200 if args.quick else args.n
    with tempfile.TemporaryDirectory(prefix="tandem-overhead-") as tmp:
        folder = Path(tmp)
        models_dir = ensure_spam_model(args.models_dir or folder / "models")
        corpus = write_sms_corpus(folder / "sms.jsonl", n)
        spec = specialists_spec(folder / "specialists.yaml")
        docs, loop_s = plain_loop(corpus, spec, models_dir)
        extra = ["--models-dir", str(models_dir)] + (["--batch-size", str(args.batch_size)] if args.batch_size else [])
        with prefect_server() if args.server else nullcontext({}) as env:
            run = tandem_run([corpus], folder / "results.db", str(spec), extra, env=env)
        wall, peak_mb, timings = run.wall_s, run.peak_rss_mb, run.timings
    stages_s = timings.get("stages_s", wall)
    flow_s = stages_s + sum(timings.get(k, 0.0) for k in ("register_s", "load_s", "finish_s"))
    loop_rate, flow_rate, command_rate = docs / loop_s, docs / stages_s, docs / wall
    print(f"{docs} documents, classify.spam + ner.spacy, "
          + ("against a running Prefect server" if args.server else "Prefect's temporary API"))
    print(f"  plain loop (batches of {LOOP_BATCH})      {loop_rate:8.0f} docs/s   1.00x")
    print(f"  flow alone (first batch → last write) {flow_rate:8.0f} docs/s   {flow_rate / loop_rate:.2f}x")
    print(f"  tandem run (whole command)            {command_rate:8.0f} docs/s   {command_rate / loop_rate:.2f}x")
    print(f"  registering {timings.get('register_s', 0):.1f} s, loading models {timings.get('load_s', 0):.1f} s, "
          f"settling outcomes {timings.get('finish_s', 0):.1f} s, fixed start-up and shutdown {wall - flow_s:.1f} s, "
          f"peak RSS {peak_mb:.0f} MB")
    emit({"benchmark": "overhead", "docs": docs, "server": args.server, "loop_docs_s": round(loop_rate, 1),
          "flow_docs_s": round(flow_rate, 1), "command_docs_s": round(command_rate, 1),
          "ratio": round(flow_rate / loop_rate, 3), "command_ratio": round(command_rate / loop_rate, 3),
          "register_s": timings.get("register_s"), "load_s": timings.get("load_s"),
          "finish_s": timings.get("finish_s"),
          "fixed_s": round(wall - flow_s, 2), "peak_rss_mb": round(peak_mb), "stages": len(SPECIALIST_STAGES),
          "documents": run.documents, "failed": run.failed, "stored_ok": run.stored_ok})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
