"""Shared pieces of the orchestration benchmarks (``bench/overhead.py``, ``scale.py``, ``dask.py``, ...).

* :func:`write_sms_corpus` streams N generated SMS-sized documents (ids ``k000000``…, a few names and
  places so NER has work, about one in seven spam-like) to a ``.jsonl`` file, never holding them all;
* :func:`ensure_spam_model` gives a ``classify.spam`` artifact: the one in ``--models-dir`` when it is
  there, else a quick TF-IDF classifier trained on generated messages (seconds, no download);
* :func:`specialists_spec` writes the specialists-only pipeline (``classify.spam`` + ``ner.spacy``, both
  reading ``text``);
* :class:`TreeRssSampler` samples the resident memory of a process and all its descendants (Linux
  ``/proc``), so a command's peak includes Prefect's server and any worker it starts, and counts them;
* :func:`tandem_run` runs and measures one ``tandem run`` (:class:`CommandRun`: time, memory, the run's
  own statistics and the results its database holds);
* :func:`parse_sample_run_args` reads the options of ``rerun.py``, ``memory.py`` and ``llm_sharing.py``
  (``--quick``: the default pipeline with :data:`QUICK_LLM`);
* :func:`datasets_dir` finds the shared datasets (``$TANDEM_DATASETS`` or ``../shared/datasets``);
* :func:`emit` prints the closing JSON line every benchmark ends with.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# the repository first, and not this folder: ``bench/storage.py`` must not shadow the ``storage`` package
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() not in (_HERE, REPO)]

_NAMES = ["Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "John", "Kate", "Liam"]
_PLACES = ["London", "Paris", "Berlin", "Madrid", "Boston", "Sydney", "Toronto", "Dublin", "Oslo", "Rome"]
_ORGS = ["Vodafone", "Tesco", "Barclays", "Amazon", "the BBC", "Google", "Nokia", "Apple"]
_HAM = ["are we still on for {t} tonight?", "{n} said she will meet you in {p} at {h}",
        "call me when you get to {p}, {n} is waiting", "ok lol see you at {h} then",
        "did you watch the match last night? {n} was brilliant", "sorry, running late, stuck near {p} station",
        "can you pick up milk on the way home", "{n} and I are going to {p} next week, want to come?"]
_SPAM = ["WINNER! You have won a {m} prize from {o}. Call 0906{d} now to claim",
         "URGENT: your {o} account is suspended, reply YES to verify at www.{o2}-secure.com",
         "FREE entry to win {m} cash! Text WIN to 8{d} now. T&Cs apply",
         "Congratulations {n}, you have been selected for a free holiday to {p}. Call 0800{d}"]


def _message(rng: random.Random) -> tuple[str, str]:
    spam = rng.random() < 0.14
    template = rng.choice(_SPAM if spam else _HAM)
    org = rng.choice(_ORGS)
    text = template.format(t=rng.choice(["dinner", "the gym", "drinks"]), n=rng.choice(_NAMES),
                           p=rng.choice(_PLACES), h=f"{rng.randint(1, 12)}pm", m=f"£{rng.randint(1, 9)}000",
                           o=org, o2=org.lower().replace(" ", ""), d=rng.randint(100000, 999999))
    return ("spam" if spam else "ham"), f"{text} ({rng.randint(0, 99999)})"  # distinct texts, one document each


def sms_messages(n: int, seed: int = 0) -> Iterator[tuple[str, str, str]]:
    """``(id, label, text)`` for ``n`` generated SMS-sized messages (deterministic for a seed)."""
    rng = random.Random(seed)
    for i in range(n):
        label, text = _message(rng)
        yield f"k{i:06d}", label, f"{text} #{i}"


def write_sms_corpus(path: Path, n: int, seed: int = 0) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for doc_id, _label, text in sms_messages(n, seed):
            handle.write(json.dumps({"id": doc_id, "text": text}) + "\n")
    return path


def ensure_spam_model(models_dir: Path) -> Path:
    """``models_dir`` holding a ``spam`` classifier (trained here, TF-IDF, when it is missing)."""
    if (models_dir / "spam" / "model_card.json").is_file():
        return models_dir
    from tandem.specialists.training.classify import train_classifier

    models_dir.mkdir(parents=True, exist_ok=True)
    data = models_dir / "spam_train.tsv"
    with data.open("w", encoding="utf-8") as handle:
        handle.write("label\ttext\n")
        for _id, label, text in sms_messages(600, seed=12345):
            handle.write(f"{label}\t{text}\n")
    train_classifier(data, "spam", models_dir=models_dir, features="tfidf", lexicon="none", finetune="no")
    return models_dir


#: the stages of :func:`specialists_spec`, each reading ``text``
SPECIALIST_STAGES = ("classify.spam", "ner.spacy")


def specialists_spec(path: Path) -> Path:
    path.write_text("name: specialists\nstages:\n"
                    + "".join(f"  - stage: {stage}\n    input: text\n" for stage in SPECIALIST_STAGES), encoding="utf-8")
    return path


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss(root: int) -> tuple[float, int]:
    """Resident memory of ``root`` and all its descendants, in MB, and how many of them hold memory
    (``(0.0, 0)`` where /proc is not there)."""
    if not os.path.isdir("/proc"):
        return 0.0, 0
    tree, total, processes, todo = _children(), 0, 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        processes += 1
                        break
        except OSError:
            continue
    return total / 1024, processes


class TreeRssSampler:
    """Samples :func:`tree_rss` of a process every ``interval`` seconds: ``peak_mb`` is the largest total,
    ``peak_processes`` the most processes seen at once."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval, self.peak_mb, self.peak_processes = pid, interval, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        mb, processes = tree_rss(self.pid)
        self.peak_mb, self.peak_processes = max(self.peak_mb, mb), max(self.peak_processes, processes)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def tandem_command() -> list[str]:
    """The ``tandem`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("tandem")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tandem.cli"]


@dataclass
class CommandRun:
    """One ``tandem run`` measured from outside: wall seconds, peak RSS of its process tree (and the most
    processes in it at once), the run's own record (``pipeline_runs.stats``: timings, per-document and
    per-stage counts, LLM calls) and the ``ok`` results its database holds afterwards."""

    wall_s: float
    peak_rss_mb: float
    exit_code: int
    stats: dict[str, Any]
    peak_processes: int = 0
    stored_ok: int = 0

    @property
    def timings(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.stats.get("timings", {}).items()}

    @property
    def llm_calls(self) -> int:
        return sum(int(stage.get("usage", {}).get("llm_calls", 0)) for stage in self.stats.get("stages", {}).values())

    def stage_total(self, count: str) -> int:
        """``count`` (``processed``, ``reused``, ``failed``, ``skipped``) summed over the run's stages."""
        return sum(int(stage.get(count, 0)) for stage in self.stats.get("stages", {}).values())

    @property
    def documents(self) -> int:
        return int(self.stats.get("documents", 0))

    @property
    def failed(self) -> int:
        """Documents of the run that failed (any of their results, or reading them)."""
        return int(self.stats.get("failed", 0))

    @property
    def flow_s(self) -> float:
        """Registering, loading, every stage and settling the outcomes: the flow without the command's start-up."""
        return sum(self.timings.get(k, 0.0) for k in ("register_s", "load_s", "stages_s", "finish_s"))


def tandem_run(paths: list[Path], db: Path, pipeline: str = "default", extra: list[str] | None = None,
               env: dict[str, str] | None = None) -> CommandRun:
    """Run ``tandem run`` in a subprocess (exit 0 or 3 expected) and measure it."""
    command = [*tandem_command(), "run", *map(str, paths), "--pipeline", pipeline, "--db", f"sqlite:///{db}",
               "--format", "none", *(extra or [])]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    with TreeRssSampler(process.pid) as sampler:
        _, stderr = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode not in (0, 3):
        raise SystemExit(f"tandem run failed ({process.returncode}):\n{stderr[-3000:]}")
    stats, stored_ok = last_run_facts(db)
    return CommandRun(wall, sampler.peak_mb, process.returncode, stats, sampler.peak_processes, stored_ok)


def last_run_facts(db: Path) -> tuple[dict[str, Any], int]:
    """The last run's ``pipeline_runs.stats`` and the number of ``ok`` results in the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        stats = connection.execute(text("SELECT stats FROM pipeline_runs ORDER BY id DESC LIMIT 1")).scalar_one()
        stored_ok = connection.execute(text("SELECT COUNT(*) FROM stage_results WHERE status = 'ok'")).scalar_one()
    engine.dispose()
    return dict(json.loads(stats) if isinstance(stats, str) else stats), int(stored_ok)


@contextmanager
def prefect_server() -> Iterator[dict[str, str]]:
    """A ``tandem server`` of its own (free loopback port, temporary TANDEM_HOME), stopped afterwards; yields
    the environment under which ``tandem`` commands find it."""
    import socket

    with tempfile.TemporaryDirectory(prefix="tandem-bench-home-") as home, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        env = {**os.environ, "TANDEM_HOME": home}
        env.pop("PREFECT_API_URL", None)
        subprocess.run([*tandem_command(), "server", "start", "--port", str(port)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        try:
            yield {"TANDEM_HOME": home}
        finally:
            subprocess.run([*tandem_command(), "server", "stop"], env=env, stdout=subprocess.DEVNULL)


#: the LLM of ``--quick`` (unless ``--llm`` names one): the test backend, a fixed answer and no model to load
QUICK_LLM = "fake:A short summary."


@dataclass
class SampleRunArgs:
    """What ``rerun.py``, ``memory.py`` and ``llm_sharing.py`` take: the inputs, the pipeline (always the
    default one) and the extra ``tandem run`` options (``--llm``; ``--quick``: :data:`QUICK_LLM` unless given)."""

    paths: list[Path]
    pipeline: str
    extra: list[str]


def parse_sample_run_args(description: str | None, argv: list[str] | None) -> SampleRunArgs:
    import argparse

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, default=[REPO / "examples" / "docs"])
    parser.add_argument("--llm", default=None, help=f"LLM backend (default: the embedded SmolLM2; with --quick: "
                        f"{QUICK_LLM!r})")
    parser.add_argument("--quick", action="store_true", help="the default pipeline with the fake test LLM: a smoke "
                        "test of the script and of the property it checks")
    args = parser.parse_args(argv)
    llm = args.llm or (QUICK_LLM if args.quick else None)
    return SampleRunArgs(args.paths, "default", ["--llm", llm] if llm else [])


def datasets_dir() -> Path:
    """The shared datasets: ``$TANDEM_DATASETS``, else ``../shared/datasets`` next to the repository."""
    return Path(os.environ.get("TANDEM_DATASETS", REPO.parent / "shared" / "datasets"))


def emit(result: dict[str, Any]) -> None:
    """The closing line of every benchmark: one JSON object."""
    print(json.dumps(result, sort_keys=True), flush=True)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start
