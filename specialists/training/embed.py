"""Train an ``embed.<name>`` artifact: the bundled MiniLM fine-tuned on scored sentence pairs.

Recipe (sentence-transformers, the field's standard library for it):

1. Read the pairs (the STS Benchmark format or a TSV/CSV with ``text_a``, ``text_b``, ``score``:
   :func:`~tandem.specialists.comparison.embed_pairs.read_pairs`).
2. Split the dev pairs in two by a hash of each pair's text (:func:`split_pairs`: the same halves on every
   machine and every run): the *early-stopping* half picks the best checkpoint, the *report* half is scored once,
   at the end, and is the figure the model card reports. Without ``--dev``, both halves come out of a tenth of the
   training pairs (held out of training).
3. Fine-tune with :class:`sentence_transformers.SentenceTransformerTrainer` and ``CoSENTLoss`` (the cosine of a pair
   ranked like its human score), AdamW at ``learning_rate`` with 10 % warm-up, evaluating Spearman on the
   early-stopping half every half epoch; ``transformers.EarlyStoppingCallback`` stops after ``patience``
   evaluations without improvement and the best checkpoint is kept (``load_best_model_at_end``).
4. Save the model (safetensors, tokenizer, mean pooling; no pickle) and ``model_card.json``: Spearman/Pearson of the
   stock encoder and of the trained one on the report half, both int8 as ``embed`` runs them.

Scores are cosines after mean pooling and L2 normalisation, as in :class:`~tandem.specialists.encoder.SentenceEncoder`,
which is what loads the artifact at inference (``embed.<name>``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy import stats

from tandem.specialists.artifacts import (
    ModelCard,
    artifact_dir,
    check_name,
    file_sha256,
    save_card,
    staged_folder,
)
from tandem.specialists.comparison.embed_pairs import ScoredPair, read_pairs
from tandem.specialists.encoder import MINILM_ID, SentenceEncoder, minilm_path

KIND = "embed"
#: share of the training pairs held out (split in two like a dev file) when no dev file is given
HOLDOUT_WITHOUT_DEV = 0.1


@dataclass(frozen=True)
class EmbedTrainingConfig:
    epochs: float = 4.0
    batch_size: int = 16
    learning_rate: float = 2e-5
    patience: int = 3
    max_length: int = 128
    seed: int = 13


#: ``(step, total steps, info)`` after each training step; ``info`` has ``early_spearman`` after an evaluation
OnStep = Callable[[int, int, dict[str, float]], None]


@dataclass
class EmbedTrainingResult:
    card: ModelCard
    folder: Path
    seconds: float


def pair_bucket(pair: ScoredPair, salt: str = "", buckets: int = 1000) -> int:
    """A stable bucket (0..buckets-1) of a pair: a hash of ``salt`` and its two texts, the same on every machine
    (another ``salt``: a split independent of the first)."""
    text = f"{salt}\t{pair.text_a}\t{pair.text_b}" if salt else f"{pair.text_a}\t{pair.text_b}"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:4], "big") % buckets


def split_pairs(pairs: Sequence[ScoredPair], share: float = 0.5,
                salt: str = "") -> tuple[list[ScoredPair], list[ScoredPair]]:
    """``(first, rest)``: the pairs whose hash bucket falls in the first ``share`` of the buckets, and the others."""
    cut = round(share * 1000)
    first = [p for p in pairs if pair_bucket(p, salt) < cut]
    rest = [p for p in pairs if pair_bucket(p, salt) >= cut]
    return first, rest


def plan_splits(train: list[ScoredPair], dev: list[ScoredPair] | None
                ) -> tuple[list[ScoredPair], list[ScoredPair], list[ScoredPair]]:
    """``(training, early-stopping, report)`` pairs (see the module docstring, step 2)."""
    if dev is None:
        held, train = split_pairs(train, HOLDOUT_WITHOUT_DEV, salt="held out")
        dev = held
    early, report = split_pairs(dev, 0.5)
    if len(early) < 3 or len(report) < 3:
        raise ValueError(f"the dev pairs split into {len(early)} for early stopping and {len(report)} to report: "
                         "each needs at least 3 (give a larger --dev file)")
    return train, early, report


def correlations(encoder: SentenceEncoder, pairs: Sequence[ScoredPair]) -> dict[str, float]:
    """Spearman and Pearson of the pairs' cosines (``encoder``'s vectors) against their human scores."""
    sentences = list(dict.fromkeys(s for p in pairs for s in (p.text_a, p.text_b)))
    matrix = encoder.encode(sentences)
    index = {s: i for i, s in enumerate(sentences)}
    cosines = [float(matrix[index[p.text_a]] @ matrix[index[p.text_b]]) for p in pairs]
    gold = [p.score for p in pairs]
    return {"spearman": round(float(stats.spearmanr(cosines, gold).statistic), 4),
            "pearson": round(float(stats.pearsonr(cosines, gold).statistic), 4)}


def _dataset(pairs: Sequence[ScoredPair]) -> Any:
    from datasets import Dataset

    return Dataset.from_dict({"sentence1": [p.text_a for p in pairs], "sentence2": [p.text_b for p in pairs],
                              "score": [p.score / 5.0 for p in pairs]})


def _progress_callback(on_step: OnStep) -> Any:
    from transformers import TrainerCallback

    class ReportProgress(TrainerCallback):  # type: ignore[misc]
        """Forwards the trainer's steps and early-stopping scores to ``on_step`` (a Rich bar in the CLI)."""

        info: dict[str, float] = {}

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            on_step(int(state.global_step), int(state.max_steps), dict(self.info))

        def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None,
                        **kwargs: Any) -> None:
            if metrics and "eval_early_spearman_cosine" in metrics:
                self.info = {"early_spearman": float(metrics["eval_early_spearman_cosine"])}
                on_step(int(state.global_step), int(state.max_steps), dict(self.info))

    return ReportProgress()


def finetune(train: list[ScoredPair], early: list[ScoredPair], out_dir: Path, config: EmbedTrainingConfig,
             on_step: OnStep | None = None) -> dict[str, Any]:
    """Fine-tune MiniLM on ``train`` with early stopping on ``early`` (step 3) and save the best model in
    ``out_dir``; returns what the trainer recorded (best Spearman on ``early``, steps, epochs run)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.evaluation import EmbeddingSimilarityEvaluator
    from sentence_transformers.losses import CoSENTLoss
    from transformers import EarlyStoppingCallback, PrinterCallback

    model = SentenceTransformer(str(minilm_path()), device="cpu")
    model.max_seq_length = config.max_length
    evaluator = EmbeddingSimilarityEvaluator([p.text_a for p in early], [p.text_b for p in early],
                                             [p.score / 5.0 for p in early], name="early")
    steps_per_epoch = max(1, len(train) // config.batch_size)
    eval_steps = max(1, steps_per_epoch // 2)
    with tempfile.TemporaryDirectory(prefix="tandem-embed-") as checkpoints:
        args = SentenceTransformerTrainingArguments(
            output_dir=checkpoints, num_train_epochs=config.epochs, per_device_train_batch_size=config.batch_size,
            learning_rate=config.learning_rate, warmup_ratio=0.1, seed=config.seed, use_cpu=True,
            eval_strategy="steps", eval_steps=eval_steps, save_strategy="steps", save_steps=eval_steps,
            save_total_limit=2, load_best_model_at_end=True, metric_for_best_model="eval_early_spearman_cosine",
            greater_is_better=True, logging_steps=eval_steps, report_to="none", disable_tqdm=on_step is not None,
            dataloader_num_workers=0)
        trainer = SentenceTransformerTrainer(
            model=model, args=args, train_dataset=_dataset(train), loss=CoSENTLoss(model), evaluator=evaluator,
            callbacks=[EarlyStoppingCallback(early_stopping_patience=config.patience),
                       *([_progress_callback(on_step)] if on_step else [])])
        if on_step is not None:  # its own progress instead: nothing printed on stdout (--json prints the card)
            trainer.remove_callback(PrinterCallback)
        trainer.train()
        state = trainer.state
        model.save(str(out_dir), safe_serialization=True)
    return {"best_early_spearman": round(float(state.best_metric or 0.0), 4), "steps": int(state.global_step),
            "epochs_run": round(float(state.epoch or 0.0), 2), "eval_every_steps": eval_steps}


def train_embedder(pairs_path: Path, name: str, dev_path: Path | None = None, models_dir: Path | None = None,
                   config: EmbedTrainingConfig | None = None, on_step: OnStep | None = None) -> EmbedTrainingResult:
    """Train and save ``embed.<name>`` (see the module docstring); returns its card and folder."""
    config = config or EmbedTrainingConfig()
    check_name(name)
    started = time.perf_counter()
    train, early, report = plan_splits(read_pairs(pairs_path), read_pairs(dev_path) if dev_path else None)
    stock = correlations(SentenceEncoder(minilm_path(), quantize=True, max_length=256), report)
    final = artifact_dir(name, models_dir)
    with staged_folder(final) as folder:
        trained = finetune(train, early, folder, config, on_step)
        for leftover in folder.rglob("*.bin"):  # safetensors only: nothing that unpickles at load
            leftover.unlink()
        mine = correlations(SentenceEncoder(folder, quantize=True, max_length=256), report)
        reported_on = f"{dev_path.name if dev_path else pairs_path.name} report half"
        card = ModelCard(
            name=name, kind=KIND, base_model=MINILM_ID, data_path=str(pairs_path),
            data_sha256=file_sha256(pairs_path), labels=[], n_train=len(train), n_heldout=len(report),
            metrics={"report": {"pairs": len(report), "trained_int8": mine, "stock_int8": stock},
                     "early_stopping": {"pairs": len(early), **trained}},
            params={"loss": "CoSENTLoss", "epochs": config.epochs, "batch_size": config.batch_size,
                    "learning_rate": config.learning_rate, "patience": config.patience,
                    "max_length": config.max_length, "seed": config.seed,
                    "dev_path": str(dev_path) if dev_path else None},
            metrics_of=(f"the saved model (best checkpoint on {len(early)} early-stopping pairs), scored on the "
                        f"{len(report)} pairs of the {reported_on}, which neither training nor early stopping saw; "
                        "int8 as embed runs it"))
        save_card(card, folder)
    return EmbedTrainingResult(card=card, folder=final, seconds=round(time.perf_counter() - started, 1))

