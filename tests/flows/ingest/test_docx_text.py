"""A Word file reads as it would with every tracked change accepted; content controls, hyperlinks, fields, tabs and
line breaks are text; deleted and moved-away text, field codes and text boxes are not."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml import parse_xml

from tandem.flows.ingest import read_file

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def change(kind: str, inner: str) -> str:
    return f'<w:{kind} w:id="1" w:author="Ann" w:date="2024-01-01T00:00:00Z">{inner}</w:{kind}>'


def paragraph(inner: str) -> str:
    return f"<w:p {W}>{inner}</w:p>"


PARAGRAPHS = [
    # a redline: an insertion kept, a deletion dropped
    paragraph(run("The tenant shall pay ") + change("ins", run("monthly ")) +
              change("del", '<w:r><w:delText xml:space="preserve">weekly </w:delText></w:r>') + run("rent.")),
    # a moved clause reads where it went to
    paragraph(change("moveFrom", run("Late fees apply. ")) + run("Rent is due on the first.") +
              change("moveTo", run(" Late fees apply."))),
    # an inline content control (a form field), a hyperlink, a tab, a line break
    paragraph(run("Landlord:") + '<w:r><w:tab/></w:r>' + '<w:sdt><w:sdtContent>' + run("Maria Gonzalez") +
              "</w:sdtContent></w:sdt>" + '<w:r><w:br/></w:r>' +
              '<w:hyperlink w:history="1">' + run("see the schedule") + "</w:hyperlink>"),
    # a field: its code is no text, its result is
    paragraph('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DATE </w:instrText></w:r>'
              '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + run("1 May 2026") +
              '<w:r><w:fldChar w:fldCharType="end"/></w:r>'),
    # a paragraph with a text box: the box's text (stored twice by Word) is left out
    paragraph(run("Signed.") + '<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:textbox>'
              '<w:txbxContent>' + paragraph(run("Sidebar")) + "</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"),
]
BLOCK_CONTROL = (f'<w:sdt {W}><w:sdtContent>' + paragraph(run("Clause in a content control.")) +
                 "</w:sdtContent></w:sdt>")


def word_file(path: Path) -> Path:
    document = docx.Document()
    body = document.element.body
    for xml in [*PARAGRAPHS, BLOCK_CONTROL]:
        body.insert(len(body) - 1, parse_xml(xml))  # before the section properties
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Item", "Due"
    cell = table.rows[1].cells[0].merge(table.rows[1].cells[1])
    cell.paragraphs[0]._p.append(parse_xml(paragraph(change("ins", run("Total: 2"))))[0])
    document.save(str(path))
    return path


def test_a_word_file_reads_with_tracked_changes_accepted(tmp_path: Path) -> None:
    items = list(read_file(word_file(tmp_path / "redline.docx")))
    assert items[0].failure is None
    assert items[0].record.text.split("\n") == [
        "The tenant shall pay monthly rent.",
        "Rent is due on the first. Late fees apply.",
        "Landlord:\tMaria Gonzalez", "see the schedule",
        "1 May 2026",
        "Signed.",
        "Clause in a content control.",
        "Item\tDue",
        "Total: 2",
    ]
