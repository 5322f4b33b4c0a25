"""A 200,000-word document through ``summarize`` map-reduce, measured with SmolLM2's own tokenizer.

1. Default settings: every prompt (counted with the real GGUF tokenizer, plus the chat template's
   per-message tokens and the answer budget) fits the 4,096-token context, in at most
   ``max_llm_calls(16, 6)`` = 20 calls (the bound docs/backends.md states). The answers come from a
   scripted model so the test takes seconds.
2. The real embedded model on the same document with a smaller call budget (3 map + 1 reduce): llama.cpp
   refuses any prompt longer than its context, so a summary coming back proves the chunks fit.
"""

from __future__ import annotations

import random

import pytest

from tandem.stages.contracts import CleanText, DocState, Document
from tandem.stages.llm.embedded import EmbeddedChatModel
from tandem.stages.llm.summarize import SummarizeStage, max_llm_calls
from tests.stages.llm.fakes import ScriptedChatModel

pytestmark = pytest.mark.slow

CHAT_TEMPLATE_TOKENS_PER_MESSAGE = 8  # "<|im_start|>role\n" + "<|im_end|>\n", with room to spare
TOPICS = ["budget", "school", "harbor", "railway", "hospital", "library", "bridge", "water", "housing", "park"]
VERBS = ["approved", "delayed", "reviewed", "funded", "questioned", "expanded", "audited", "rejected"]


def long_document(n_words: int = 200_000, seed: int = 0) -> str:
    rng = random.Random(seed)
    sentences: list[str] = []
    count = 0
    while count < n_words:
        topic = rng.choice(TOPICS)
        sentence = (f"The council {rng.choice(VERBS)} the {topic} plan number {rng.randint(1, 999)} after "
                    f"{rng.randint(2, 40)} residents spoke about the {rng.choice(TOPICS)} costs.")
        sentences.append(sentence)
        count += len(sentence.split())
    return " ".join(sentences)


def summarize_one(stage: SummarizeStage, text: str):  # type: ignore[no-untyped-def]
    state = DocState(document=Document.from_text(text, "long.txt"), fields={"clean": CleanText(text=text)})
    result = stage.run([state])
    assert not result.failures, result.failures
    return next(iter(result.successes.values()))


def test_default_map_reduce_prompts_fit_smollm2_context() -> None:
    text = long_document()
    assert len(text.split()) >= 200_000
    real = EmbeddedChatModel()
    stage = SummarizeStage(llm="embedded")
    fake = ScriptedChatModel(respond=lambda _: "The council reviewed several plans and their costs.")
    stage._model = fake
    summary = summarize_one(stage, text)
    assert summary.method == "map_reduce"
    assert len(fake.calls) == summary.llm_calls <= max_llm_calls(16, 6) == 20
    biggest = 0
    for messages in fake.calls:
        prompt_tokens = sum(real.get_num_tokens(str(m.content)) + CHAT_TEMPLATE_TOKENS_PER_MESSAGE
                            for m in messages)
        biggest = max(biggest, prompt_tokens)
        assert prompt_tokens + stage.max_summary_tokens <= real.n_ctx
    assert biggest > 1500  # the chunks are large (about 2,000 real tokens), not trivially small


def test_real_model_summarizes_200k_words_within_its_call_budget() -> None:
    text = long_document(seed=1)
    stage = SummarizeStage(llm="embedded", max_map_calls=3, reduce_fan_in=3, max_summary_tokens=80)
    summary = summarize_one(stage, text)
    assert summary.method == "map_reduce" and summary.text.strip()
    assert summary.llm_calls <= max_llm_calls(3, 3) == 4
