"""Per-stage cost of a pipeline, measured side by side in one run, printed as ratios.

    python bench/pipeline_bench.py [PATH ...] [--pipeline default] [--llm embedded] [--repeat 1]

Runs the stages directly (no Prefect, a throw-away SQLite file) so only model time is measured, and
prints ms per document for each stage plus how many times slower each is than the fastest one.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(Path(__file__).resolve().parents[1] / "examples" / "docs")])
    parser.add_argument("--pipeline", default="default")
    parser.add_argument("--llm", default=None)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    from tandem.flows.execution import run_stage_batch
    from tandem.flows.ingest import read_inputs
    from tandem.stages.pipeline_spec import Pipeline
    from tandem.storage import repository as repo
    from tandem.storage.db import create_db_engine, unit_of_work

    pipeline = Pipeline.load(args.pipeline, llm=args.llm)
    items = [i for i in read_inputs(args.paths) if i.failure is None]
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{folder}/bench.db")
        with unit_of_work(engine) as session:
            ids = repo.register_documents(session, [i.record for i in items])
        words = sum(len((i.record.text or "").split()) for i in items)
        print(f"{len(ids)} documents, {words} words, pipeline {' → '.join(s.stage_id for s in pipeline.stages)}")
        rows = []
        for index, stage in enumerate(pipeline.stages):
            load_start = time.perf_counter()
            stage.load()
            load_s = time.perf_counter() - load_start
            start = time.perf_counter()
            for offset in range(0, len(ids), args.batch_size):
                run_stage_batch(engine, pipeline, index, ids[offset:offset + args.batch_size], None)
            elapsed = time.perf_counter() - start
            rows.append((stage.stage_id, load_s, elapsed * 1000 / max(len(ids), 1), words / elapsed if elapsed else 0))
    fastest = min(ms for _n, _l, ms, _w in rows) or 1e-9
    print(f"{'stage':<20}{'load s':>8}{'ms/doc':>12}{'words/s':>12}{'x fastest':>12}")
    for name, load_s, ms, wps in rows:
        print(f"{name:<20}{load_s:>8.2f}{ms:>12.1f}{wps:>12.0f}{ms / fastest:>12.1f}")


if __name__ == "__main__":
    main()
