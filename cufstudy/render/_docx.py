"""The last touches of a rendered DOCX, for both engines: reproducible, French, its table of contents filled.

Pandoc writes a sound Word document; :func:`finalize_docx` rewrites three of its parts, and the zip:

* ``word/document.xml``: the ``descr`` of each picture's non-visual properties, which pandoc fills with the
  image's path on the build machine (``/home/…/_build/render/build-1234-x/assets/ab12.png``), keeps the file
  name only (the assets are named by their content); every table row is kept whole on one page
  (``w:cantSplit``: a row split across a page break reads as two rows), its header rows repeat on each page
  (``w:tblHeader``, as pandoc writes them); the table of contents, an empty field that Word fills only when
  asked, gets one entry per heading (level 1 to the field's depth), so that it reads in LibreOffice and in a
  viewer too; Word renumbers its pages on opening (``w:dirty`` and ``updateFields``);
* ``word/settings.xml``: ``<w:updateFields w:val="true"/>`` (Word updates the table of contents and the
  cross-references when the file is opened), French as the theme language, the decimal comma and the
  semicolon as list separator;
* the zip: every entry stamped with the build's instant (:mod:`cufstudy.core.reproducible`), in the same order,
  so that the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

from cufstudy.render._portable import portable_part

__all__ = ["finalize_docx", "toc_entries"]

_PIC_DESCR = re.compile(r'(<pic:cNvPr\b[^>]*?\bdescr=")([^"]*)(")')
_PARAGRAPH = re.compile(r"<w:p\b[^>]*>.*?</w:p>", re.S)
_HEADING = re.compile(r'<w:pStyle w:val="Heading([1-9])"\s*/>')
_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|<w:tab\s*/>")
_BOOKMARK = re.compile(r'<w:bookmarkStart\b[^>]*\bw:name="([^"]+)"')
_TOC_FIELD = re.compile(
    r'(<w:instrText[^>]*>\s*TOC\b(?P<instr>[^<]*)</w:instrText>\s*<w:fldChar w:fldCharType="separate"\s*/>)'
    r'(?P<result>.*?)(<w:fldChar w:fldCharType="end"\s*/>\s*</w:r>\s*</w:p>)',
    re.S,
)
_SETTINGS_OPEN = re.compile(r"(<w:settings\b[^>]*>)")
_ROW = re.compile(r"(<w:tr(?:\s[^>]*)?>)(<w:trPr>.*?</w:trPr>)?", re.S)


def _plain(paragraph: str) -> str:
    parts = [html.unescape(m.group(1)) if m.group(1) is not None else " " for m in _TEXT.finditer(paragraph)]
    return re.sub(r"[ \t\r\n]+", " ", "".join(parts)).strip(" ")  # no-break spaces kept


def toc_entries(document: str, depth: int = 3) -> list[tuple[int, str, str | None]]:
    """``(level, text, bookmark)`` of every heading of ``document.xml`` up to ``depth``, in order."""
    entries = []
    for paragraph in _PARAGRAPH.findall(document):
        style = _HEADING.search(paragraph)
        if style is None or int(style.group(1)) > depth:
            continue
        text = _plain(paragraph)
        if text:
            mark = _BOOKMARK.search(paragraph)
            entries.append((int(style.group(1)), text, mark.group(1) if mark else None))
    return entries


def _entry(level: int, text: str, bookmark: str | None) -> str:
    run = f'<w:r><w:t xml:space="preserve">{html.escape(text, quote=False)}</w:t></w:r>'
    if bookmark:
        run = f'<w:hyperlink w:anchor="{html.escape(bookmark)}" w:history="1">{run}</w:hyperlink>'
    return f'<w:p><w:pPr><w:pStyle w:val="TOC{level}" /><w:ind w:left="{(level - 1) * 240}" /></w:pPr>{run}</w:p>'


def _fill_toc(document: str) -> str:
    match = _TOC_FIELD.search(document)
    if match is None or match.group("result").strip():
        return document
    levels = re.search(r'\\o\s*"(\d)-(\d)"', match.group("instr"))
    depth = int(levels.group(2)) if levels else 3
    body = document[match.end() :]
    entries = "".join(_entry(*e) for e in toc_entries(body, depth))
    if not entries:
        return document
    filled = f'{match.group(1)}</w:r></w:p>{entries}<w:p><w:r><w:fldChar w:fldCharType="end" /></w:r></w:p>'
    return document[: match.start()] + filled + body


def _settings(xml: str) -> str:
    if "<w:updateFields" not in xml:
        xml = _SETTINGS_OPEN.sub(r'\1<w:updateFields w:val="true" />', xml, count=1)
    xml = re.sub(r'<w:themeFontLang w:val="[^"]*"', '<w:themeFontLang w:val="fr-FR"', xml)
    xml = re.sub(r'<w:decimalSymbol w:val="[^"]*"', '<w:decimalSymbol w:val=","', xml)
    return re.sub(r'<w:listSeparator w:val="[^"]*"', '<w:listSeparator w:val=";"', xml)


def _rows(xml: str) -> str:
    """Every table row unbreakable across pages (``w:cantSplit``), a table's header rows repeated on each page
    (pandoc marks them ``w:tblHeader`` already); a row without properties gets them."""

    def keep(match: re.Match[str]) -> str:
        props = match.group(2)
        if props is None:
            return f"{match.group(1)}<w:trPr><w:cantSplit /></w:trPr>"
        if "<w:cantSplit" in props:
            return match.group(0)
        return f"{match.group(1)}{props.replace('<w:trPr>', '<w:trPr><w:cantSplit />', 1)}"

    return _ROW.sub(keep, xml)


def _document(xml: str) -> str:
    xml = _rows(xml)
    xml = _PIC_DESCR.sub(lambda m: m.group(1) + m.group(2).replace("\\", "/").rsplit("/", 1)[-1] + m.group(3), xml)
    return _fill_toc(xml)


def finalize_docx(path: Path, epoch: int, *, source: Path | None = None, local: Sequence[str] = ()) -> None:
    """Rewrite the DOCX at ``path`` (see the module docstring), or write it there from pandoc's ``source``;
    ``epoch`` stamps its zip entries. ``local``: the build machine's folders, taken out of every part on the
    way (:func:`cufstudy.render._portable.portable_part`): one pass over the zip for both."""
    stamp = dt.datetime.fromtimestamp(max(epoch, 315_532_800), dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(source or path) as zin:
        items = [(info, portable_part(info.filename, zin.read(info.filename), local)) for info in zin.infolist()]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "word/document.xml":
                data = _document(data.decode("utf-8")).encode("utf-8")
            elif info.filename == "word/settings.xml":
                data = _settings(data.decode("utf-8")).encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            zout.writestr(entry, data)
    tmp.replace(path)
