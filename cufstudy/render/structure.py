"""Facts of the documents' own structure: how many steps the guide has, counted from the guide.

A deliverable that announces its parts ("une démarche en sept étapes") must not type the count: the guide
may gain a step. Every section with an identifier (``# Les étapes {#sec-etapes}``) of every deliverable
gives two facts, computed from the sources (with their includes) each time the notebooks are run
(``cufstudy run``, Quarto's pre-render step, so both renderers see them):

``doc.<deliverable>.<section>.n``
    The number of its direct subsections (``doc.guide.etapes.n`` = 7), for a section that has some.
``doc.<deliverable>.<section>.phrase``
    That number as running text writes it, with the noun the subsections' titles start with when it is a
    noun of :data:`cufstudy.core.sentences.NOUNS` (``Étape 1 : ...`` gives ``sept étapes``), else the
    number alone in words (``sept``).

``<section>`` is the identifier without ``sec-``. Headings inside code blocks and inside fenced divs (the
title of a callout, ``::: {.callout-tip}`` then ``## Liste de contrôle``) do not count.

Examples
--------
>>> text = "# Étapes {#sec-etapes}\\n\\n## Étape 1 : a\\n\\n::: {.callout-tip}\\n## Liste\\n:::\\n\\n## Étape 2 : b\\n"
>>> [(f.key, f.text) for f in structure_facts("guide", text)]
[('doc.guide.etapes.n', '2'), ('doc.guide.etapes.phrase', 'deux étapes')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from cufstudy.core.errors import NotFoundError
from cufstudy.core.french import fold
from cufstudy.core.project import Project
from cufstudy.core.sentences import NOUNS, count, noun, number_words
from cufstudy.notebook.facts import PHRASE, Fact, make_fact
from cufstudy.render.config import deliverables, profile_names
from cufstudy.render.shortcodes import split_front_matter

__all__ = ["document_facts", "source_files", "structure_facts"]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_ID = re.compile(r"\{[^}]*#sec-([a-z0-9][a-z0-9_-]*)[^}]*\}\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(\S+?)\s*>\}\}\s*$")
_DIV = re.compile(r"^\s*:{3,}\s*(.*)$")
_KEY_PART = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def source_files(main: Path) -> list[tuple[Path, str]]:
    """A document and the files it includes, in reading order, as ``(path, text)`` (includes resolve from
    the main document's folder, as in Quarto; a missing include is left to the renderer to report)."""
    out: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def visit(path: Path) -> None:
        path = path.resolve()
        if path in seen or not path.is_file():
            return
        seen.add(path)
        text = path.read_text(encoding="utf-8", errors="replace")
        out.append((path, text))
        fence = None
        for line in text.splitlines():
            m = _FENCE.match(line)
            if m:
                fence = None if fence and m.group(1)[0] == fence else (fence or m.group(1)[0])
                continue
            if fence is None:
                inc = _INCLUDE.match(line)
                if inc:
                    visit(main.parent / inc.group(1).strip("\"'"))

    visit(main)
    return out


def _headings(text: str) -> Iterable[tuple[int, str]]:
    _, _, body = split_front_matter(text)
    fence = None
    divs = 0
    for line in body.splitlines():
        m = _FENCE.match(line)
        if m:
            fence = None if fence and m.group(1)[0] == fence else (fence or m.group(1)[0])
            continue
        if fence is not None:
            continue
        div = _DIV.match(line)
        if div:
            divs = divs + 1 if div.group(1).strip() else max(0, divs - 1)
            continue
        h = _HEADING.match(line)
        if h and divs == 0:
            yield len(h.group(1)), h.group(2)


def _title_noun(titles: list[str]) -> str | None:
    """The noun every title starts with (``Étape 1 : ...``), if it is a known noun."""
    firsts = {fold(re.split(r"[\s:]", t.strip(), maxsplit=1)[0]) for t in titles}
    if len(firsts) != 1:
        return None
    word = firsts.pop()
    for n in NOUNS.values():
        if word in (fold(n.singular), fold(n.plural)):
            return n.singular
    return None


def structure_facts(deliverable: str, *texts: str) -> list[Fact]:
    """The structure facts of one deliverable from the texts of its sources, in reading order."""
    headings = [h for text in texts for h in _headings(text)]
    facts: list[Fact] = []
    if not _KEY_PART.match(deliverable):
        return facts
    for i, (level, title) in enumerate(headings):
        m = _ID.search(title)
        if m is None:
            continue
        section = m.group(1)
        children = []
        for sub_level, sub_title in headings[i + 1 :]:
            if sub_level <= level:
                break
            if sub_level == level + 1:
                children.append(sub_title)
        n = len(children)
        if not n:
            continue
        key = f"doc.{deliverable}.{section}"
        label = f"Sous-sections de la section « {section} » du document {deliverable}"
        what = _title_noun(children) if children else None
        try:
            phrase = count(n, noun(what)) if what else number_words(n)
        except NotFoundError:
            phrase = number_words(n)
        facts.append(make_fact(f"{key}.n", n, label, source="structure du document"))
        facts.append(make_fact(f"{key}.{PHRASE}", n, label, source="structure du document", text=phrase))
    return facts


def document_facts(project: Project) -> list[Fact]:
    """The structure facts of every deliverable of the project (every profile, whatever ``$QUARTO_PROFILE``:
    a brochure may count the steps of the guide)."""
    names: list[str] = list(profile_names(project.root))
    facts: list[Fact] = []
    for deliverable in deliverables(project, names or None):
        texts = [text for source in deliverable.inputs for _, text in source_files(source)]
        facts += structure_facts(deliverable.name, *texts)
    return facts
