"""``cleanup`` corrects only OCR output: born-digital text keeps every word; OCR'd pages and declared OCR
text get the corrector; each result says which path it took."""

from __future__ import annotations

import csv

import pytest

from tandem.stages.contracts import DocState, Document, OcrText, PageText
from tandem.stages.llm.cleanup import CleanupStage
from tandem.stages.llm.textfix import safe_fixes
from tandem.stages.ocr.provenance import declared_ocr, ocr_spans, path_of

NOISY = "Portions of Crown lnnd will be ofleied at auction by tbe Colonial Treasury on Wednesday next."
FIXED = "Portions of Crown land will be offered at auction by the Colonial Treasury on Wednesday next."
INFORMAL = "wknd plans? miss u, havent seen WAP since Kath. left lol - lastest news tbe end"


def stage(**options: object) -> CleanupStage:
    return CleanupStage(llm="fake:x", llm_calls=0, min_noise=0.0, **options)  # type: ignore[arg-type]


def clean(cleanup: CleanupStage, state: DocState):  # type: ignore[no-untyped-def]
    result = cleanup.run([state])
    assert not result.failures, result.failures
    return next(iter(result.successes.values()))


def doc(text: str, **metadata: object) -> DocState:
    return DocState(document=Document.from_text(text, "t.txt", metadata=dict(metadata)))


def test_born_digital_text_keeps_every_word_and_says_so() -> None:
    out = clean(stage(), doc(INFORMAL + "  \r\n" + NOISY))
    assert out.text.split() == (INFORMAL + " " + NOISY).split()
    assert out.path == "born_digital" and "no word changed" in (out.reason or "")


@pytest.mark.parametrize("value", [True, "true", "yes", 1, "1"])
def test_declared_ocr_text_gets_the_corrector(value: object) -> None:
    out = clean(stage(), doc(NOISY, ocr=value))
    assert out.text == FIXED and out.path == "ocr"


@pytest.mark.parametrize("value", [False, "no", 0, None, "maybe"])
def test_metadata_that_does_not_declare_ocr_is_born_digital(value: object) -> None:
    assert not declared_ocr({"ocr": value})
    assert clean(stage(), doc(NOISY, ocr=value)).text == NOISY


def test_the_corrector_option_overrides_the_provenance() -> None:
    assert clean(stage(corrector="always"), doc(NOISY)).text == FIXED
    assert clean(stage(corrector="never"), doc(NOISY, ocr=True)).text == NOISY
    assert stage(corrector="always").config()["corrector"] == "always"  # part of the result key


def test_only_the_pages_ocr_read_are_corrected() -> None:
    text = INFORMAL + "\f" + NOISY
    pages = [PageText(page=1, start=0, end=len(INFORMAL)),
             PageText(page=2, start=len(INFORMAL) + 1, end=len(text), ocr=True, confidence=0.8)]
    ocr = OcrText(text=text, pages=pages, engine="tesseract 5")
    state = DocState(document=Document.from_text("", "scan.pdf"), fields={"ocr": ocr})
    out = clean(stage(input="ocr"), state)
    assert out.text == INFORMAL + "\f" + FIXED and out.path == "mixed"
    assert ocr_spans(state, "ocr", text) == [(len(INFORMAL) + 1, len(text))]


BROKEN = "The Colonial Treasury will offer the allot-\nments of Crown land at auction, a well-\nknown practice."


def test_ocr_output_gets_words_broken_at_a_line_end_joined_and_other_text_keeps_them() -> None:
    joined = "The Colonial Treasury will offer the allotments\nof Crown land at auction, a well-\nknown practice."
    assert clean(stage(), doc(BROKEN, ocr=True)).text == joined  # the compound's hyphen stays
    quiet = CleanupStage(llm="fake:x", llm_calls=0, min_noise=1.0, long_min_noise=1.0)  # a page left to itself
    assert clean(quiet, doc(BROKEN, ocr=True)).text == joined
    assert clean(stage(), doc(BROKEN)).text == BROKEN  # born-digital text: as written
    assert clean(stage(join_broken_words=False), doc(BROKEN, ocr=True)).text == BROKEN


def test_a_searchable_scans_ocr_layer_pages_get_the_corrector() -> None:
    text = INFORMAL + "\f" + NOISY
    pages = [{"page": 1, "start": 0, "end": len(INFORMAL), "text_layer": True, "ocr_layer": False},
             {"page": 2, "start": len(INFORMAL) + 1, "end": len(text), "text_layer": True, "ocr_layer": True}]
    out = clean(stage(), doc(text, pages=pages))
    assert out.text == INFORMAL + "\f" + FIXED and out.path == "mixed"
    # page records that are not the reader's (no ocr_layer true, a bad type, an end past the text) are no OCR
    assert ocr_spans(doc(text, pages=[{**pages[1], "ocr_layer": "yes"}, {**pages[1], "start": "0"}, "x"]),
                     "text", text) == []
    assert ocr_spans(doc(text, pages=[{**pages[1], "end": 10**6}]), "text", text) == [(len(INFORMAL) + 1, len(text))]


def test_a_fully_ocrd_document_takes_the_ocr_path() -> None:
    assert path_of([(0, 5), (6, 10)], "abcde\fghij") == "ocr"
    assert path_of([(0, 5)], "abcde\fghij") == "mixed"
    assert path_of([], "abcde") == "born_digital"


def test_safe_fixes_never_change_a_word() -> None:
    text = "Caf\u0065\u0301  “quoted”\x07 e-\nmail\r\n    indented\t \fnext page  "
    fixed = safe_fixes(text)
    assert fixed == "Caf\u00e9  “quoted” e-\nmail\n    indented\fnext page"
    assert len(fixed.split()) == len(text.split())


@pytest.mark.datasets
def test_the_default_cleanup_changes_no_word_of_sms_and_tweets(datasets_dir) -> None:  # type: ignore[no-untyped-def]
    """Done-when of issue 20: 0 word changes over the shared SMS and tweets (born-digital text)."""
    sms = datasets_dir / "sms_spam" / "train.tsv"
    tweets = datasets_dir / "tweeteval_sentiment" / "val_text.txt"
    if not sms.is_file() or not tweets.is_file():
        pytest.skip("shared SMS or tweets not found")
    with sms.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle, delimiter="\t")]
    texts += tweets.read_text(encoding="utf-8").splitlines()
    cleanup = CleanupStage(llm="fake:x")  # default options: the LLM is never asked about born-digital text
    states = [doc(text) for text in texts if text.strip()]
    result = cleanup.run(states)
    changed = [(s.document.text, result.successes[s.key].text) for s in states
               if result.successes[s.key].text.split() != s.document.text.split()]
    assert not result.failures and changed == []
