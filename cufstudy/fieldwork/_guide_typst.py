"""PDF writer of an interview guide, through the embedded Typst engine (the ``typst`` package).

The guide's blocks become calls of a few Typst functions defined in a preamble; every text is passed as a
Typst string literal, so nothing in the data is read as markup. Tick boxes are drawn, not glyphs, so the
PDF needs no symbol font. A4, Inter when the project's fonts are given, page ``X sur Y`` in the footer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from cufstudy.core.errors import RenderError
from cufstudy.fieldwork._document import AnswerTable, Guide, Heading, InfoTable, Paragraph, QuestionItem

__all__ = ["render", "typst_source"]

_PREAMBLE = r"""
#let blue = rgb("#1F3A5F")
#let teal = rgb("#0E6E6E")
#let grey = rgb("#555B66")
#let labelfill = rgb("#E8EDF3")
#let secretfill = rgb("#FCE4E4")
#set document(title: TITLE, author: "Cités Unies France (cufstudy)")
#set text(font: ("Inter", "Libertinus Serif"), size: 9.5pt, lang: "fr")
#set par(leading: 0.55em, spacing: 0.8em)
#set page(paper: "a4", margin: (x: 2cm, top: 2cm, bottom: 1.8cm),
  header: align(right, text(7.5pt, fill: grey, HEAD)),
  footer: context align(center, text(7.5pt, fill: grey)[
    #FOOT · page #counter(page).display() sur #counter(page).final().first()]))
#show heading: set block(above: 1.3em, below: 0.6em, sticky: true)
#show heading.where(level: 1): set text(13pt, weight: "bold", fill: blue)
#show heading.where(level: 2): set text(11pt, weight: "bold", fill: teal)
#let tick = box(width: 0.8em, height: 0.8em, stroke: 0.6pt + black, baseline: 0.1em)
#let choices(items, inline) = if inline {
  items.map(c => box[#tick #h(0.2em) #c]).join(h(1em))
} else {
  stack(spacing: 0.45em, ..items.map(c => [#tick #h(0.2em) #c]))
}
#let notice(body) = block(fill: rgb("#FFF4E0"), inset: 6pt, width: 100%, text(8.5pt, body))
#let lead(body) = block(text(style: "italic", body))
#let note(body) = block(sticky: true, text(8pt, style: "italic", fill: grey, body))
#let quote-rec(body) = block(sticky: true, inset: (left: 0.6cm), text(style: "italic", body))
#let question(n, body, prompts, keep) = block(sticky: keep or prompts.len() > 0, above: 0.8em, below: 0.4em, grid(
  columns: (1.6em, 1fr), row-gutter: 0.35em,
  [#n.], body,
  ..prompts.map(p => ([], text(8.5pt, style: "italic", fill: grey, p))).flatten(),
))
#let info(header, rows, widths) = {
  table(columns: widths, inset: 4pt, stroke: 0.5pt + grey,
    fill: (x, y) => if x == 0 or (header != none and y == 0) { labelfill },
    ..if header != none { (table.header(..header.map(h => text(weight: "bold", h))),) },
    ..rows.map(r => r.enumerate().map(((i, c)) => if i == 0 { text(weight: "bold", c) } else { c })).flatten())
  v(0.4em)
}
#let answers(title, rows) = {
  if title != none { block(below: 0.4em, sticky: true, text(weight: "bold", title)) }
  block(breakable: false, table(columns: (4.25cm, 1fr), inset: 5pt, stroke: 0.5pt + grey,
    fill: (x, y) => if x == 0 { if rows.at(y).at(3) { secretfill } else { labelfill } },
    ..rows.map(r => (
      text(weight: "bold", r.at(0)),
      if r.at(1).len() > 0 { choices(r.at(1), r.at(1).len() <= 4) } else { v(0.65cm * r.at(2) - 0.5em) },
    )).flatten()))
  v(0.4em)
}
"""


def _str(text: str) -> str:
    """A Typst string literal."""
    clean = "".join(c for c in text if c >= " " or c == "\n")
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _tuple(items: tuple[str, ...] | list[str]) -> str:
    return "(" + "".join(f"{_str(i)}, " for i in items) + ")"


def typst_source(guide: Guide) -> str:
    """The Typst source of a guide (a preamble of functions, then one call per block)."""
    head = guide.running_head + (" — codage illustratif" if guide.illustrative else "")
    preamble = (
        _PREAMBLE.replace("TITLE", _str(f"{guide.title} — {guide.subtitle}"))
        .replace("HEAD", _str(head))
        .replace("#FOOT", f"#{_str(guide.footer)}")
    )
    out = [preamble]
    out.append(f'#text(22pt, weight: "bold", fill: blue, {_str(guide.title)})\\')
    out.append(f"#text(14pt, fill: teal, {_str(guide.subtitle)})")
    out.append("#v(0.4em)")
    for block in guide.blocks:
        if isinstance(block, Heading):
            out.append(f"#heading(level: {block.level}, {_str(block.text)})")
        elif isinstance(block, Paragraph):
            call = {"body": "block", "lead": "lead", "notice": "notice", "quote": "quote-rec", "note": "note"}
            out.append(f"#{call[block.style]}({_str(block.text)})")
        elif isinstance(block, QuestionItem):
            keep = "true" if block.keep_with_next else "false"
            out.append(f"#question({block.number}, {_str(block.text)}, {_tuple(block.prompts)}, {keep})")
        elif isinstance(block, InfoTable):
            n = len(block.rows[0]) if block.rows else len(block.header or ())
            weights = block.widths or (1.0, *([2.6 / max(n - 1, 1)] * (n - 1)))
            widths = "(" + "".join(f"{w}fr, " for w in weights) + ")"
            header = _tuple(block.header) if block.header else "none"
            rows = "(" + "".join(f"{_tuple(r)}, " for r in block.rows) + ")"
            out.append(f"#info({header}, {rows}, {widths})")
        elif isinstance(block, AnswerTable):
            rows = "(" + "".join(
                f"({_str(r.label)}, {_tuple(r.choices)}, {max(r.lines, 1)}, {'true' if r.confidential else 'false'}), "
                for r in block.rows
            ) + ")"  # fmt: skip
            out.append(f"#answers({_str(block.title) if block.title else 'none'}, {rows})")
    return "\n".join(out) + "\n"


def render(guide: Guide, fonts: Path | None = None) -> bytes:
    """The guide as PDF bytes.

    Raises
    ------
    RenderError
        Typst failed (a bug: every text is passed as a string literal).
    """
    import typst

    source = typst_source(guide)
    with tempfile.TemporaryDirectory(prefix="cufstudy-guide-") as tmp:
        main = Path(tmp) / "guide.typ"
        main.write_text(source, encoding="utf-8")
        try:
            pdf = typst.compile(str(main), root=tmp, font_paths=[str(fonts)] if fonts else [])
        except typst.TypstError as exc:
            raise RenderError(f"guide of {guide.case_id}: typst failed: {exc}") from exc
    assert isinstance(pdf, bytes)
    return pdf
