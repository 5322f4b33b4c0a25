"""A stage is declared once, in its class statement; the engine treats stages by what they declare, never by
their names."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from tandem.stages import registry
from tandem.stages.base import READS_SCANS, BatchResult, Stage
from tandem.stages.contracts import Classification, DocState, RawText
from tandem.stages.options import StageOptions

REPO = Path(__file__).resolve().parents[2]
DECLARED = {"name", "version", "reads", "writes", "options"}
RESTATED = {"name", "version", "output_type", "input_type", "default_input", "default_output", "Options"}


class CountOptions(StageOptions):
    limit: int = 3


class CountStage(Stage[Classification], name="count.words", version="2", reads={"text": RawText},
                 writes="count", options=CountOptions, batch=50):
    options: CountOptions

    def model_id(self) -> str:
        return "count"

    def run(self, batch: Sequence[DocState]) -> BatchResult[Classification]:
        return BatchResult()


def test_one_declaration_sets_the_whole_contract() -> None:
    stage = CountStage(limit=5)
    assert (CountStage.name, CountStage.version, CountStage.preferred_batch) == ("count.words", "2", 50)
    assert stage.reads == {"text": RawText} and stage.writes == ("count", Classification)  # type from Stage[...]
    assert stage.options.limit == 5 and CountStage.Options is CountOptions
    assert CountStage.capabilities == frozenset()


def test_a_stage_reads_one_field() -> None:
    with pytest.raises(TypeError, match="reads one field"):
        class TwoReads(Stage[Classification], name="x", reads={"a": RawText, "b": RawText}):  # noqa: F841
            pass


@pytest.mark.parametrize("name", sorted(n for n in registry.registered_names() if "." not in n.rpartition(".v")[2]))
def test_every_built_in_stage_states_its_contract_once(name: str) -> None:
    stage_class = registry.stage_class(name)
    if not stage_class.__module__.startswith("tandem."):
        pytest.skip("a plugin")
    tree = ast.parse(inspect.getsource(stage_class))
    [node] = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert DECLARED <= {keyword.arg for keyword in node.keywords}, f"{name}: declare {DECLARED} in the class line"
    restated = [target.id for item in node.body if isinstance(item, ast.AnnAssign | ast.Assign)
                for target in (item.targets if isinstance(item, ast.Assign) else [item.target])
                if isinstance(target, ast.Name) and target.id in RESTATED]
    assert not restated, f"{name} restates {restated} in its body"
    source = inspect.getsource(inspect.getmodule(stage_class))  # type: ignore[arg-type]
    copied = re.findall(r"self\.\w+ = self\.options\.\w+", source)
    assert not copied, f"{name}: read options from self.options, do not copy them: {copied}"


def test_the_engine_names_no_stage() -> None:
    names = {registry.stage_class(n).name for n in registry.registered_names()}
    for module in ("execution.py", "pipeline.py", "writer.py", "warmup.py"):
        text = (REPO / "flows" / module).read_text(encoding="utf-8")
        named = sorted(n for n in names if f'"{n}"' in text or f"'{n}'" in text)
        assert not named, f"flows/{module} names {named}: declare a capability on the stage instead"
    assert READS_SCANS in registry.stage_class("ocr.tesseract").capabilities
