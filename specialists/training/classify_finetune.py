"""Fine-tuning the whole MiniLM encoder for a classifier, within a time budget."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def finetune_encoder(texts: Sequence[str], labels: Sequence[str], out_dir: Path, *, epochs: int = 3,
                     batch_size: int = 16, lr: float = 5e-5, max_length: int = 128, max_seconds: float = 900.0,
                     seed: int = 0, progress: Callable[[str], None] | None = None,
                     row_weights: Sequence[float] | None = None,
                     allowed: Sequence[frozenset[str] | None] | None = None,
                     on_step: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Fine-tune the whole MiniLM encoder with a temporary linear head; save it to ``out_dir``.

    Mean pooling + dropout + a linear layer, class-weighted cross-entropy (each row also weighted by
    ``row_weights``; a row whose ``allowed`` entry is a label set is scored among those labels only), AdamW (the head at 20x
    the encoder's learning rate), linear warm-up and decay, gradient clipping, length-bucketed batches.
    The schedule is fitted to ``max_seconds``: after a few probe steps the number of steps is cut
    to what the budget allows, so a slow machine trains for fewer steps with a complete schedule.
    Saved with safetensors (``model.safetensors``) plus its config and tokenizer files, so
    :class:`tandem.specialists.encoder.SentenceEncoder` can load (and quantize) it. ``on_step(step, steps)`` is
    called after each optimisation step (for a progress bar). Returns statistics.
    """
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    steps_per_epoch = math.ceil(len(texts) / batch_size)
    planned = max(1, steps_per_epoch * epochs)
    run = _prepare(labels, row_weights, allowed, lr, {"total": planned, "warmup": max(1, planned // 10)})
    plan = run.plan
    probe_steps = min(8, planned)
    start = time.perf_counter()
    step = 0
    losses: list[float] = []
    run.model.train()
    epoch = 0
    while step < plan["total"]:
        # length buckets: sort by a noisy length, cut into batches, shuffle the batches
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]) * rng.uniform(0.8, 1.2))
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        rng.shuffle(batches)
        epoch_loss, seen = 0.0, 0
        for idx in batches:
            loss = _train_step(run, texts, idx, max_length)
            step += 1
            if on_step:
                on_step(step, plan["total"])
            epoch_loss += loss * len(idx)
            seen += len(idx)
            if step == probe_steps:
                _fit_to_budget(plan, (time.perf_counter() - start) / step, step, planned, max_seconds, progress)
            if step >= plan["total"] or time.perf_counter() - start > max_seconds * 1.25:
                break
        epoch += 1
        losses.append(epoch_loss / max(1, seen))
        if progress:
            progress(f"fine-tuning epoch {epoch}: loss {losses[-1]:.4f}, step {step}/{plan['total']} "
                     f"({time.perf_counter() - start:.0f} s)")
        if time.perf_counter() - start > max_seconds * 1.25:
            break
    run.model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    run.model.save_pretrained(str(out_dir), safe_serialization=True)
    run.tokenizer.save_pretrained(str(out_dir))
    return {"epochs": epochs, "epochs_run": epoch, "steps": step, "planned_steps": planned,
            "losses": [round(v, 5) for v in losses], "seconds": round(time.perf_counter() - start, 1),
            "batch_size": batch_size, "lr": lr, "max_length": max_length, "budget_s": max_seconds}


@dataclass
class _Run:
    """What the training steps work with: MiniLM and its tokenizer, the temporary head (with its dropout), the
    targets, the class weights (``weights``), the row weights (``rows``), the offsets that keep a row among its
    allowed labels, the optimiser, its schedule and ``plan`` (total and warm-up steps, which the schedule reads)."""

    tokenizer: Any
    model: Any
    head: Any
    dropout: Any
    y: Any
    weights: Any
    rows: Any
    offsets: Any
    optimizer: Any
    scheduler: Any
    loss_fn: Any
    plan: dict[str, int]


def _prepare(labels: Sequence[str], row_weights: Sequence[float] | None,
             allowed: Sequence[frozenset[str] | None] | None, lr: float, plan: dict[str, int]) -> _Run:
    """MiniLM loaded, a linear head over its hidden size, the targets and their weights, AdamW (the head at 20x
    the encoder's learning rate) with a linear warm-up and decay over ``plan``."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from tandem.specialists.encoder import minilm_path

    base = minilm_path()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModel.from_pretrained(str(base))
    names = sorted(set(labels))
    y = torch.tensor([names.index(label) for label in labels])
    counts = Counter(labels)
    weights = torch.tensor([len(labels) / (len(names) * counts[n]) for n in names], dtype=torch.float32)
    rows = torch.tensor(list(row_weights) if row_weights is not None else [1.0] * len(labels), dtype=torch.float32)
    # -inf-like offsets for the labels a row's source does not have
    offsets = torch.zeros(len(labels), len(names))
    for i, labels_of_row in enumerate(allowed or []):
        if labels_of_row is not None:
            offsets[i] = torch.tensor([0.0 if n in labels_of_row else -1e4 for n in names])
    head = torch.nn.Linear(model.config.hidden_size, len(names))
    dropout = torch.nn.Dropout(0.1)
    params = [{"params": model.parameters(), "lr": lr}, {"params": head.parameters(), "lr": lr * 20}]
    optimizer = torch.optim.AdamW(params, weight_decay=0.01)

    def schedule(step: int) -> float:
        warm, total = plan["warmup"], plan["total"]
        return min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, reduction="none")
    return _Run(tokenizer, model, head, dropout, y, weights, rows, offsets, optimizer, scheduler, loss_fn, plan)


def _train_step(run: _Run, texts: Sequence[str], idx: list[int], max_length: int) -> float:
    """One optimisation step on the rows ``idx`` (mean pooling, weighted loss, gradient clipping); its loss."""
    import torch

    enc = run.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt")
    hidden = run.model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    per_row = run.loss_fn(run.head(run.dropout(pooled)) + run.offsets[idx], run.y[idx]) * run.rows[idx]
    loss = per_row.sum() / (run.weights[run.y[idx]] * run.rows[idx]).sum().clamp(min=1e-9)
    run.optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
    run.optimizer.step()
    run.scheduler.step()
    return float(loss.item())


def _fit_to_budget(plan: dict[str, int], per_step: float, step: int, planned: int, max_seconds: float,
                   progress: Callable[[str], None] | None) -> None:
    """After the probe steps: cut ``plan`` (in place, the schedule follows) to the steps ``max_seconds`` allows."""
    affordable = max(step, int(max_seconds / per_step))
    if affordable < plan["total"]:
        plan["total"] = affordable
        plan["warmup"] = min(plan["warmup"], max(1, affordable // 10))
        if progress:
            progress(f"fine-tuning: {per_step:.1f} s/step, the {max_seconds:.0f} s budget allows "
                     f"{affordable} of {planned} steps")
