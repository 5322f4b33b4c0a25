"""The text of a Word ``.docx`` as it reads with every tracked change accepted: paragraphs and table rows (cells
joined by tabs) in document order, one a line.

``python-docx``'s ``Paragraph.text`` reads only a paragraph's direct runs and hyperlinks, so a contract with tracked
changes lost every insertion (``The tenant shall pay <ins>monthly</ins> rent.`` read ``The tenant shall pay rent.``),
and text inside content controls (``w:sdt``: the fields of a form or template) was lost whether inline or around
whole paragraphs. Here a paragraph's text is every run's text below it (``w:t``; a tab or a line break as ``\\t`` /
``\\n``), except what a tracked change removed (``w:del``, ``w:moveFrom``; deleted text is ``w:delText``, never read)
and text boxes (``w:txbxContent``, whose shapes Word also stores twice). Field codes (``w:instrText``) are not text;
their results are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from docx.oxml.ns import qn

_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_SDT, _SDT_CONTENT = qn("w:sdt"), qn("w:sdtContent")
#: the text of a run below a paragraph, outside removed text and text boxes (document order)
_RUN_TEXT = ("(.//w:r/w:t | .//w:r/w:tab | .//w:r/w:br | .//w:r/w:cr)"
             "[not(ancestor::w:del) and not(ancestor::w:moveFrom) and not(ancestor::w:txbxContent)]")
_BREAKS = {qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}


def paragraph_text(paragraph: Any) -> str:
    """One ``w:p`` element's text with tracked changes accepted."""
    return "".join(_BREAKS.get(node.tag, node.text or "") for node in paragraph.xpath(_RUN_TEXT))


def blocks(container: Any) -> Iterator[Any]:
    """The paragraphs and tables of a body or a table cell, in order, content controls opened."""
    yield from _children(container, (_P, _TBL))


def table_lines(table: Any) -> Iterator[str]:
    """One line per row, its cells' text joined by tabs. A cell merged across columns is one ``w:tc``, listed
    once; a nested table's rows are lines of its cell's text."""
    for row in _children(table, (_TR,)):
        yield "\t".join("\n".join(block_lines(cell)) for cell in _children(row, (_TC,)))


def block_lines(container: Any) -> Iterator[str]:
    for block in blocks(container):
        if block.tag == _TBL:
            yield from table_lines(block)
        else:
            yield paragraph_text(block)


def document_text(document: Any) -> str:
    """A ``docx.Document``'s text, one paragraph or table row a line."""
    return "\n".join(block_lines(document.element.body))


def _children(element: Any, tags: tuple[str, ...]) -> Iterator[Any]:
    """``element``'s children with one of ``tags``, looking inside content controls (``w:sdt`` around paragraphs,
    tables, rows or cells)."""
    for child in element.iterchildren():
        if child.tag in tags:
            yield child
        elif child.tag == _SDT:
            for content in child.iterchildren(_SDT_CONTENT):
                yield from _children(content, tags)
