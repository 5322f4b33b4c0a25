"""The text of a Word ``.docx`` as it reads with every tracked change accepted: paragraphs and table rows (cells
joined by tabs) in document order, one a line.

``python-docx``'s ``Paragraph.text`` reads only a paragraph's direct runs and hyperlinks, so a contract with tracked
changes lost every insertion (``The tenant shall pay <ins>monthly</ins> rent.`` read ``The tenant shall pay rent.``),
and text inside content controls (``w:sdt``: the fields of a form or template) was lost whether inline or around
whole paragraphs. Here a paragraph's text is every run's text below it (``w:t``; a tab or a line break as ``\\t`` /
``\\n``), except what a tracked change removed (``w:del``, ``w:moveFrom``; deleted text is ``w:delText``, never read).
A text box's paragraphs (``w:txbxContent``: a sidebar, a callout, a letterhead's address) are lines after the paragraph
that anchors it, read once: Word stores a shape twice, as a drawing (``mc:Choice``) and as a VML copy for old readers
(``mc:Fallback``), and the copy is skipped. Field codes (``w:instrText``) are not text; their results are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from docx.oxml.ns import nsmap, qn
from lxml import etree

_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_SDT, _SDT_CONTENT, _TEXT_BOX = qn("w:sdt"), qn("w:sdtContent"), qn("w:txbxContent")
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
#: the text of a run below a paragraph, outside removed text, fallback copies and the text boxes the paragraph
#: anchors (those inside as many boxes as the paragraph itself: ``$boxes``), in document order
_RUN_TEXT = etree.XPath(
    "(.//w:r/w:t | .//w:r/w:tab | .//w:r/w:br | .//w:r/w:cr)[not(ancestor::w:del) and not(ancestor::w:moveFrom)"
    " and count(ancestor::w:txbxContent) = $boxes and not(ancestor::*[local-name()='Fallback'])]",
    namespaces={"w": nsmap["w"]})
_BREAKS = {qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}


def paragraph_text(paragraph: Any) -> str:
    """One ``w:p`` element's text with tracked changes accepted."""
    boxes = sum(1 for _ in paragraph.iterancestors(_TEXT_BOX))
    return "".join(_BREAKS.get(node.tag, node.text or "") for node in _RUN_TEXT(paragraph, boxes=boxes))


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
            for box in text_boxes(block):
                yield from block_lines(box)


def text_boxes(element: Any) -> Iterator[Any]:
    """The text boxes anchored below ``element``, each once, in order: not the ``mc:Fallback`` copy of a shape,
    and not a box inside a box (read with the box that holds it)."""
    for child in element.iterchildren():
        if child.tag == _TEXT_BOX:
            yield child
        elif child.tag != _FALLBACK:
            yield from text_boxes(child)


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
