"""The comparison core: running a stage like the pipeline does, the cost model, the flattened JSON."""

from typing import Any

import pytest

from tandem.specialists.comparison.cost import DEFAULT_CPU_HOUR, CostModel
from tandem.specialists.comparison.measure import run_system
from tandem.specialists.comparison.report import SystemReport, system_report
from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import Classification, Usage


class Caps(Stage[Classification]):
    name = "caps"
    version = "1"
    output_type = Classification
    default_input = "text"
    default_output = "caps"

    def model_id(self) -> str:
        return "caps"

    def run(self, batch: Any) -> BatchResult[Classification]:
        result: BatchResult[Classification] = BatchResult()
        for state in batch:
            text = state.text_of(self.input_field)
            if not text:
                result.add_failure(state.key, self.failure("empty", "no text"))
                continue
            label = "loud" if text.isupper() else "calm"
            result.add_success(state.key, Classification(label=label, score=1.0),
                               Usage(latency_ms=2.0, llm_calls=1, prompt_tokens=10, completion_tokens=3))
        return result


def test_cost_model_prices_tokens_and_cpu_time_per_1000_documents() -> None:
    model = CostModel(price_in=2.0, price_out=10.0, cpu_hour=0.36)
    # 10 docs, 1M prompt + 0.5M completion tokens -> 2 + 5 = 7 USD; 100 CPU-s = 0.01 USD -> 7.01 per 10 docs
    assert model.cost_per_1k_docs(10, 1_000_000, 500_000, 100.0) == pytest.approx(701.0)
    assert CostModel().cost_per_1k_docs(1000, 10**6, 10**6, 3600.0) == pytest.approx(DEFAULT_CPU_HOUR)
    assert CostModel().cost_per_1k_docs(0, 5, 5, 5.0) == 0.0


def test_run_system_keeps_order_failures_latency_and_usage() -> None:
    texts = ["HELLO", "quiet please", "", "HELLO"]
    run = run_system("caps", "specialist", Caps(input="text"), texts, batch_size=3)
    labels = [getattr(o, "label", None) for o in run.outputs]
    assert labels == ["loud", "calm", None, "loud"] and run.failures == 1
    assert run.latencies_ms == [2.0, 2.0, 0.0, 2.0] and run.percentile_ms(50) == 2.0
    assert run.usage.llm_calls == 3 and run.usage.prompt_tokens == 30 and run.docs_per_s > 0


def test_system_json_puts_the_eval_metrics_at_the_top_level() -> None:
    run = run_system("caps", "llm", Caps(input="text"), ["A", "b"])
    report = system_report(run, {"accuracy": 1.0, "macro_f1": 0.5}, CostModel(price_in=1.0))
    data = report.model_dump(mode="json")
    assert list(data)[:4] == ["name", "kind", "accuracy", "macro_f1"] and "metrics" not in data
    for key in ("docs_per_s", "p50_ms", "p95_ms", "llm_calls", "prompt_tokens", "completion_tokens",
                "cost_per_1k_docs"):
        assert key in data
    assert SystemReport.from_json(data) == report
    assert report.quality("classify") == 0.5


class Quiet(Caps):
    """A stage that reports no latency of its own (as ner.spacy)."""

    def run(self, batch: Any) -> BatchResult[Classification]:
        import time

        time.sleep(0.01)
        result = super().run(batch)
        for key in result.usage:
            result.usage[key] = Usage()
        return result


def test_a_stage_without_latencies_gets_its_batch_time_shared() -> None:
    run = run_system("quiet", "specialist", Quiet(input="text"), ["A", "b", "c"], batch_size=2)
    assert run.latencies_ms[0] == run.latencies_ms[1] >= 5.0 and run.latencies_ms[2] >= 10.0
