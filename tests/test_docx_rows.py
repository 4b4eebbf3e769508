"""The DOCX post-processing of table rows: every row kept whole on one page, header rows repeated."""

from __future__ import annotations

import zipfile
from pathlib import Path

from cufstudy.render._docx import finalize_docx

DOCUMENT = (
    '<w:document><w:body><w:tbl><w:tr><w:trPr><w:tblHeader w:val="on" /></w:trPr><w:tc /></w:tr>'
    '<w:tr><w:tc /></w:tr><w:tr w:rsidR="1"><w:trPr><w:cantSplit /></w:trPr><w:tc /></w:tr></w:tbl>'
    "</w:body></w:document>"
)


def test_every_table_row_is_unbreakable_and_the_header_repeats(tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", DOCUMENT)
    finalize_docx(path, 0)
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    assert xml.count("<w:tr") - xml.count("<w:trPr") == 3  # three rows
    assert xml.count("<w:cantSplit />") == 3, xml  # each once: the row that had it is not given a second
    assert '<w:trPr><w:cantSplit /><w:tblHeader w:val="on" /></w:trPr>' in xml
