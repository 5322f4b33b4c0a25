"""The confidence cascade as one more system of ``tandem compare``, simulated from two measured runs.

A cascade (stage ``cascade``, :mod:`tandem.stages.cascade`) sends a document to the LLM when the specialist's
confidence is below a threshold. Given the specialist's and the LLM's :class:`SystemRun` over the same
gold documents, the outputs of the cascade at any threshold are known without running anything again
(:func:`tandem.stages.cascade.combine`, the stage's own rule), so the threshold can be chosen on the gold data:

* :func:`select_threshold` (pure): the best quality with at most a share ``S`` of documents sent to the
  LLM; candidate thresholds are 0 (never route) and the distinct confidences (a document goes to the LLM
  when its confidence is *below* the threshold); ties go to the threshold that sends fewer documents, so
  when the LLM never improves on the specialist the choice is 0 and nothing is sent;
* :func:`choose_label_threshold` (pure): the same for labels, scored by macro F1;
* :func:`cascade_system`: the chosen cascade as a :class:`SystemReport` (``kind="cascade"``): metrics of
  the combined outputs; latency = the specialist's plus, for routed documents, the LLM's; LLM calls and
  tokens of the routed documents only; CPU and wall time of the specialist plus the routed documents'
  share of the LLM's (by LLM latency); ``note`` = the threshold, the LLM share, the verdict in words and
  a pipeline snippet ready to paste.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.measure import SystemRun
from tandem.specialists.comparison.report import PRIMARY_METRIC, SystemReport, system_report
from tandem.stages.cascade import combine, specialist_confidence
from tandem.stages.contracts import Classification, Entities, StageFailure, StageOutput, Usage

#: quality differences below this are ties (float noise of averaged metrics)
TIE = 1e-9
#: the LLM stage of each task the cascade can route to
LLM_STAGES = {"classify": "classify.llm", "ner": "ner.llm"}


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen threshold, how many of ``docs`` it sends to the LLM, and its quality against the
    specialist alone (threshold 0)."""

    threshold: float
    routed: int
    docs: int
    quality: float
    specialist_quality: float

    @property
    def llm_share(self) -> float:
        return self.routed / self.docs if self.docs else 0.0

    @property
    def llm_helps(self) -> bool:
        """False when sending nothing to the LLM is the best choice within the share bound."""
        return self.routed > 0


def candidate_thresholds(confidences: Sequence[float | None]) -> list[float]:
    """0 (never route) and every distinct confidence, ascending (``None``: a failed document, never routed)."""
    return sorted({0.0, *(c for c in confidences if c is not None)})


def routed_at(confidences: Sequence[float | None], threshold: float) -> list[bool]:
    """Which documents a cascade at ``threshold`` sends to the LLM: confidence strictly below it."""
    return [c is not None and c < threshold for c in confidences]


def select_threshold(confidences: Sequence[float | None], quality: Callable[[float], float],
                     max_llm_share: float) -> ThresholdChoice:
    """The candidate threshold with the best ``quality(threshold)`` among those sending at most a share
    ``max_llm_share`` of the documents to the LLM; ties → fewer LLM documents."""
    if not 0.0 <= max_llm_share <= 1.0:
        raise ValueError(f"the target LLM share must be between 0 and 1, got {max_llm_share}")
    docs = len(confidences)
    allowed = max_llm_share * docs + TIE
    best: tuple[float, int, float] | None = None  # (quality, routed, threshold)
    baseline = quality(0.0)
    for threshold in candidate_thresholds(confidences):
        routed = sum(routed_at(confidences, threshold))
        if routed > allowed:
            break  # candidates ascend, so every later one routes at least as many
        value = baseline if routed == 0 else quality(threshold)
        if best is None or value > best[0] + TIE or (abs(value - best[0]) <= TIE and routed < best[1]):
            best = (value, routed, threshold)
    assert best is not None  # threshold 0 routes nothing and is always allowed
    value, routed, threshold = best
    return ThresholdChoice(threshold=0.0 if routed == 0 else threshold, routed=routed, docs=docs, quality=value,
                           specialist_quality=baseline)


def choose_label_threshold(gold: Sequence[str], confidences: Sequence[float], specialist: Sequence[str],
                           llm: Sequence[str | None], max_llm_share: float) -> ThresholdChoice:
    """:func:`select_threshold` for labels: per gold document the specialist's confidence and label and the
    LLM's label (``None``: the LLM failed, the specialist's label is kept), scored by macro F1."""
    from tandem.specialists.metrics.classification import macro_f1

    if not len(gold) == len(confidences) == len(specialist) == len(llm):
        raise ValueError("gold, confidences, specialist and llm labels differ in length")

    def quality(threshold: float) -> float:
        routed = routed_at(confidences, threshold)
        predicted = [(answer if sent and answer is not None else own)
                     for own, answer, sent in zip(specialist, llm, routed)]
        return macro_f1(gold, predicted)

    return select_threshold(confidences, quality, max_llm_share)


class CascadeOutcomes:
    """Each document's cascade output when kept by the specialist and when sent to the LLM (the stage's rule,
    :func:`tandem.stages.cascade.combine`), built once, so any threshold's outputs are a selection."""

    def __init__(self, specialist: Sequence[StageOutput | StageFailure],
                 llm: Sequence[StageOutput | StageFailure]) -> None:
        if len(specialist) != len(llm):
            raise ValueError(f"{len(specialist)} specialist outputs but {len(llm)} LLM outputs")
        self.confidences = [None if isinstance(o, StageFailure) else specialist_confidence(o) for o in specialist]
        self.kept = [combine(own, None, 0.0)[0] for own in specialist]
        self.sent = [combine(own, answer, 2.0)[0] for own, answer in zip(specialist, llm)]

    def at(self, threshold: float) -> tuple[list[StageOutput | StageFailure], list[bool]]:
        """The outputs of a cascade at ``threshold`` and which documents it sends to the LLM."""
        routed = routed_at(self.confidences, threshold)
        return [sent if go else kept for kept, sent, go in zip(self.kept, self.sent, routed)], routed


def cascade_system(task: str, specialist: SystemRun, llm: SystemRun,
                   score: Callable[[list[StageOutput | StageFailure]], dict[str, Any]], cost: CostModel,
                   target_llm_share: float) -> SystemReport:
    """The cascade of ``specialist`` then ``llm`` at the threshold with the best quality (the task's primary
    metric from ``score``) sending at most ``target_llm_share`` of the documents to the LLM, as one more
    system (``kind="cascade"``). Both runs must cover the same gold documents in the same order.

    Raises ValueError for a task without a cascade (summarize), runs of different lengths, or NER
    entities without scores (run ``ner.spacy`` with ``entity_scores: true``).
    """
    if task not in LLM_STAGES:
        raise ValueError(f"a cascade routes classify or ner outputs, not {task!r}")
    if specialist.docs != llm.docs:
        raise ValueError(f"the specialist ran on {specialist.docs} documents and the LLM on {llm.docs}: "
                         "a cascade needs both over the same gold documents")
    _check_scores(specialist.outputs)
    metric = PRIMARY_METRIC[task]
    outcomes = CascadeOutcomes(specialist.outputs, llm.outputs)

    def quality(threshold: float) -> float:
        value = score(outcomes.at(threshold)[0]).get(metric)
        return float(value) if isinstance(value, int | float) else 0.0

    choice = select_threshold(outcomes.confidences, quality, target_llm_share)
    outputs, routed = outcomes.at(choice.threshold)
    run = _combined_run(specialist, llm, outputs, routed)
    note = cascade_note(task, choice, target_llm_share, metric, specialist, llm)
    return system_report(run, score(outputs), cost, note=note)


def _check_scores(outputs: Sequence[StageOutput | StageFailure]) -> None:
    for output in outputs:
        if isinstance(output, Entities) and any(e.score is None for e in output.entities):
            raise ValueError("the specialist's entities carry no scores, so a cascade cannot tell how sure it "
                             "is: run ner.spacy with entity_scores: true")


def _combined_run(specialist: SystemRun, llm: SystemRun, outputs: list[StageOutput | StageFailure],
                  routed: list[bool]) -> SystemRun:
    """Timings and usage of the cascade: the specialist's, plus the LLM's for the routed documents."""
    latencies = [own + (answer if sent else 0.0)
                 for own, answer, sent in zip(specialist.latencies_ms, llm.latencies_ms, routed, strict=True)]
    llm_ms = sum(llm.latencies_ms)
    sent_ms = sum(ms for ms, sent in zip(llm.latencies_ms, routed) if sent)
    share = sent_ms / llm_ms if llm_ms > 0 else (sum(routed) / llm.docs if llm.docs else 0.0)
    per_doc = llm.usages
    if len(per_doc) == llm.docs:
        llm_usage = Usage()
        for usage, sent in zip(per_doc, routed):
            if sent:
                llm_usage = llm_usage + usage.model_copy(update={"latency_ms": 0.0})
    else:  # no per-document usage: the routed documents' share of the totals, by count
        count_share = sum(routed) / llm.docs if llm.docs else 0.0
        llm_usage = Usage(prompt_tokens=round(llm.usage.prompt_tokens * count_share),
                          completion_tokens=round(llm.usage.completion_tokens * count_share),
                          llm_calls=round(llm.usage.llm_calls * count_share))
    usages: list[Usage] = []
    if len(specialist.usages) == specialist.docs and len(per_doc) == llm.docs:
        usages = [own + answer if sent else own for own, answer, sent in zip(specialist.usages, per_doc, routed)]
    return SystemRun(
        name=f"cascade({specialist.name} -> {llm.name})", kind="cascade", usages=usages,
        model_id=f"{specialist.model_id}|{llm.model_id}", outputs=outputs, latencies_ms=latencies,
        usage=specialist.usage + llm_usage, wall_s=specialist.wall_s + llm.wall_s * share,
        cpu_s=specialist.cpu_s + llm.cpu_s * share, load_s=specialist.load_s + llm.load_s)


def cascade_note(task: str, choice: ThresholdChoice, target: float, metric: str, specialist: SystemRun,
                 llm: SystemRun) -> str:
    """The chosen threshold and LLM share, the verdict in words, and the pipeline step to paste."""
    head = (f"threshold {choice.threshold:.4g}: {choice.routed} of {choice.docs} documents "
            f"({choice.llm_share:.1%}) go to the LLM (target at most {target:.0%})")
    if choice.llm_helps:
        verdict = (f"{metric} {choice.quality:.4f} against {choice.specialist_quality:.4f} for the specialist "
                   "alone")
    else:
        verdict = ("the LLM never improved on the specialist on this data within that share; the cascade "
                   "sends nothing to it")
    snippet = pipeline_snippet(task, specialist.name, llm.name, choice.threshold, _labels(specialist, llm))
    return f"{head}; {verdict}. pipeline step: {snippet}"


def pipeline_snippet(task: str, specialist: str, llm: str, threshold: float, labels: Sequence[str] = ()) -> str:
    """A ``cascade`` step in YAML flow style. ``specialist`` is a stage name (``classify.spam``; a bare
    artifact name gets the task's family); ``llm`` a name as ``tandem compare`` shows it, ``classify.llm[SPEC]``,
    or a bare backend spec."""
    if task == "classify" and not specialist.startswith("classify."):
        specialist = f"classify.{specialist}"
    elif task == "ner" and not specialist.startswith("ner."):
        specialist = f"ner.spacy:{specialist}"
    match = re.fullmatch(r"(?P<stage>[^\[\]]+)\[(?P<backend>.*)\]", llm)
    stage, backend = (match["stage"], match["backend"]) if match else (llm, "")
    if not stage.startswith(f"{task}."):  # a bare backend spec
        stage, backend = LLM_STAGES[task], backend or stage
    options = [f"specialist: {specialist}", f"llm: {stage}", f"threshold: {round(threshold, 4)}"]
    if task == "ner" and specialist.startswith("ner.spacy"):
        options.append("specialist_options: {entity_scores: true}")
    if labels:
        options.append(f"llm_options: {{labels: [{', '.join(labels)}]}}")
    if backend and backend != "embedded":
        options.append(f"llm_backend: '{backend}'")
    return "{stage: cascade, options: {" + ", ".join(options) + "}}"


def _labels(specialist: SystemRun, llm: SystemRun) -> list[str]:
    """The label set the LLM stage needs: every label either system gave (classify) or found (ner)."""
    found: set[str] = set()
    for output in [*specialist.outputs, *llm.outputs]:
        if isinstance(output, Classification):
            found.update(output.scores or {output.label: output.score})
        elif isinstance(output, Entities):
            found.update(entity.label for entity in output.entities)
    return sorted(found)
