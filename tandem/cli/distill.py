"""``tandem distill classify|ner`` (registered in :mod:`tandem.cli.main`): an LLM teacher labels texts, a specialist
student learns from them, and with ``--gold`` both are measured side by side.

Exit codes: 0 a student was trained; 2 usage error, or nothing to learn (the teacher gave fewer than two
labels, or no entity). Progress goes to stderr; ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tandem.cli.common import ModelsDirOption, fail, print_json, progress_bars
from tandem.cli.console import err

if TYPE_CHECKING:
    from tandem.flows.distill import DistillRequest
    from tandem.specialists.distill.report import DistillReport

TASKS = ("classify", "ner")
LimitOption = Annotated[int | None, typer.Option("--limit", min=1, help="Label only the first N texts.",
                                                show_default=False)]
FeaturesOption = Annotated[str, typer.Option("--features", help="classify student's head: auto, tfidf, embedding "
                                             "or hybrid.")]
FromLabelsOption = Annotated[bool, typer.Option(
    "--from-labels", help="The flywheel: train NAME's next version on the labels stored in --db (cascade LLM answers, "
                          "gold files, corrections; plus --data), gate it against the promoted version on --gold, "
                          "promote it only if it is not worse (exit 1 when refused).")]
DataOption = Annotated[Path | None, typer.Option("--data", help="With --from-labels: your own training file (text, "
                                                 "label) added to the stored labels.", show_default=False)]
LabelsDbOption = Annotated[str | None, typer.Option("--db", help="With --from-labels: the results database holding "
                                                    "the labels.", show_default=False)]


def distill_command(
    task: Annotated[str, typer.Argument(help="classify or ner.", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="The student's artifact name (classify.NAME / ner.spacy:NAME).",
                                      show_default=False)],
    unlabeled: Annotated[list[Path] | None, typer.Option(
        "--unlabeled", help="Texts to label: files or folders (.txt, .md, .jsonl/.csv/.tsv with a 'text' field); "
                            "repeatable. Not with --from-labels.", show_default=False)] = None,
    labels: Annotated[str | None, typer.Option(
        "--labels", help="Comma-separated labels (classify: required) or entity types (ner: default PER,ORG,LOC,MISC).",
        show_default=False)] = None,
    teacher: Annotated[str | None, typer.Option(
        "--teacher", help="Teacher LLM: embedded | openai:<model>@<base_url> | ollama:<model>[@<url>] "
                          "(default: $TANDEM_LLM or embedded; API keys come from the environment).",
        show_default=False)] = None,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Teacher answers per text (self-consistency).")] = 1,
    min_agreement: Annotated[float, typer.Option(
        "--min-agreement", min=0.01, max=1.0,
        help="Keep a text when at least this share of its answers agree (invalid answers count against).")] = 0.6,
    temperature: Annotated[float | None, typer.Option(
        "--temperature", min=0.0, max=2.0,
        help="Teacher sampling temperature (default: 0.7 with --samples > 1, else greedy).", show_default=False)] = None,
    synthesize: Annotated[int, typer.Option(
        "--synthesize", min=0, help="classify: new examples per label written by the teacher, kept when it "
                                    "labels them as intended.")] = 0,
    task_description: Annotated[str | None, typer.Option(
        "--task-description", help="What the labels mean, in a sentence (helps --synthesize).",
        show_default=False)] = None,
    gold: Annotated[Path | None, typer.Option(
        "--gold", help="Labelled data to compare teacher and student on (classify: CSV/TSV with text and label; "
                       "ner: CoNLL).", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    limit: LimitOption = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Texts per labelling task.")] = 8,
    features: FeaturesOption = "auto",
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="ner student: training epochs.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Student training seed.")] = 0,
    models_dir: ModelsDirOption = None,
    from_labels: FromLabelsOption = False,
    data: DataOption = None,
    db: LabelsDbOption = None,
) -> None:
    """Distill an LLM teacher into a fast specialist student: label, filter, (synthesize), train, compare.

    With --from-labels: retrain NAME from the stored labels and promote it through the gate."""
    from tandem.flows.server import launched_api

    if from_labels:
        from tandem.cli.models import retrain_from_labels

        retrain_from_labels(task, name, gold, data, db, models_dir, features, seed, as_json)
        return

    # without a Prefect server its temporary one starts now, beside the checks (stopped at once if one fails)
    with launched_api() as api:
        request = _request(task, unlabeled, name, labels, teacher, samples, min_agreement, temperature, synthesize,
                           task_description, gold, limit, batch_size, features, epochs, seed, models_dir)
        from tandem.flows.distill import tandem_distill
        from tandem.specialists.distill.dataset import NothingToLearnError

        teacher_name = escape(f"{request.teacher.stage_name}[{request.teacher.llm or 'embedded'}]")
        err.print(f"[bold]Tandem distill[/] {task}: teacher [cyan]{teacher_name}[/] → student [cyan]{name}[/]",
                  highlight=False)
        error = ""
        report: DistillReport | None = None
    if api is not None:
        api.use()
    with progress_bars():
        try:
            report = tandem_distill(request)
        except NothingToLearnError as exc:
            error = f"nothing to learn: {exc}"
        except (ValueError, OSError) as exc:
            error = str(exc)
    if error or report is None:
        fail(error or "the distillation returned no report")
    if as_json:
        print_json(report)
        return
    _print_report(report)


def _request(task: str, unlabeled: list[Path] | None, name: str, labels: str | None, teacher: str | None, samples: int,
             min_agreement: float, temperature: float | None, synthesize: int, task_description: str | None,
             gold: Path | None, limit: int | None, batch_size: int, features: str, epochs: int, seed: int,
             models_dir: Path | None) -> DistillRequest:
    """The flow's request, checked before Prefect starts (every problem here exits 2)."""
    from tandem.flows.distill import UNLABELED_SUFFIXES, DistillRequest
    from tandem.flows.ingest import InputError, expand_paths
    from tandem.specialists.artifacts import check_name
    from tandem.specialists.comparison.gold import check_llm_spec
    from tandem.specialists.distill.labelling import DEFAULT_NER_LABELS, TeacherConfig
    from tandem.specialists.distill.student import StudentConfig
    from tandem.specialists.training.classify_head import FEATURE_SETS
    from tandem.stages.llm.backends import LLMConfigError

    if task not in TASKS:
        fail(f"TASK must be classify or ner, not {task!r}")
    if not unlabeled:
        fail("tandem distill needs --unlabeled FILES (or --from-labels to retrain on stored labels)")
    label_list = [label.strip() for label in (labels or "").split(",") if label.strip()]
    if task == "classify" and len(label_list) < 2:
        fail("tandem distill classify needs --labels with at least two labels, e.g. --labels spam,ham")
    if synthesize and task != "classify":
        fail("--synthesize writes examples per label: it is for classify only")
    if features not in FEATURE_SETS:
        fail(f"--features must be one of {', '.join(FEATURE_SETS)}, not {features!r}")
    try:
        check_llm_spec(teacher)  # also refuses a credential in the URL: keys belong in the environment
    except (ValueError, LLMConfigError) as exc:
        fail(str(exc).replace("--llm ", "--teacher ", 1))
    try:
        check_name(name)
        files = expand_paths(unlabeled, UNLABELED_SUFFIXES)
    except (ValueError, LLMConfigError, InputError) as exc:
        fail(str(exc))
    if not files:
        fail(f"no input files ({', '.join(UNLABELED_SUFFIXES)}) found in {', '.join(map(str, unlabeled))}")
    if gold is not None and not gold.is_file():
        fail(f"--gold {gold}: no such file")
    try:
        config = TeacherConfig(task=task, llm=teacher, labels=label_list or DEFAULT_NER_LABELS,  # type: ignore[arg-type]
                               samples=samples, temperature=temperature)
        return DistillRequest(task=task, unlabeled=[str(f) for f in files], name=name,  # type: ignore[arg-type]
                              teacher=config, min_agreement=min_agreement, synthesize=synthesize,
                              task_description=task_description, gold=str(gold) if gold else None, limit=limit,
                              models_dir=str(models_dir) if models_dir else None, batch_size=batch_size,
                              student=StudentConfig(features=features, epochs=epochs, seed=seed))
    except ValueError as exc:
        fail(str(exc))


def _print_report(report: DistillReport) -> None:
    from tandem.specialists.comparison.report import PRIMARY_METRIC

    err.print(f"labelled {report.labelled} texts ({report.samples} answer(s) each, agreement ≥ "
              f"{report.min_agreement}): [bold]{report.kept} kept[/], {report.dropped} dropped, "
              f"{report.invalid} invalid" + (f"; {report.synthetic_kept} of {report.synthesized} synthetic kept"
                                             if report.synthesized else ""), highlight=False)
    err.print("training data: " + ", ".join(f"{k} {v}" for k, v in report.label_counts.items()), highlight=False)
    if report.teacher and report.student:
        metric = PRIMARY_METRIC[report.task]
        table = Table(title=escape(f"teacher vs student on {report.gold}"))
        for column in ("system", metric, "docs/s", "p50 ms", "p95 ms", "cost / 1k docs"):
            table.add_column(column)
        for role, system in (("teacher", report.teacher), ("student", report.student)):
            quality = system.quality(report.task)
            table.add_row(escape(f"{role}: {system.name}"), "–" if quality is None else f"{quality:.3f}",
                          f"{system.docs_per_s:,.1f}", f"{system.p50_ms:.1f}", f"{system.p95_ms:.1f}",
                          f"{system.cost_per_1k_docs:.4f}")
        err.print(table)
        if report.speedup is not None:
            err.print(f"the student is [bold]{report.speedup:,.1f}×[/] faster than the teacher", highlight=False)
    err.print(f"saved [bold]{report.name}[/] to {escape(report.artifact)}; use it as {report.student_stage}",
              highlight=False)
