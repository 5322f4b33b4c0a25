"""Peak memory of ``tandem run`` with the default pipeline on the bundled samples, every process counted.

    python bench/memory.py [PATH ...] [--llm SPEC] [--quick]

Samples the resident memory of the command and all its descendants (Prefect's temporary API server
included) every 0.2 s while it runs the default pipeline (``cleanup → summarize → ner.spacy``, the
embedded SmolLM2) over ``examples/docs`` into a fresh SQLite file. Prints the peak and one JSON line
(``peak_rss_mb``; ``processes``: the most processes counted at once; the run's ``documents``, ``failed``
and ``llm_calls``). The promise it checks: the small models fit a 2 GB machine. ``--quick``: the default
pipeline with the fake test LLM (``fake:A short summary.``): a smoke test of the script and of the
property it checks (the embedded model's own memory is then not counted).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import emit, parse_sample_run_args, tandem_run  # noqa: E402 - the bench folder is not a package


def main(argv: list[str] | None = None) -> int:
    args = parse_sample_run_args(__doc__, argv)
    pipeline = args.pipeline
    with tempfile.TemporaryDirectory(prefix="tandem-memory-") as tmp:
        run = tandem_run(args.paths, Path(tmp) / "results.db", pipeline, args.extra)
    print(f"pipeline {pipeline} over {', '.join(map(str, args.paths))}: peak RSS {run.peak_rss_mb:.0f} MB "
          f"({run.peak_processes} processes at most), {run.wall_s:.1f} s, {run.documents} documents "
          f"({run.failed} failed), {run.llm_calls} LLM calls")
    emit({"benchmark": "memory", "pipeline": pipeline, "peak_rss_mb": round(run.peak_rss_mb),
          "processes": run.peak_processes, "wall_s": round(run.wall_s, 1), "llm_calls": run.llm_calls,
          "documents": run.documents, "failed": run.failed})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
