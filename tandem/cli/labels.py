"""``tandem labels export|import|show`` (registered in :mod:`tandem.cli.main`): the labels the flywheel trains on
(:mod:`tandem.storage.labels`), out to a file a person can check and back in.

Formats:

* ``csv``: one row per text, opened in any spreadsheet: ``text_key, text, label, label_source, specialist_label,
  specialist_confidence, llm_label, llm_confidence, correct_label``. Fill ``correct_label`` where the label is
  wrong (or right, to confirm it); ``tandem labels import`` stores those rows as ``human:<who>``.
* ``jsonl``: one JSON object per line in doccano's text-classification format (``text``, ``label`` as a list),
  plus the same fields; doccano (and Label Studio's JSON import) read it. On import, a row whose ``label`` differs
  from ``exported_label``, or that has a ``correct_label``, is a correction.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tandem.cli.common import DB_HELP, fail, open_results_db, print_json
from tandem.cli.console import err

labels_app = typer.Typer(no_args_is_help=True, help="Labels with provenance (cascade LLM answers, gold files, "
                                                    "people): export for review, import corrections.")

COLUMNS = ("text_key", "text", "label", "label_source", "specialist_label", "specialist_confidence", "llm_label",
           "llm_confidence", "correct_label")
DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)]
TaskOption = Annotated[str, typer.Option("--task", help="The specialist's name (classify.NAME's NAME, e.g. spam).",
                                         show_default=False)]


def _row(review: Any) -> dict[str, Any]:
    return {"text_key": review.text_key, "text": review.text, "label": review.label,
            "label_source": review.label_source, "specialist_label": review.specialist_label,
            "specialist_confidence": review.specialist_confidence, "llm_label": review.llm_label,
            "llm_confidence": review.llm_confidence, "correct_label": ""}


@labels_app.command("export")
def export_command(
    task: TaskOption,
    only: Annotated[str | None, typer.Option("--only", help="disagreements (the specialist and the label differ) "
                                             "| low-agreement (the LLM's confidence below 0.7).",
                                             show_default=False)] = None,
    sample: Annotated[int | None, typer.Option("--sample", min=1, help="A seeded random sample of N rows.",
                                               show_default=False)] = None,
    output_format: Annotated[str, typer.Option("--format", help="csv | jsonl")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).",
                                                show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Write the labels of TASK a person should check, with the specialist's and the LLM's answers side by side."""
    from tandem.storage.db import open_db_readonly, unit_of_work
    from tandem.storage.labels import review_rows, select_for_review

    if output_format not in ("csv", "jsonl"):
        fail(f"--format must be csv or jsonl, not {output_format!r}")
    engine = open_db_readonly(open_results_db(db, read_only=True))
    with unit_of_work(engine) as session:
        rows = review_rows(session, task)
    try:
        chosen = select_for_review(rows, only, sample)
    except ValueError as exc:
        fail(str(exc))
    stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if output_format == "csv":
            writer = csv.DictWriter(stream, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(_row(r) for r in chosen)
        else:
            for r in chosen:
                data = _row(r)
                stream.write(json.dumps({**data, "label": [r.label], "exported_label": r.label},
                                        ensure_ascii=False) + "\n")
    finally:
        if output:
            stream.close()
    err.print(f"{len(chosen)} of {len(rows)} labelled texts of {task!r} written"
              f"{f' to {output}' if output else ''}", highlight=False)


def read_corrections(path: Path) -> list[tuple[str, str]]:
    """``(text, corrected label)`` pairs from an exported file a person edited (see the module docstring)."""
    text = path.read_text(encoding="utf-8-sig")
    found: list[tuple[str, str]] = []
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path} line {number}: not JSON ({exc.msg})") from None
            label = data.get("label")
            label = label[0] if isinstance(label, list) and label else label if isinstance(label, str) else None
            correct = (data.get("correct_label") or "").strip() or (
                label if label and label != data.get("exported_label") else "")
            if correct and data.get("text"):
                found.append((str(data["text"]), str(correct)))
        return found
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    reader = csv.DictReader(text.splitlines(keepends=True), dialect=dialect)
    if not reader.fieldnames or "text" not in reader.fieldnames or "correct_label" not in reader.fieldnames:
        raise ValueError(f"{path}: expected the columns text and correct_label (as tandem labels export writes)")
    return [(row["text"], row["correct_label"].strip()) for row in reader
            if row.get("text") and (row.get("correct_label") or "").strip()]


def read_gold(path: Path) -> list[tuple[str, str]]:
    from tandem.specialists.training.classify_data import read_labelled

    data = read_labelled(path, require_source=False)
    return list(zip(data.texts, data.labels, strict=True))


@labels_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="An exported file a person edited (csv/tsv/jsonl), or with --gold a "
                                         "labelled CSV/TSV (text, label).", show_default=False)],
    task: TaskOption,
    who: Annotated[str | None, typer.Option("--who", help="Who corrected the labels (source human:WHO; default: "
                                            "$USER).", show_default=False)] = None,
    gold: Annotated[bool, typer.Option("--gold", help="The file is gold data: every row is stored as "
                                       "gold:<file name>.")] = False,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was stored as one JSON object.")] = False,
) -> None:
    """Store corrections (human:WHO, which outrank gold files, which outrank LLM answers) or a gold file."""
    import getpass

    from tandem.storage.db import create_db_engine, unit_of_work
    from tandem.storage.labels import LabelRecord, save_labels

    if not path.is_file():
        fail(f"{path}: no such file")
    source = f"gold:{path.name}" if gold else f"human:{who or getpass.getuser()}"
    try:
        pairs = read_gold(path) if gold else read_corrections(path)
    except (ValueError, UnicodeDecodeError) as exc:
        fail(str(exc))
    engine = create_db_engine(open_results_db(db))
    with unit_of_work(engine) as session:
        stored = save_labels(session, [LabelRecord(task=task, text=t, label=label, source=source) for t, label in pairs])
    if as_json:
        print_json({"task": task, "source": source, "stored": stored})
    err.print(f"stored {stored} label(s) of {task!r} as {source}", highlight=False)
