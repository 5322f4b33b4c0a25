"""Train a ``classify.<name>`` artifact from a labelled CSV/TSV file.

Recipe (see :mod:`tandem.specialists.classifier` for the model, :mod:`tandem.specialists.classifier_artifact` for the
artifact's files); with the defaults every choice below is made from the data, by cross-validation:

1. Read ``text``/``label`` columns (names configurable) and, when present, a ``source`` column from a
   CSV or TSV file with a header. Sources whose label set lacks labels another source has are
   *partial* (:mod:`~tandem.specialists.training.classify_sources`): they are never held out or scored, and
   their weight (0 sets them aside) is cross-validated on the other sources' rows.
2. Hold out a stratified share (default 15 %) for the model card's metrics.
3. Embed the training texts once with the int8-quantized MiniLM (the exact encoder used at inference),
   fit TF-IDF blocks, and pick the head's features, ``C`` and lexicon by 3-fold cross-validation
   (macro recall, i.e. balanced accuracy): TF-IDF alone, the embedding alone or both ("hybrid"), each
   with and without the VADER lexicon's scores, preferring the cheapest within 0.005 of the best score;
   class-balanced logistic regression.
4. ``finetune="auto"`` (default): when that head scores below :data:`AUTO_FINETUNE_BELOW` macro recall and
   there are at most :data:`AUTO_FINETUNE_MAX_ROWS` rows, fine-tune the whole MiniLM encoder
   (mean pooling + a linear layer, class-weighted cross-entropy, AdamW, length-bucketed batches, a time
   budget), save it in the artifact with safetensors, and choose the head again on its embeddings.
5. Score the held-out part through the same inference path as :func:`load_classifier` (throughput
   included) for the model card.
6. ``refit=True`` (default): learn again from every row, held-out part included, with the recipe chosen
   above (fine-tuning too, when what is left of its time budget allows a run as long as the first), so the
   saved model is the one cross-validation measures; save everything without pickle and write
   ``model_card.json`` (its metrics are those of step 5: a slightly pessimistic estimate). ``ensemble=True``
   (default): when the encoder was fine-tuned again, the model of step 5 is kept as a second member whose
   probabilities are averaged with the refit model's (two fine-tuned encoders: twice the inference cost).

The steps live in :mod:`~tandem.specialists.training.classify_rows` (1, 2: the file read by
:mod:`~tandem.specialists.training.classify_data`, its sources planned by
:mod:`~tandem.specialists.training.classify_sources`), :mod:`~tandem.specialists.training.classify_head` (3) and
:mod:`~tandem.specialists.training.classify_finetune` (4); this module is the entry point, :func:`train_classifier`,
which runs them in order and does steps 5 and 6.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tandem.specialists.artifacts import (
    ModelCard,
    artifact_dir,
    check_name,
    file_sha256,
    save_card,
    staged_folder,
)
from tandem.specialists.classifier import TrainedClassifier
from tandem.specialists.classifier_artifact import (
    CONFIG_FILE,
    ENCODER_DIR,
    HEAD_FILE,
    KIND,
    MEMBER_DIR,
    VOCAB_FILE,
    write_classifier_files,
)
from tandem.specialists.lexicon import LEXICONS, check_lexicon
from tandem.specialists.training.classify_data import read_labelled
from tandem.specialists.training.classify_finetune import finetune_encoder
from tandem.specialists.training.classify_head import (
    C_GRID,
    DEFAULT_C,
    FEATURE_SETS,
    Candidate,
    Progress,
    blocks_for,
    candidate_key,
    fit_featurizer,
    fit_head,
    select_head,
)
from tandem.specialists.training.classify_rows import TrainingRows, read_training_rows
from tandem.specialists.training.classify_sources import SourcePlan, choose_partial_weight

#: ``read_labelled`` is re-exported for callers of the one-module layout (``tandem.specialists.evaluation``)
__all__ = ["Progress", "read_labelled", "train_classifier"]

#: ``finetune="auto"`` fine-tunes when the frozen encoder's best head scores below this macro recall ...
AUTO_FINETUNE_BELOW = 0.9
#: ... and the training part has at most this many rows (about 30 minutes on 2 cores)
AUTO_FINETUNE_MAX_ROWS = 20_000
FINETUNE_CHOICES = ("auto", "yes", "no")
LEXICON_CHOICES = ("auto", "none", *LEXICONS)


def _lexicon_options(lexicon: str | None) -> list[str | None]:
    if lexicon == "auto":
        return [None, *LEXICONS]
    if lexicon in (None, "none"):
        return [None]
    check_lexicon(lexicon)
    return [lexicon]


def _finetune_choice(finetune: bool | str) -> str:
    if isinstance(finetune, bool):
        return "yes" if finetune else "no"
    if finetune not in FINETUNE_CHOICES:
        raise ValueError(f"finetune must be one of {', '.join(FINETUNE_CHOICES)}, not {finetune!r}")
    return finetune


def train_classifier(data: Path | str, name: str, models_dir: str | Path | None = None, text_col: str = "text",
                     label_col: str = "label", finetune: bool | str = "auto", heldout: float = 0.15, seed: int = 0,
                     progress: Progress | None = None, *, features: str = "auto", C: float | None = None,
                     epochs: int = 3, finetune_seconds: float = 900.0, lexicon: str | None = "auto",
                     source_col: str | None = "source", refit: bool = True, ensemble: bool = True,
                     on_step: Callable[[int, int], None] | None = None) -> ModelCard:
    """Train ``classify.<name>`` from ``data`` and save it to ``<models_dir>/<name>/``; return its card.

    ``features``: ``auto`` (cross-validated: the cheapest of tfidf / embedding / hybrid within
    :data:`~tandem.specialists.training.classify_head.SELECTION_TOLERANCE` macro recall of the best; after
    fine-tuning the embedding head only), ``hybrid``, ``embedding`` or ``tfidf``; ``C``: the head's inverse
    regularisation (cross-validated over :data:`~tandem.specialists.training.classify_head.C_GRID` when None).
    ``lexicon``: ``auto`` (with and without each lexicon, cross-validated), ``none``/None, or ``vader``.
    ``finetune``: ``auto`` (see the module docstring), ``yes``/True or ``no``/False; fine-tuning runs
    ``epochs`` epochs cut to fit ``finetune_seconds`` (see :func:`finetune_encoder`). ``source_col``: the
    column naming each row's source, used when the file has it (required when it is not ``source``).
    ``refit``: after the held-out part is scored, learn again from every row (step 6 above); ``ensemble``:
    when that refit fine-tunes the encoder again, keep the first model too and average the two (step 6).
    ``on_step(step, steps)`` follows the fine-tuning steps.
    Raises ValueError for unreadable data, unknown columns or fewer than two labels.
    """
    from tandem.specialists.encoder import MINILM_ID

    say = progress or (lambda _message: None)
    check_name(name)
    if features not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {features!r}; choose one of {', '.join(FEATURE_SETS)}")
    lexicons = _lexicon_options(lexicon)
    fine = _finetune_choice(finetune)
    started = time.perf_counter()
    rows = read_training_rows(Path(data), text_col, label_col, source_col, heldout, seed, say)
    path = rows.path
    with staged_folder(artifact_dir(name, models_dir)) as tmp:
        run = _Training(rows, tmp, features=features, C=C, lexicons=lexicons, epochs=epochs, seed=seed,
                        progress=progress, on_step=on_step, say=say)
        run.choose_recipe(fine, finetune_seconds)
        featurizer, labels, coef, intercept = run.fit_and_write(rows.train_texts, rows.train_labels,
                                                                rows.train_sources, run.encoder, run.embeddings)
        base_model = MINILM_ID + ("+finetuned" if run.fine_tuned else "")
        card = ModelCard(name=name, kind=KIND, base_model=base_model, data_path=str(path.resolve()),
                         data_sha256=file_sha256(path), labels=labels, n_train=len(rows.train_texts),
                         n_heldout=len(rows.held_texts))
        metrics = run.score_heldout(card, featurizer, labels, coef, intercept)
        refit_note, members = run.refit(refit, ensemble, finetune_seconds)
        chosen_features, chosen_C, chosen_lexicon = run.chosen
        params: dict[str, Any] = {
            "features": chosen_features, "lexicon": chosen_lexicon, "C": chosen_C, "class_weight": "balanced",
            "embedding_weight": run.weight, "blocks": run.blocks, "finetune": run.fine_tuned, "finetune_asked": fine,
            "finetune_reason": run.finetune_reason, "heldout": heldout,
            "refit_on_all_rows": refit_note, "ensemble_models": 1 + len(members), "seed": seed, "text_col": text_col, "label_col": label_col, "selection_macro_recall": run.selection,
            "label_counts": dict(sorted(rows.counts.items())),
            "sources": rows.plan.as_params() if rows.plan is not None else None,
            "train_seconds": round(time.perf_counter() - started, 1),
        }
        if run.finetune_stats is not None:
            params["finetune_stats"] = run.finetune_stats
        card = card.model_copy(update={"metrics": metrics, "params": params,
                                       "metrics_of": metrics_scope(len(rows.train_texts), len(rows.held_texts),
                                                                   members, refit_note)})
        save_card(card, tmp)
    say(f"saved {name} in {time.perf_counter() - started:.0f} s")
    return card


@dataclass
class _Training:
    """Steps 3 to 6 inside the artifact's staged folder ``tmp``, and the state carried from one to the next: the
    encoder (the shared int8 MiniLM, or the one fine-tuned into ``tmp``) and the head chosen for it."""

    rows: TrainingRows
    tmp: Path
    features: str
    C: float | None
    lexicons: list[str | None]
    epochs: int
    seed: int
    progress: Progress | None
    on_step: Callable[[int, int], None] | None
    say: Progress
    encoder: Any = None
    fine_tuned: bool = False
    finetune_reason: str = ""
    finetune_stats: dict[str, Any] | None = None
    chosen: Candidate = ("hybrid", DEFAULT_C, None)
    selection: dict[str, float] = field(default_factory=dict)
    embeddings: np.ndarray | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    weight: float = 0.0

    def choose_recipe(self, fine: str, finetune_seconds: float) -> None:
        """Steps 3 and 4: the head on the frozen encoder, the partial sources' weight, whether to fine-tune (and
        then the fine-tuning and the head again on its embeddings)."""
        from tandem.specialists.encoder import SentenceEncoder, shared_encoder

        rows, plan = self.rows, self.rows.plan
        self.encoder = shared_encoder(quantize=True)
        self.fine_tuned = fine == "yes"
        self.finetune_reason = "asked for" if fine == "yes" else "not asked for"
        if not self.fine_tuned or (plan is not None and plan.partial):
            self.chosen, self.selection, self.embeddings = self.choose_head(self.encoder, False)
            if fine == "auto":
                best = max(self.selection.values()) if self.selection else None
                self.fine_tuned, self.finetune_reason = _auto_finetune(best, len(rows.train_texts))
                self.say(self.finetune_reason)
        if plan is not None and plan.partial and rows.can_select:
            _choose_partial_weight(plan, self.chosen, rows.train_texts, rows.train_labels, rows.train_sources,
                                   self.embeddings, self.seed, self.say)
        if self.fine_tuned:
            self.finetune_stats = self.fine_tune(rows.train_texts, rows.train_labels, rows.train_sources,
                                                 self.tmp / ENCODER_DIR, finetune_seconds)
            self.encoder = SentenceEncoder(self.tmp / ENCODER_DIR, quantize=True)
            self.chosen, self.selection, self.embeddings = self.choose_head(self.encoder, True)
        self.say(f"head: {candidate_key(self.chosen)}")
        self.blocks, self.weight = blocks_for(self.chosen[0])

    def row_weights(self, row_sources: list[str]) -> list[float]:
        """Each row's weight in training: its source's (1 for every row of a file without partial sources)."""
        return self.rows.plan.row_weights(row_sources) if self.rows.plan is not None else [1.0] * len(row_sources)

    def embed_rows(self, encoder: Any, texts: list[str], row_sources: list[str], fine_tuned: bool) -> np.ndarray:
        """The texts' embeddings; rows set aside (weight 0) count for nothing in the head: theirs stay zero."""
        weights = self.row_weights(row_sources)
        used = [i for i, w in enumerate(weights) if w > 0]
        self.say(f"embedding {len(used)} training texts with MiniLM (int8{', fine-tuned' if fine_tuned else ''})")
        t0 = time.perf_counter()
        vectors = encoder.encode([texts[i] for i in used])
        embeddings = np.zeros((len(texts), vectors.shape[1]), dtype=vectors.dtype)
        embeddings[used] = vectors
        self.say(f"embedded in {time.perf_counter() - t0:.0f} s")
        return embeddings

    def fine_tune(self, texts: list[str], labels: list[str], row_sources: list[str], out: Path,
                  seconds: float) -> dict[str, Any]:
        """Step 4: fine-tune MiniLM on the rows not set aside (a partial row among its source's labels only)."""
        plan = self.rows.plan
        weights = self.row_weights(row_sources)
        keep = [i for i, w in enumerate(weights) if w > 0]
        allowed = plan.allowed_labels(row_sources) if plan is not None else None
        self.say(f"fine-tuning MiniLM on {len(keep)} texts ({self.epochs} epochs, budget {seconds:.0f} s)")
        return finetune_encoder(
            [texts[i] for i in keep], [labels[i] for i in keep], out, epochs=self.epochs,
            max_seconds=seconds, seed=self.seed, progress=self.progress, row_weights=[weights[i] for i in keep],
            allowed=[allowed[i] for i in keep] if allowed is not None else None, on_step=self.on_step)

    def choose_head(self, encoder: Any, fine_tuned: bool) -> tuple[Candidate, dict[str, float], np.ndarray | None]:
        """Step 3: the head (features, ``C``, lexicon), its candidates' cross-validated scores (none when there
        was nothing to choose or too few rows) and the training rows' embeddings (None for a TF-IDF head)."""
        rows, features, C = self.rows, self.features, self.C
        if features == "auto":
            # after fine-tuning, the training rows' embeddings come from an encoder fitted to those rows: a
            # cross-validation on them cannot tell whether TF-IDF blocks beside them help, only the embedding
            # head (with or without the lexicon, C cross-validated) is a candidate
            feature_sets = ["embedding"] if fine_tuned else ["tfidf", "hybrid", "embedding"]
        else:
            feature_sets = [features]
        candidates: list[Candidate] = [(f, c, lex) for f in feature_sets for c in ((C,) if C else C_GRID[f])
                                       for lex in self.lexicons]
        embeddings = None
        if any(f != "tfidf" for f, _, _ in candidates):
            embeddings = self.embed_rows(encoder, rows.train_texts, rows.train_sources, fine_tuned)
        if len(candidates) > 1 and rows.can_select:
            n = rows.n_complete
            emb = embeddings[:n] if embeddings is not None else None
            chosen, scores = select_head(rows.train_texts[:n], rows.train_labels[:n], emb, candidates,
                                         seed=self.seed, progress=self.progress)
            return chosen, scores, embeddings
        fallback = candidates[0] if features != "auto" else ("hybrid", candidates[0][1], candidates[0][2])
        return (fallback[0], C or DEFAULT_C, fallback[2]), {}, embeddings

    def fit_and_write(self, texts: list[str], row_labels: list[str], row_sources: list[str], encoder: Any,
                      row_embeddings: np.ndarray | None,
                      members: tuple[str, ...] = ()) -> tuple[Any, list[str], np.ndarray, np.ndarray]:
        """The chosen head fitted on ``texts`` and written to the artifact folder."""
        _, chosen_C, chosen_lexicon = self.chosen
        blocks, weight, plan = self.blocks, self.weight, self.rows.plan
        featurizer, vocabularies, idfs = fit_featurizer(texts, blocks, weight, encoder, chosen_lexicon)
        labels, coef, intercept = fit_head(
            featurizer.transform(texts, row_embeddings if weight > 0 else None), row_labels, chosen_C, seed=self.seed,
            row_weights=plan.row_weights(row_sources) if plan is not None else None)
        write_classifier_files(self.tmp, labels=labels, blocks=blocks, vocabularies=vocabularies, idfs=idfs,
                               embedding_weight=weight, coef=coef, intercept=intercept, fine_tuned=self.fine_tuned,
                               lexicon=chosen_lexicon, lexicon_weight=featurizer.lexicon_weight,
                               members=members)
        return featurizer, labels, coef, intercept

    def score_heldout(self, card: ModelCard, featurizer: Any, labels: list[str], coef: np.ndarray,
                      intercept: np.ndarray) -> dict[str, Any]:
        """Step 5: the held-out part scored through the inference path, throughput included (none: {})."""
        from tandem.specialists.metrics.classification import classification_report

        held_texts = self.rows.held_texts
        if not held_texts:
            return {}
        model = TrainedClassifier(card, self.tmp, featurizer, labels, coef, intercept, {})
        t0 = time.perf_counter()
        predicted = [c.label for c in model.predict(held_texts)]
        seconds = time.perf_counter() - t0
        metrics: dict[str, Any] = classification_report(self.rows.held_labels, predicted)
        metrics["docs_per_s"] = round(len(held_texts) / seconds, 1) if seconds > 0 else None
        metrics["heldout_docs"] = len(held_texts)
        self.say(f"held-out: accuracy {metrics['accuracy']:.4f}, macro F1 {metrics['macro_f1']:.4f}, "
                 f"macro recall {metrics['macro_recall']:.4f} ({metrics['docs_per_s']} docs/s)")
        return metrics

    def refit(self, refit: bool, ensemble: bool, finetune_seconds: float) -> tuple[str, tuple[str, ...]]:
        """Step 6: learn again from every row with the recipe chosen (fine-tuning again when what is left of the
        budget allows; with ``ensemble`` the scored model stays as a member); ``(what was refit, members)``."""
        from tandem.specialists.encoder import SentenceEncoder

        rows, tmp, stats = self.rows, self.tmp, self.finetune_stats
        if not rows.held_texts or not refit:
            return ("no held-out part" if not rows.held_texts else "not asked for"), ()
        # the held-out part has been scored: the saved model learns from every row, with the recipe chosen
        all_texts, all_labels = rows.train_texts + rows.held_texts, rows.train_labels + rows.held_labels
        all_sources = rows.train_sources + rows.held_sources
        spent = stats["seconds"] if stats is not None else 0.0
        left = finetune_seconds - spent
        if self.fine_tuned and left < spent * 1.2:
            refit_note = (f"head only: the fine-tuning budget has {left:.0f} s left, the first fine-tuning took "
                          f"{spent:.0f} s")
        else:
            refit_note = "encoder and head" if self.fine_tuned else "head"
        members: tuple[str, ...] = ()
        if stats is not None and refit_note == "encoder and head":
            if ensemble:
                # the model scored above stays, as the ensemble's second member
                refit_note += "; ensemble with the model scored on the held-out part"
                (tmp / MEMBER_DIR).mkdir()
                for file in (CONFIG_FILE, VOCAB_FILE, HEAD_FILE, ENCODER_DIR):
                    (tmp / file).rename(tmp / MEMBER_DIR / file)
                members = (MEMBER_DIR,)
            self.say(f"refitting on all {len(all_texts)} rows ({refit_note})")
            refit_dir = tmp / f"{ENCODER_DIR}.refit"
            stats["refit"] = self.fine_tune(all_texts, all_labels, all_sources, refit_dir, left)
            shutil.rmtree(tmp / ENCODER_DIR, ignore_errors=True)
            refit_dir.rename(tmp / ENCODER_DIR)
            self.encoder = SentenceEncoder(tmp / ENCODER_DIR, quantize=True)
        else:
            self.say(f"refitting on all {len(all_texts)} rows ({refit_note})")
        all_emb = self.embed_rows(self.encoder, all_texts, all_sources, self.fine_tuned) if self.weight > 0 else None
        self.fit_and_write(all_texts, all_labels, all_sources, self.encoder, all_emb, members)
        return refit_note, members


def _auto_finetune(best: float | None, n_rows: int) -> tuple[bool, str]:
    """``finetune="auto"``: whether to fine-tune, given the frozen encoder's best cross-validated score (None
    when there was none) and the training rows, and why, in words."""
    fine_tuned = best is not None and best < AUTO_FINETUNE_BELOW and n_rows <= AUTO_FINETUNE_MAX_ROWS
    return fine_tuned, (
        "no cross-validated score to judge by (too few rows)" if best is None else
        f"the frozen encoder's best head scores {best:.3f} macro recall in cross-validation, "
        + (f"below {AUTO_FINETUNE_BELOW}: fine-tuning" if fine_tuned else
           f"at least {AUTO_FINETUNE_BELOW}: no fine-tuning" if best >= AUTO_FINETUNE_BELOW else
           f"but {n_rows} rows exceed {AUTO_FINETUNE_MAX_ROWS}: no fine-tuning"))


def metrics_scope(n_train: int, n_heldout: int, members: tuple[str, ...], refit_note: str) -> str:
    """What the card's metrics describe, in words: the saved model on rows it never saw, or (after a refit)
    the model trained before it, the saved one having learnt from the scored rows too."""
    if not n_heldout:
        return "no metrics: nothing was held out"
    scored = f"the model trained on {n_train} rows, scored on {n_heldout} held-out rows it never saw"
    if refit_note in ("not asked for", "no held-out part"):
        return f"{scored}: the saved model"
    kept = "; kept as a member of the saved ensemble" if members else ""
    return (f"{scored}; the saved model was then refit on all {n_train + n_heldout} rows, held-out rows included "
            f"(expected at least as good, not scored: those rows are its training rows now){kept}")


def _choose_partial_weight(plan: SourcePlan, chosen: Candidate, texts: list[str], labels: list[str],
                           sources: list[str], embeddings: np.ndarray | None, seed: int, say: Progress) -> None:
    """Cross-validate the partial sources' weight with the chosen head's features (frozen encoder)."""
    features, C, lexicon = chosen
    blocks, weight = blocks_for(features)
    featurizer, _, _ = fit_featurizer(texts, blocks, weight, encoder=None, lexicon=lexicon)
    matrix = featurizer.transform(texts, embeddings if weight > 0 else None)
    choose_partial_weight(plan, matrix, labels, sources, C, seed=seed)
    say(plan.describe())
