"""Two runs with LLM stages on the same cores: how much do they slow each other?

    python bench/llm_sharing.py [PATH ...] [--llm SPEC] [--quick]

Runs ``tandem run`` (the default pipeline: ``cleanup → summarize → ner.spacy``, the embedded LLM) over the
bundled samples alone, then two such runs at the same moment (each into its own database, so neither reuses
the other's results): once with the embedded LLM's machine-wide turn (the default: generations of different
processes never overlap) and once without it (``TANDEM_LLM_SHARED=0``: each process's llama.cpp threads
spin on the same cores). Prints each run's flow time (start-up excluded) and one JSON line: ``ratio`` (a
run's flow beside another one over its flow alone, with the turn; 2.0 is a fair share of the machine) and
``unshared_ratio`` (the same without the turn); with each run's LLM calls (``llm_calls``: the run alone;
``shared_llm_calls``, ``unshared_llm_calls``: each run beside another, the same number when neither reused
the other's results) and ``exit_codes`` (the run alone, then the four beside another). ``--quick``: the
default pipeline with the fake test LLM (``fake:A short summary.``): a smoke test of the script and of the
property it checks.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CommandRun, emit, parse_sample_run_args, tandem_run  # noqa: E402 - bench is not a package


def two_at_once(paths: list[Path], folder: Path, pipeline: str, extra: list[str], shared: bool) -> list[CommandRun]:
    runs: list[CommandRun] = []
    env = {"TANDEM_LLM_SHARED": "1" if shared else "0"}

    def one(name: str) -> None:
        runs.append(tandem_run(paths, folder / f"{name}.db", pipeline, extra, env=env))

    threads = [threading.Thread(target=one, args=(f"{'shared' if shared else 'unshared'}-{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return runs


def main(argv: list[str] | None = None) -> int:
    args = parse_sample_run_args(__doc__, argv)
    with tempfile.TemporaryDirectory(prefix="tandem-llm-sharing-") as tmp:
        folder = Path(tmp)
        alone = tandem_run(args.paths, folder / "alone.db", args.pipeline, args.extra)
        shared = two_at_once(args.paths, folder, args.pipeline, args.extra, shared=True)
        unshared = two_at_once(args.paths, folder, args.pipeline, args.extra, shared=False)
    mean_shared = sum(r.flow_s for r in shared) / 2
    mean_unshared = sum(r.flow_s for r in unshared) / 2
    ratio, unshared_ratio = mean_shared / alone.flow_s, mean_unshared / alone.flow_s
    print(f"pipeline {args.pipeline} over {', '.join(map(str, args.paths))} ({alone.llm_calls} LLM calls per run)")
    print(f"  alone                          flow {alone.flow_s:7.1f} s")
    print(f"  two at once, machine-wide turn flow {' / '.join(f'{r.flow_s:.1f}' for r in shared)} s  "
          f"-> {ratio:.2f}x a run alone (2.0 = a fair share); LLM calls {' / '.join(str(r.llm_calls) for r in shared)}")
    print(f"  two at once, no turn           flow {' / '.join(f'{r.flow_s:.1f}' for r in unshared)} s  "
          f"-> {unshared_ratio:.2f}x a run alone; LLM calls {' / '.join(str(r.llm_calls) for r in unshared)}")
    emit({"benchmark": "llm_sharing", "pipeline": args.pipeline, "alone_flow_s": round(alone.flow_s, 2),
          "shared_flow_s": [round(r.flow_s, 2) for r in shared],
          "unshared_flow_s": [round(r.flow_s, 2) for r in unshared], "llm_calls": alone.llm_calls,
          "shared_llm_calls": [r.llm_calls for r in shared], "unshared_llm_calls": [r.llm_calls for r in unshared],
          "exit_codes": [r.exit_code for r in [alone, *shared, *unshared]],
          "ratio": round(ratio, 2), "unshared_ratio": round(unshared_ratio, 2)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
