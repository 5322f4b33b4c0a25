"""A rerun costs (almost) nothing: the same corpus through the default pipeline twice, side by side.

    python bench/rerun.py [PATH ...] [--llm SPEC] [--quick]

Runs ``tandem run`` (the default pipeline, LLM included: ``cleanup → summarize → ner.spacy``) over the
bundled samples (``examples/docs``, or PATHs) into a fresh SQLite file, then again on the same file:
every result is found by its key and reused, so the rerun makes no LLM call and loads no model.
Prints both runs (the whole command and the flow alone) and one JSON line: ``ratio`` (the first run's
flow over the rerun's flow), ``command_ratio`` (the same for the whole commands, start-up included),
``llm_calls`` (in the rerun; ``first_llm_calls`` in the first run) and the stage results each run computed
and reused (``first_processed``, ``rerun_processed``, ``rerun_reused``: a rerun computes none and reuses
every one). ``--quick``: the default pipeline with the fake test LLM (``fake:A short summary.``): a smoke
test of the script and of the property it checks.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import emit, parse_sample_run_args, tandem_run  # noqa: E402 - the bench folder is not a package


def main(argv: list[str] | None = None) -> int:
    args = parse_sample_run_args(__doc__, argv)
    pipeline, extra = args.pipeline, args.extra
    with tempfile.TemporaryDirectory(prefix="tandem-rerun-") as tmp:
        db = Path(tmp) / "results.db"
        first = tandem_run(args.paths, db, pipeline, extra)
        again = tandem_run(args.paths, db, pipeline, extra)
    ratio = first.flow_s / max(again.flow_s, 1e-6)
    command_ratio = first.wall_s / again.wall_s
    print(f"pipeline {pipeline} over {', '.join(map(str, args.paths))}")
    print(f"  first run  flow {first.flow_s:8.2f} s   command {first.wall_s:7.1f} s   LLM calls {first.llm_calls}")
    print(f"  rerun      flow {again.flow_s:8.2f} s   command {again.wall_s:7.1f} s   LLM calls {again.llm_calls}")
    print(f"  stage results: {first.stage_total('processed')} computed in the first run; the rerun computed "
          f"{again.stage_total('processed')} and reused {again.stage_total('reused')}")
    print(f"  the rerun's flow is {ratio:.0f}x faster; the whole command {command_ratio:.1f}x (start-up "
          f"{again.wall_s - again.flow_s:.1f} s of {again.wall_s:.1f} s)")
    emit({"benchmark": "rerun", "pipeline": pipeline, "first_flow_s": round(first.flow_s, 3),
          "rerun_flow_s": round(again.flow_s, 3), "first_command_s": round(first.wall_s, 2),
          "rerun_command_s": round(again.wall_s, 2), "ratio": round(ratio, 1),
          "command_ratio": round(command_ratio, 2), "llm_calls": again.llm_calls,
          "first_llm_calls": first.llm_calls, "first_processed": first.stage_total("processed"),
          "first_failed": first.stage_total("failed"), "rerun_processed": again.stage_total("processed"),
          "rerun_reused": again.stage_total("reused")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
