"""Build a 3-class sentiment training TSV (``label<TAB>text``) from the shared data sets.

Sources (``../shared/datasets``, or ``--datasets``; nothing is copied into the repository):

* ``tweeteval_sentiment/val_text.txt`` + ``val_labels.txt``: 2,000 tweets, labels named by
  ``mapping.txt`` (0 negative, 1 neutral, 2 positive);
* ``sentiment_labelled_sentences/*_labelled.txt`` (``--reviews``): 3,000 review sentences, 0/1 mapped
  to negative/positive (no neutral class).

The TSV has the columns ``label``, ``text`` and ``source`` (``tweets`` or ``reviews``): the trainer uses
``source`` to notice that the reviews lack the neutral class and to weigh them by cross-validation.

Usage::

    python bench/prepare_sentiment.py /tmp/sentiment.tsv                 # tweets only (default)
    python bench/prepare_sentiment.py /tmp/sentiment.tsv --reviews       # tweets + review sentences
    tandem train classify --data /tmp/sentiment.tsv --name sentiment     # the defaults choose the recipe

    # estimate macro recall on unseen tweets: K-fold cross-validation over the tweets, each fold
    # trained through train_classifier with its defaults (plus every review sentence with --reviews)
    # and scored through evaluate_classifier on the fold's tweets
    python bench/prepare_sentiment.py /tmp/sentiment_cv --cv 5 [--reviews] [--finetune yes|no] [--features tfidf] [--lexicon vader]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from corpus import datasets_dir  # noqa: E402 - the bench folder is not a package

Row = tuple[str, str, str]  # (label, text, source)


def read_tweets(datasets: Path) -> list[Row]:
    folder = datasets / "tweeteval_sentiment"
    names: dict[str, str] = {}
    for line in (folder / "mapping.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            key, name = line.split(maxsplit=1)
            names[key] = name.strip()
    texts = (folder / "val_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / "val_labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(labels):
        raise SystemExit(f"{folder}: {len(texts)} texts but {len(labels)} labels")
    return [(names[label], text.strip(), "tweets") for text, label in zip(texts, labels, strict=True)
            if text.strip()]


def read_reviews(datasets: Path) -> list[Row]:
    rows = []
    for path in sorted((datasets / "sentiment_labelled_sentences").glob("*_labelled.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for line in lines[1:]:  # header line
            text, sep, score = line.rpartition("\t")
            if sep and text.strip() and score.strip() in ("0", "1"):
                rows.append(("positive" if score.strip() == "1" else "negative", text.strip(), "reviews"))
    return rows


def write_tsv(rows: list[Row], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["label", "text", "source"])
        writer.writerows(rows)


def stratified_folds(rows: list[Row], k: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    by_label: dict[str, list[int]] = {}
    for i, (label, _, _) in enumerate(rows):
        by_label.setdefault(label, []).append(i)
    for label in sorted(by_label):
        idx = by_label[label]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[j % k].append(i)
    return folds


def cross_validate(tweets: list[Row], extra: list[Row], k: int, out: Path,
                   finetune: str, seed: int, features: str = "auto",
                   finetune_seconds: float = 900.0, lexicon: str = "auto", heldout: float = 0.15,
                   only: set[int] | None = None) -> dict[str, object]:
    sys.path.insert(0, str(REPO))
    from tandem.specialists.evaluation.classify import evaluate_classifier
    from tandem.specialists.training.classify import train_classifier

    out.mkdir(parents=True, exist_ok=True)
    results = []
    for f, test_idx in enumerate(stratified_folds(tweets, k, seed)):
        if only is not None and f not in only:
            continue
        held = set(test_idx)
        train_rows = [r for i, r in enumerate(tweets) if i not in held] + extra
        test_rows = [tweets[i] for i in sorted(held)]
        with tempfile.TemporaryDirectory(dir=out) as tmp:
            train_path, test_path = Path(tmp) / "train.tsv", Path(tmp) / "test.tsv"
            write_tsv(train_rows, train_path)
            write_tsv(test_rows, test_path)
            started = time.perf_counter()
            card = train_classifier(train_path, f"fold{f}", models_dir=Path(tmp) / "models", heldout=heldout,
                                    finetune=finetune, seed=seed, features=features,
                                    finetune_seconds=finetune_seconds, lexicon=lexicon)
            train_s = time.perf_counter() - started
            scores = evaluate_classifier(test_path, f"fold{f}", models_dir=Path(tmp) / "models")
        row = {"fold": f, "train_rows": len(train_rows), "test_rows": len(test_rows),
               "macro_recall": scores.macro_recall, "macro_f1": scores.macro_f1,
               "accuracy": scores.accuracy, "docs_per_s": scores.docs_per_s, "train_s": round(train_s, 1),
               "refit": card.params.get("refit_on_all_rows"), "models": card.params.get("ensemble_models"),
               "head": f"{card.params['features']}/C={card.params['C']:g}"
                       + (f"+{card.params['lexicon']}" if card.params.get("lexicon") else ""),
               "finetuned": card.params["finetune"],
               "review_weight": (card.params.get("sources") or {}).get("partial_weight")}
        results.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    mean = {m: round(sum(float(r[m]) for r in results) / len(results), 4)  # type: ignore[arg-type]
            for m in ("macro_recall", "macro_f1", "accuracy")}
    summary = {"folds": results, "mean": mean, "finetune": finetune, "reviews": bool(extra), "features": features,
               "lexicon": lexicon, "heldout": heldout}
    (out / "cv_results.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="TSV to write (or, with --cv, a folder for the results)")
    parser.add_argument("--datasets", type=Path, default=None, help="shared datasets folder")
    parser.add_argument("--reviews", action="store_true", help="add the 3,000 review sentences (pos/neg)")
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="K-fold cross-validation over the tweets")
    parser.add_argument("--finetune", default="auto", choices=("auto", "yes", "no"),
                        help="with --cv: fine-tune MiniLM in each fold (default: the trainer decides)")
    parser.add_argument("--features", default="auto", help="with --cv: auto, hybrid, embedding or tfidf")
    parser.add_argument("--finetune-budget", type=float, default=900.0,
                        help="with --cv --finetune: seconds of fine-tuning per fold")
    parser.add_argument("--lexicon", default="auto", help="with --cv: auto, none or vader")
    parser.add_argument("--heldout", type=float, default=0.15,
                        help="with --cv: the trainer's held-out share, as in the default command (it then "
                             "refits on every row); 0 trains once on every row")
    parser.add_argument("--folds", default=None, help="with --cv: only these folds, e.g. 0,2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    datasets = args.datasets or datasets_dir()
    if not (datasets / "tweeteval_sentiment").is_dir():
        print(f"error: {datasets}/tweeteval_sentiment not found (pass --datasets)", file=sys.stderr)
        return 2
    out = args.out.resolve()
    if REPO in out.parents or out == REPO:
        print("error: write the data outside the repository (licences forbid redistribution)", file=sys.stderr)
        return 2
    tweets = read_tweets(datasets)
    extra = read_reviews(datasets) if args.reviews else []
    if args.cv:
        summary = cross_validate(tweets, extra, args.cv, out, args.finetune, args.seed, args.features,
                                 args.finetune_budget, args.lexicon, args.heldout,
                                 {int(f) for f in args.folds.split(",")} if args.folds else None)
        print(json.dumps(summary["mean"]))
        return 0
    rows = tweets + extra
    random.Random(args.seed).shuffle(rows)
    write_tsv(rows, out)
    counts: dict[str, int] = {}
    for label, _, _ in rows:
        counts[label] = counts.get(label, 0) + 1
    print(f"wrote {len(rows)} rows to {out}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
