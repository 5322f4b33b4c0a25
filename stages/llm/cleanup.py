"""``cleanup``: an OCR corrector that fixes OCR errors and leaves everything else alone.

The work is done by :class:`tandem.stages.ocr.corrector.OcrCorrector`: a noisy-channel corrector whose confusion
model is learned from aligned noisy/clean text (``tandem train cleanup``; the bundled generic prior when
``model`` is not set), with candidates scored in context by word bigrams. Text whose estimated noise is low
is returned exactly as it came in; so is every word the corrector is not sure about, every name without
strong evidence, and every unknown word the document repeats consistently.

The LLM is asked only about the words in doubt (two close candidates, or a correction just around the
threshold): one short prompt per word, a number out, at most ``llm_calls`` per document. Its answer can
only pick one of the corrector's options (keeping the word is always one): it never rewrites text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from tandem.stages.base import BatchResult, encoding_problem
from tandem.stages.contracts import CleanText, DocState, RawText, StageFailure, Usage
from tandem.stages.llm.base import LlmOptions, LlmStage
from tandem.stages.llm.calls import call_llm
from tandem.stages.llm.prompts import CLEANUP_CHOICE
from tandem.stages.llm.textfix import deterministic_cleanup, safe_fixes
from tandem.stages.ocr.confusion import ConfusionModel
from tandem.stages.ocr.corrector import CorrectorSettings, Fix, OcrCorrector, apply_fixes
from tandem.stages.ocr.hyphens import join_broken_words
from tandem.stages.ocr.provenance import CorrectorMode, ocr_spans, path_of
from tandem.stages.options import KEY_UNLESS_NONE, NOT_IN_KEY, PathOption

MODEL_FILE = "confusion.json"
ARTIFACT_KIND = "cleanup"
_DEFAULTS = CorrectorSettings()
_NUMBER = re.compile(r"\d+")


class CleanupOptions(LlmOptions):
    model: str | None = Field(None, description="confusion model trained with 'tandem train cleanup', by name (in "
                              "models_dir; checked against its model card: no symlink out, every file's sha256); "
                              "default: the bundled generic prior")
    model_path: PathOption | None = Field(None, description="a confusion.json file used as it is, trusted without a "
                                          "card or checks (your own file); not with model",
                                          json_schema_extra=KEY_UNLESS_NONE)
    models_dir: PathOption | None = Field(None, description="folder of trained models (default: TANDEM_MODELS_DIR "
                                          "or ./models)", json_schema_extra=NOT_IN_KEY)
    threshold: float = Field(_DEFAULTS.threshold, description="log-odds a correction of a non-word must win by")
    real_word_threshold: float = Field(_DEFAULTS.real_word_threshold,
                                       description="log-odds to change a dictionary word seen misread in training")
    name_margin: float = Field(_DEFAULTS.name_margin, ge=0.0, description="extra log-odds for capitalised words")
    join_threshold: float = Field(_DEFAULTS.join_threshold, description="log-odds to glue two tokens into one word "
                                  "over their best separate readings")
    recur_min: int = Field(_DEFAULTS.recur_min, ge=2,
                           description="a word this frequent in a document is kept: a non-word unless training saw it "
                           "misread, a dictionary word whose reading is not there unless seen misread twice")
    min_noise: float = Field(_DEFAULTS.min_noise, ge=0.0, le=1.0,
                             description="documents with less estimated noise are returned unchanged")
    long_min_noise: float = Field(_DEFAULTS.long_min_noise, ge=0.0, le=1.0,
                                  description=f"... the floor instead for documents of {_DEFAULTS.long_words}+ words "
                                  "(their noise estimate rests on more evidence)")
    shapes_only_noise: float = Field(_DEFAULTS.shapes_only_noise, ge=0.0, le=1.0,
                                     description="on pages where a smaller share of the words look misread, "
                                     "only corrections that letter-shape misreadings explain (hke -> like, not "
                                     "loth -> both); 0: off")
    doubt_margin: float = Field(_DEFAULTS.doubt_margin, ge=0.0, description="decisions this close (log-odds) "
                                "are in doubt: asked to the LLM")
    llm_calls: int = Field(1, ge=0, description="most LLM questions per document about words in doubt; 0: none")
    corrector: CorrectorMode = Field("auto", description="where the OCR corrector applies: auto, only to OCR "
                                     "output (pages ocr.tesseract read, a searchable scan's OCR text layer, or "
                                     "documents whose metadata has ocr: true); always, to every text (a file of OCR "
                                     "output); never. Other text gets only safe fixes that never change a word")
    deterministic: bool = Field(False, description="first apply the deterministic fixes (unicode, de-hyphenation, "
                                "repeated headers, whitespace); off, unchanged text stays byte for byte")
    join_broken_words: bool = Field(True, description="in OCR output, join words hyphenated where a line broke "
                                    "(informa-/tion -> information; a compound's own hyphen stays: well-/known)")

    @field_validator("model")
    @classmethod
    def _a_name(cls, value: str | None) -> str | None:
        if value is not None:
            from tandem.specialists.artifacts import check_name

            check_name(value)  # a path is refused: use model_path for a file of your own
        return value

    @model_validator(mode="after")
    def _one_model(self) -> CleanupOptions:
        if self.model and self.model_path:
            raise ValueError("give model (a trained name) or model_path (a file), not both")
        return self


def load_confusion_model(options: CleanupOptions) -> ConfusionModel:
    """The confusion model the options name: a trained artifact through the artifact checks (name, links,
    hashes), a trusted file (``model_path``), or the bundled generic prior."""
    from tandem.specialists.artifacts import load_card  # the one artifact loader, shared with the specialists

    if options.model:
        _card, folder = load_card(options.model, options.models_dir, kind=ARTIFACT_KIND)
        return ConfusionModel.load(folder / MODEL_FILE)
    if options.model_path:
        return ConfusionModel.load(Path(options.model_path))
    return ConfusionModel.prior()


def parse_choice(answer: str, n_options: int) -> int | None:
    """The 0-based option an answer names ("2", "Option 2.", "2. bearing"), or None."""
    found = _NUMBER.search(answer)
    if found is None:
        return None
    number = int(found.group(0))
    return number - 1 if 1 <= number <= n_options else None


def choice_question(text: str, fix: Fix, width: int = 60) -> str:
    before = " ".join(text[max(0, fix.start - width):fix.start].split()[1:] if fix.start > width
                      else text[:fix.start].split())
    after = " ".join(text[fix.end:fix.end + width].split()[:-1])
    lines = [f"{before} [[{fix.original}]] {after}".strip(), "Options:"]
    lines += [f"{n}. {option}" for n, option in enumerate(fix.options, start=1)]
    return "\n".join(lines)


class CleanupStage(LlmStage[CleanText], name="cleanup", version="3", reads={"text": RawText},
                   writes="clean", options=CleanupOptions):
    options: CleanupOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        opts = self.options
        self.settings = CorrectorSettings(
            threshold=opts.threshold, real_word_threshold=opts.real_word_threshold, name_margin=opts.name_margin,
            join_threshold=opts.join_threshold, recur_min=opts.recur_min, min_noise=opts.min_noise,
            long_min_noise=opts.long_min_noise, doubt_margin=opts.doubt_margin,
            shapes_only_noise=opts.shapes_only_noise)
        self._corrector: OcrCorrector | None = None

    @property
    def prompt_version(self) -> str:
        return CLEANUP_CHOICE.id if self.options.llm_calls else ""

    @property
    def corrector(self) -> OcrCorrector:
        if self._corrector is None:
            self._corrector = OcrCorrector(load_confusion_model(self.options), self.settings)
        return self._corrector

    def check_artifacts(self) -> None:
        self.corrector  # noqa: B018 - loads (and checks) the trained model now: a bad one fails before any document

    def _load(self) -> None:
        lexicon = self.corrector.lexicon  # read the dictionaries and index them now, not inside the first document
        lexicon.candidates("warm", 1)
        lexicon.skeletons.lookup("warm", 1)
        if self.options.llm_calls:
            super()._load()

    def run(self, batch: Sequence[DocState]) -> BatchResult[CleanText]:
        return self.run_each(batch, self.clean_one)

    def clean_one(self, state: DocState) -> tuple[CleanText | StageFailure, Usage]:
        text = state.text_of(self.input_field)
        if problem := encoding_problem(text):
            return self.failure("encoding", problem), Usage()
        if not text.strip():
            return self.failure("empty", "nothing to clean: the text is blank"), Usage()
        spans = ocr_spans(state, self.input_field, text, self.options.corrector)
        path = path_of(spans, text)
        usage, pieces, notes = Usage(), [], []
        asked = changed = words = 0
        for piece, is_ocr in _pieces(text, spans):
            if self.options.deterministic and piece.strip():
                piece = deterministic_cleanup(piece)
            if not is_ocr or not piece.strip():
                pieces.append(safe_fixes(piece))
                continue
            if self.options.join_broken_words:
                piece = join_broken_words(piece, self.corrector.lexicon.known)
            proposal = self.corrector.propose(piece)
            words += proposal.words
            if proposal.left_alone:
                floor = "long_min_noise" if proposal.words >= self.settings.long_words else "min_noise"
                notes.append(f"estimated noise {proposal.noise:.3f} < {floor} {getattr(self.options, floor)}: "
                             "left as it is")
                pieces.append(piece)
                continue
            piece_usage, piece_asked = self._ask(piece, proposal.fixes, self.options.llm_calls - asked)
            usage, asked = usage + piece_usage, asked + piece_asked
            changes = proposal.changes
            changed += len(changes)
            notes.append(f"{len(changes)} words corrected, {piece_asked} asked to the LLM, "
                         f"estimated noise {proposal.noise:.3f}")
            pieces.append(apply_fixes(piece, changes))
        cleaned = "".join(pieces)
        if not cleaned.strip():
            return self.failure("empty", "nothing to clean: the text is blank (control characters only)"), usage
        reason = {"born_digital": "not OCR output: safe fixes only (line endings, Unicode NFC, control characters, "
                                  "trailing spaces), no word changed"}.get(path, "; ".join(notes))
        if path == "mixed":
            reason = f"OCR corrector on the OCR'd pages, safe fixes elsewhere: {reason}"
        return CleanText(
            text=cleaned, kept_input=cleaned == text, chunks=1 if words else 0, reason=reason, path=path,
            kept_ratio=round(1 - changed / max(words, 1), 4) if words else None, added_ratio=0.0 if words else None,
        ), usage

    def _ask(self, text: str, fixes: list[Fix], budget: int) -> tuple[Usage, int]:
        """Ask the LLM about the fixes in doubt (at most ``budget``); its answer can only pick a fix's option."""
        usage, asked = Usage(), 0
        for fix in [f for f in fixes if f.doubt][:max(budget, 0)]:
            answer = call_llm(self.model, CLEANUP_CHOICE, {"text": choice_question(text, fix)}, backend=self.backend,
                              max_tokens=4, temperature=0.0)
            usage = usage + answer.usage
            asked += 1
            picked = parse_choice(answer.text, len(fix.options))
            if picked is not None:  # the LLM can only choose among the corrector's options
                fix.choice = fix.options[picked]
        return usage, asked


def _pieces(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut at the OCR spans: (piece, is OCR output), in order, covering every character once."""
    out, last = [], 0
    for start, end in sorted(spans):
        if start > last:
            out.append((text[last:start], False))
        if end > max(start, last):
            out.append((text[max(start, last):end], True))
        last = max(last, end)
    if last < len(text):
        out.append((text[last:], False))
    return out
