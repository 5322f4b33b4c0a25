"""A Word file reads as it would with every tracked change accepted; content controls, hyperlinks, fields, tabs and
line breaks are text, and so are text boxes (once each); deleted and moved-away text and field codes are not."""

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


def vml_box(inner: str) -> str:
    return (f'<w:pict {W}><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:textbox><w:txbxContent>{inner}'
            "</w:txbxContent></v:textbox></v:shape></w:pict>")


def text_box_shape(inner: str, copy: bool) -> str:
    """A text box as Word 2010+ writes it: a drawing (mc:Choice), and the same box in VML (mc:Fallback)."""
    drawing = ('<w:drawing><wp:anchor xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
               '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData '
               'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
               '<wps:wsp xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:txbx>'
               f"<w:txbxContent>{inner}</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor>"
               "</w:drawing>")
    fallback = f"<mc:Fallback>{vml_box(inner)}</mc:Fallback>" if copy else ""
    return (f'<mc:AlternateContent {W} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
            f'<mc:Choice Requires="wps">{drawing}</mc:Choice>{fallback}</mc:AlternateContent>')


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
    # a paragraph anchoring a text box as Word saves it, a drawing and its VML copy: the box's lines follow, once
    paragraph(run("Signed.") + '<w:r>' + text_box_shape(paragraph(run("Sidebar")) +
                                                          paragraph(run("Call 555-0100")), copy=True) + "</w:r>"),
    # run-level alternate content (a newer Word feature and its fallback for old readers): read once, as chosen
    paragraph(run("Chapter ") + f'<mc:AlternateContent {W} xmlns:mc="http://schemas.openxmlformats.org/'
              'markup-compatibility/2006"><mc:Choice Requires="w14">' + run("IV") + "</mc:Choice><mc:Fallback>" +
              run("4") + "</mc:Fallback></mc:AlternateContent>"),
    # a text box of an old file (VML only) holding another box: each line once, in order
    paragraph('<w:r>' + vml_box(paragraph(run("Outer box") + "<w:r>" + vml_box(paragraph(run("Inner box"))) +
                                          "</w:r>")) + "</w:r>"),
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
        "Signed.", "Sidebar", "Call 555-0100",
        "Chapter IV",
        "", "Outer box", "Inner box",
        "Clause in a content control.",
        "Item\tDue",
        "Total: 2",
    ]
