"""Markup in the case data is printed as literal text in every deliverable and format, never interpreted.

One build of a copy of the default project in which an obstacle (the most cited one, so it also becomes the
fact ``suivi.top_obstacle`` that the three deliverables cite), a recommendation and the name of the most
populous authority (the fact ``pop_max_name``, the tables and the charts) hold raw HTML, a ``<script>``, a
Markdown heading, pandoc attributes, a ``{{< shortcode >}}``, a ``javascript:`` link and an event handler.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from cufstudy.pipeline.build import build
from cufstudy.pipeline.leaks import extract_text, normalise

from .conftest import copy_project

MARKER = "HOSTILE"
OBSTACLE = (
    "<script>alert('HOSTILE-obstacle')</script> # Titre HOSTILE injecté {.hostile-class #hostile-id} "
    "{{< fact n_cases >}} [lien HOSTILE](javascript:alert(1)) <img src=x onerror=alert(2)> *HOSTILE-gras* - puce"
)
NAME = "<script>alert('HOSTILE-nom')</script> # Région HOSTILE {.hostile-class} {{< fact n_cases >}}"
RECOMMENDATION = "<b onmouseover=alert(3)>HOSTILE-reco</b> ## Sous-titre {{< include /etc/passwd >}}"
REPLACED_OBSTACLE = "Arbitrage interne défavorable entre directions"  # the most cited obstacle of the default data
LARGEST = "cr-auvergne-rhone-alpes.yaml"  # the most populous DCOL authority: the fact pop_max_name
LITERALS = ["<script>alert('hostile-obstacle')</script>", "{{< fact n_cases >}}", "# titre hostile injecté"]


def squash(text: str) -> str:
    """Text compared modulo typography and text extraction: whitespace and hyphens dropped, quotes alike.

    The French typography of the deliverables turns 'x' into “x” and adds no-break spaces before « : »,
    and PDF text extraction breaks lines anywhere (dropping a hyphen there); none of that interprets the text.
    """
    return re.sub(r"[\s-]+", "", normalise(text)).translate(str.maketrans('"«»‘’“”', "'" * 7))


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    cases = root / "data" / "cases"
    replaced = 0
    for path in sorted(cases.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        replaced += text.count(f'"{REPLACED_OBSTACLE}"')
        text = text.replace(f'"{REPLACED_OBSTACLE}"', _yaml_string(OBSTACLE))
        if path.name == LARGEST:
            text = re.sub(r'(?m)^  name: ".*"$', f"  name: {_yaml_string(NAME)}", text, count=1)
            text = re.sub(r'(?m)^(    text:) ".*"$', rf"\1 {_yaml_string(RECOMMENDATION)}", text, count=1)
        path.write_text(text, encoding="utf-8")
    assert replaced >= 5
    build(root, engine="pandoc", workers=2, progress=False)
    yield root


def test_the_hostile_text_reaches_the_facts(hostile_build: Path) -> None:
    facts = json.loads((hostile_build / "_build" / "facts.json").read_text(encoding="utf-8"))["facts"]
    assert facts["suivi.top_obstacle"]["text"] == OBSTACLE
    assert facts["pop_max_name"]["text"] == NAME


class _Page(HTMLParser):
    """Every element of a page: scripts with their content, attributes, headings with their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.headings: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._heading: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag == "script":
            self._script, self._text = dict(attrs), []
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None
        elif re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)
        if self._heading is not None:
            self._heading.append(data)


def _html_pages(root: Path) -> list[Path]:
    pages = sorted((root / "_output").glob("*.html"))
    assert {p.stem for p in pages} >= {"study", "guide"}
    return pages


def test_html_runs_no_script_from_the_data(hostile_build: Path) -> None:
    for path in _html_pages(hostile_build):
        raw = path.read_text(encoding="utf-8")
        page = _Page()
        page.feed(raw)
        charts = raw.count('class="cufstudy-vega"')
        for attrs, content in page.scripts:
            if attrs.get("type") == "application/json":  # a chart's Vega-Lite spec: data, never run
                assert "data-cufstudy-vega" in attrs, path.name
                json.loads(content)
                assert "</" not in content and "<!--" not in content, path.name
            else:
                assert attrs.get("type") == "module" and MARKER not in content, (path.name, attrs)
        assert sum(a.get("type") == "application/json" for a, _ in page.scripts) == charts, path.name
        assert sum(a.get("type") == "module" for a, _ in page.scripts) == (1 if charts else 0), path.name
        for tag, name, value in page.attributes:
            assert not name.startswith("on"), (path.name, tag, name, value)
            assert not (value or "").strip().lower().startswith("javascript:"), (path.name, tag, name, value)
            assert "hostile" not in (value or "").lower(), (path.name, tag, name, value)
            assert not (tag == "img" and name == "src" and value == "x"), path.name
        assert not [h for h in page.headings if MARKER in h], (path.name, page.headings)


def test_html_shows_the_literal_text(hostile_build: Path) -> None:
    for name in ("study", "guide"):
        raw = (hostile_build / "_output" / f"{name}.html").read_text(encoding="utf-8")
        text = squash(html.unescape(re.sub(r"<script\b.*?</script>|<[^>]+>", " ", raw, flags=re.S)))
        for literal in LITERALS:
            assert squash(literal) in text, (name, literal)
    study = squash(extract_text(hostile_build / "_output" / "study.html"))
    assert squash(NAME) in study


def test_pdf_shows_the_literal_text_and_no_heading_from_the_data(hostile_build: Path) -> None:
    for name in ("study", "guide", "brochure"):
        reader = PdfReader(hostile_build / "_output" / f"{name}.pdf")
        text = squash(" ".join(page.extract_text() or "" for page in reader.pages))
        for literal in LITERALS:
            assert squash(literal) in text, (name, literal)

        def titles(items: list[object]) -> Iterator[str]:
            for item in items:
                if isinstance(item, list):
                    yield from titles(item)
                else:
                    yield str(getattr(item, "title", ""))

        outline = list(titles(list(reader.outline)))
        assert outline, name  # the headings of the document are there...
        assert not [t for t in outline if MARKER in t], (name, outline)  # ...and none comes from the data


def test_docx_shows_the_literal_text_and_no_heading_from_the_data(hostile_build: Path) -> None:
    for name in ("study", "guide", "brochure"):
        path = hostile_build / "_output" / f"{name}.docx"
        document = docx.Document(str(path))
        headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
        assert headings, name
        assert not [h for h in headings if MARKER in h], (name, headings)
        text = squash(extract_text(path))
        for literal in LITERALS:
            assert squash(literal) in text, (name, literal)
        with zipfile.ZipFile(path) as archive:
            rels = " ".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".rels"))
        assert "javascript:" not in rels.lower(), name
