"""bench/billsum_layout.py: the official BillSum layout, built without the summarizer's own code.

Hand-made bills in the preprocessed form (no dataset text); checks the layout properties (section
headings, indentation of ``(a)``/``(1)``/``(A)`` items, hanging indents, ``.--`` headings, TeX quotes,
70 columns), determinism, and that the module imports nothing from ``specialists``.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.bench import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "billsum_layout.py"

PREPROCESSED = (
    '<SECTION-HEADER> SHORT TITLE. This Act may be cited as the "Safe Harbors Act of 2031". '
    "<SECTION-HEADER> DEFINITIONS. In this Act: Controlled substance. The term \"controlled substance\" "
    "has the meaning given that term in section 102 of the Controlled Substances Act (21 U.S.C. 802). "
    'Eligible entity. The term "eligible entity" means: A State or a political subdivision of a State. '
    "A port authority that operates a harbor in the United States. "
    'Secretary. The term "Secretary" means the Secretary of Commerce. '
    "<SECTION-HEADER> GRANTS FOR THE REMOVAL OF CONTAMINATED SEDIMENT FROM HARBORS AND PORTS. "
    "In general. The Secretary shall award grants to eligible entities for the removal of contaminated "
    "sediment from harbors. Amount. A grant under subsection (a) may not exceed $2,000,000 in any "
    "fiscal year. The Secretary may waive the limit for a harbor of national importance."
)


def _module() -> ModuleType:
    return load_script("billsum_layout")


def test_imports_nothing_from_specialists() -> None:
    names: list[str] = []
    for script in (SCRIPT, SCRIPT.with_name("billsum_sentences.py")):  # the re-wrap and its sentence rules
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                names.append(node.module or "")
    assert "billsum_sentences" in names
    assert not [n for n in names if n.split(".")[0] in {"specialists", "tandem", "stages", "flows"}]
    # and running it loads no project package
    code = (f"import importlib.util, sys; s = importlib.util.spec_from_file_location('m', {str(SCRIPT)!r}); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); "
            "print(sorted(k for k in sys.modules if k.split('.')[0] in ('specialists', 'stages', 'tandem')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"


def test_section_headings_and_quotes() -> None:
    text = _module().official_layout(PREPROCESSED)
    assert text.startswith("SECTION 1. SHORT TITLE.\n\n    This Act may be cited as the ``Safe Harbors Act of")
    assert "2031''." in text
    assert "\nSEC. 2. DEFINITIONS.\n\n    In this Act:\n" in text
    # a long section heading wraps with a 12-space indent
    assert re.search(r"\nSEC\. 3\. GRANTS FOR THE REMOVAL OF CONTAMINATED SEDIMENT FROM [A-Z]*\n {12}[A-Z ]*PORTS\.\n",
                     text)
    assert '"' not in text


def test_items_nest_with_hanging_indents() -> None:
    lines = _module().official_layout(PREPROCESSED).splitlines()
    first = next(i for i, line in enumerate(lines) if "(1) Controlled substance.--The term ``controlled" in line)
    assert lines[first].startswith(" " * 12 + "(1)")
    assert lines[first + 1].startswith(" " * 8) and not lines[first + 1].startswith(" " * 9)  # hangs 4 left
    assert any(line.startswith(" " * 12 + "(2) Eligible entity.--The term ``eligible entity'' means:")
               for line in lines)
    nested = [line for line in lines if line.startswith(" " * 20 + "(")]
    assert [line.strip()[:3] for line in nested] == ["(A)", "(B)"]
    assert any(line.startswith(" " * 12 + "(3) Secretary.--") for line in lines)  # back to the outer list
    assert any(line.startswith("    (a) In General.--The Secretary shall award") for line in lines)
    assert any(line.startswith("    (b) Amount.--A grant under subsection (a)") for line in lines)
    assert max(len(line) for line in lines) <= 70


def test_deterministic_and_simple_rules() -> None:
    module = _module()
    assert module.official_layout(PREPROCESSED) == module.official_layout(PREPROCESSED)
    assert module.sentences_of("See 42 U.S.C. 1395. The Secretary shall act. In this Act: A State.") == [
        "See 42 U.S.C. 1395.", "The Secretary shall act.", "In this Act:", "A State."]
    assert module.is_heading("In general.") and module.is_heading("Controlled substance.")
    assert not module.is_heading("The Secretary shall act.")
    assert [module.marker(level, 1) for level in (1, 2, 3, 4)] == ["(b)", "(2)", "(B)", "(ii)"]


def test_cli_writes_a_slice(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"source": PREPROCESSED, "summary": f"s{i}"}) + "\n" for i in range(3)),
                      encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert _module().main([str(source), str(out), "--start", "1"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["summary"] for r in rows] == ["s1", "s2"]
    assert rows[0]["source"].startswith("SECTION 1. SHORT TITLE.")


def test_list_items_end_as_in_real_bills() -> None:
    module = _module()
    bill = ("<SECTION-HEADER> DUTIES. The Commission shall perform the following duties: Study how the circuits are "
            "divided. Review how the caseload of each court is handled. And report to the Congress what it has found. "
            "<SECTION-HEADER> REPORT. The report shall be public.")
    lines = module.official_layout(bill).splitlines()
    assert lines[3:6] == [" " * 12 + "(1) Study how the circuits are divided;",
                          " " * 12 + "(2) Review how the caseload of each court is handled; and",
                          " " * 12 + "(3) report to the Congress what it has found."]
    assert lines[-1] == "    The report shall be public."  # section text and headed paragraphs keep their full stop


def test_amendment_text_is_quoted_paragraph_by_paragraph() -> None:
    module = _module()
    bill = ("<SECTION-HEADER> GRANTS. Section 5 of the Clean Harbors Act is amended by adding at the end the following "
            'new subsection: "Eligible entities. The Secretary shall make grants to ports that need them. Amount. '
            'A grant may not exceed $1,000,000.". The Secretary shall report to Congress on the grants each year.')
    text = module.official_layout(bill)
    lines = [line.strip() for line in text.splitlines()]
    quoted = [i for i, line in enumerate(lines) if line.startswith("``(")]
    closing = next(i for i, line in enumerate(lines) if line.endswith("''."))
    assert len(quoted) == 3 and quoted[-1] == closing  # every inserted paragraph, up to the closing quote
    assert not any(line.startswith("``") for line in lines[closing + 1:])  # the bill's own text after it
    assert not any(line.strip().startswith("``") for line in module.official_layout(bill, real=False).splitlines())


def test_table_of_contents_is_one_entry_per_line() -> None:
    module = _module()
    bill = ('<SECTION-HEADER> SHORT TITLE, ETC. Short Title. This Act may be cited as the "Tax Revision Act of 2031". '
            "Table of Contents. The table of contents for this Act is as follows: <SECTION-HEADER> Short title, etc. "
            "<SECTION-HEADER> Election to include combat pay as earned income for purposes of earned income credit. "
            "<SECTION-HEADER> ELECTION TO INCLUDE COMBAT PAY AS EARNED INCOME. Subclause (II) of section 32 is "
            "amended by striking the date.")
    lines = module.official_layout(bill).splitlines()
    toc = lines.index("Sec. 1. Short title, etc.")
    assert lines[toc - 1] == "" and lines[toc - 2].endswith("follows:")
    assert lines[toc + 1] == "Sec. 2. Election to include combat pay as earned income for purposes"
    assert lines[toc + 2] == " " * 28 + "of earned income credit."
    # the TOC entries take no section numbers: the bill's second section is SEC. 2
    assert lines[toc + 3:toc + 5] == ["", "SEC. 2. ELECTION TO INCLUDE COMBAT PAY AS EARNED INCOME."]
    plain = module.official_layout(bill, real=False)
    assert "Sec. 1." not in plain and "SEC. 4." in plain  # --plain: the re-wrap before the TOC rule


def test_shall_lists_are_printed_as_real_bills_print_them() -> None:
    # BillSum's preprocessing glued "The Secretary shall--" to its first item and capitalized the others
    module = _module()
    bill = ("<SECTION-HEADER> DUTIES. The Secretary shall establish a program to award grants. Submit a report to "
            "Congress. And notify the States of each award. The program shall end in 2035.")
    lines = module.official_layout(bill).splitlines()
    assert lines[2:7] == ["    The Secretary shall--",
                          " " * 12 + "(1) establish a program to award grants;",
                          " " * 12 + "(2) submit a report to Congress; and",
                          " " * 12 + "(3) notify the States of each award.",
                          ""]
    assert lines[7] == "    The program shall end in 2035."  # the list ends with its items
    # a "shall" sentence without verb items after it stays whole
    alone = module.official_layout("<SECTION-HEADER> GRANTS. The Secretary shall award grants. The grants end in 2035.")
    assert "    The Secretary shall award grants." in alone.splitlines() and "shall--" not in alone
    assert "shall--" not in module.official_layout(bill, real=False)


def test_inserted_sections_and_table_items_are_printed_as_real_bills_print_them() -> None:
    # the preprocessed form runs an inserted section ("Section 116. HEADING.") and a clerical amendment's table item
    # ("new item: "116. Heading."") into the text; real bills print each on a line of its own, at the margin
    module = _module()
    bill = ('<SECTION-HEADER> EXCLUSION OF INTEREST. Part III of subchapter B of chapter 1 of the Internal Revenue Code '
            'of 1986 is amended by inserting after section 115 the following new section: "Section 116. PARTIAL '
            'EXCLUSION OF INTEREST RECEIVED BY INDIVIDUALS. Gross income does not include interest received by an '
            'individual. Limitation. The exclusion shall not exceed $250.". Clerical Amendment. The table of sections '
            'for part III is amended by inserting after the item relating to section 115 the following new item: '
            '"116. Partial exclusion of interest received by individuals.". The Secretary shall report each year.')
    lines = module.official_layout(bill).splitlines()
    heading = lines.index("``SEC. 116. PARTIAL EXCLUSION OF INTEREST RECEIVED BY INDIVIDUALS.")
    assert lines[heading - 1] == "" and lines[heading - 2].endswith("section:")
    assert lines[heading + 1] == "" and lines[heading + 2].startswith("    ``Gross income does not include")
    assert "    ``(a) Limitation.--The exclusion shall not exceed $250.''." in lines
    item = lines.index("``Sec. 116. Partial exclusion of interest received by individuals.''.")
    assert lines[item - 1] == "" and lines[item - 2].strip().endswith("new item:")
    assert lines[-1] == "    The Secretary shall report each year."  # the bill's own text, unquoted
    assert "``SEC. 116." not in module.official_layout(bill, real=False)
    # a title-case heading prints as title 38 prints it, without a full stop
    sentence_case = bill.replace("PARTIAL EXCLUSION OF INTEREST RECEIVED BY INDIVIDUALS.", "Partial exclusion of interest.")
    assert "``Sec. 116. Partial exclusion of interest" in module.official_layout(sentence_case).splitlines()
