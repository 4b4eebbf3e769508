"""The deliverables rendered by a real Quarto, compared with the embedded engine's (``make test-quarto``).

A copy of the project is built with the embedded engine (``cufstudy build --engine pandoc``), then every
profile is rendered with a plain ``quarto render --profile P``, as an analyst would (the project's
virtual environment on PATH: the pre-render step ``cufstudy run`` installs ``_extensions/cufstudy/``, the
post-render step ``cufstudy check`` checks the files and publishes them as ``_output/<profile>.<ext>``).
Both sets of files must agree on what a reader checks: A4 pages in Inter, the notice on every page of
every format, the page counts, the section headings, the figure and table numbers with French labels,
the facts, the citations, offline HTML and DOCX images Word displays.

Quarto is the one named by ``$CUFSTUDY_QUARTO``, else ``quarto`` on PATH; without one, every test here is
skipped with that reason. ``../shared/tools/quarto-rig/build DIR`` builds a Quarto 1.7 from source.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from cufstudy.core.french import format_date
from cufstudy.core.yamlio import read_yaml
from cufstudy.pipeline.build import build
from cufstudy.pipeline.leaks import extract_text, normalise
from cufstudy.pipeline.notices import project_notices
from cufstudy.render.engine import external_urls
from cufstudy.render.extension import NOTICE_PLACEHOLDER
from cufstudy.render.quarto import QUARTO_ENV, quarto_path, quarto_warnings

from .conftest import ROOT, copy_project, plain

pytestmark = pytest.mark.quarto

PROFILES = ("study", "guide", "brochure", "toolbox")
FORMATS = {
    "study": ("html", "pdf", "docx"),
    "guide": ("html", "pdf", "docx"),
    "brochure": ("pdf", "docx"),
    "toolbox": ("html", "pdf", "docx"),
}
A4 = (595.28, 841.89)
_CAPTION = re.compile(r"\b(Figure|Tableau|Table)\s+(\d+)\s*:")
#: tiny images of Quarto's own DOCX callouts (its icons), not charts
_ICON_BYTES = 4096


def _notice(name: str) -> str:
    """The start of deliverable ``name``'s notice, from the default data's provenance markers."""
    return normalise(project_notices(ROOT).of(name) or "")[:60]


def _quarto() -> str:
    found = quarto_path()
    if found is None:
        pytest.skip(
            f"no real Quarto: set ${QUARTO_ENV} to a quarto executable or put quarto on PATH "
            "(../shared/tools/quarto-rig/build DIR builds Quarto 1.7; make test-quarto runs these tests)"
        )
    return found


def _environment() -> dict[str, str]:
    """An analyst's shell: the project's virtual environment first on PATH, no profile preset."""
    env = {k: v for k, v in os.environ.items() if k not in ("QUARTO_PROFILE", "CUFSTUDY_BUILD")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _copy_project(dest: Path) -> Path:
    copy_project(dest)
    # the shipped contact details are unverified on purpose (every build warns until someone checks them with
    # CUF); the copy marks them checked, so that what these tests see is Quarto's warnings only
    config = dest / "_quarto.yml"
    text = config.read_text(encoding="utf-8")
    assert "\n  contact:\n" in text
    config.write_text(text.replace("\n  contact:\n", "\n  contact:\n    verified: true\n", 1), encoding="utf-8")
    return dest


@dataclass
class Renders:
    """The project copy, the embedded engine's files, Quarto's, and what Quarto printed."""

    root: Path
    embedded: Path
    quarto: Path
    seconds: dict[str, float] = field(default_factory=dict)
    output: dict[str, str] = field(default_factory=dict)


def _quarto_render(quarto: str, root: Path, profile: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [quarto, "render", "--profile", profile],
        cwd=root,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Renders]:
    quarto = _quarto()
    base = tmp_path_factory.mktemp("quarto")
    root = _copy_project(base / "project")
    started = time.perf_counter()
    build(root, engine="pandoc", workers=2, progress=False)
    result = Renders(root, base / "embedded", base / "quarto", {"embedded": time.perf_counter() - started})
    shutil.copytree(root / "_output", result.embedded)
    shutil.rmtree(root / "_output")
    for profile in PROFILES:
        started = time.perf_counter()
        proc = _quarto_render(quarto, root, profile)
        result.seconds[profile] = time.perf_counter() - started
        result.output[profile] = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"quarto render --profile {profile} failed:\n{proc.stdout}\n{proc.stderr}"
    shutil.copytree(root / "_output", result.quarto)
    timings = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    print(f"\nrender times: {timings}")
    yield result


def _pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _fonts(path: Path) -> set[str]:
    names: set[str] = set()
    for page in PdfReader(path).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})  # type: ignore[union-attr]
        for ref in fonts.values():
            name = str(ref.get_object().get("/BaseFont", ""))
            names.add(name.split("+", 1)[-1].removeprefix("/"))
    return names


def _captions(text: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in _CAPTION.finditer(text)]


_NUMBER = re.compile(r"^\d+(?:\.\d+)*\.?\s+")


def _title(text: str) -> str:
    """A heading without its section number (Quarto writes « 1. Objet », the embedded engine « 1 Objet »)."""
    return _NUMBER.sub("", " ".join(text.split()))


def _docx_headings(path: Path) -> list[str]:
    doc = docx.Document(str(path))
    return [
        _title(p.text) for p in doc.paragraphs if p.style is not None and p.style.name in ("Heading 1", "Heading 2")
    ]


def _outline(pdf: Path) -> list[str]:
    """The titles of the PDF's top-level bookmarks (the level-1 headings)."""
    return [_title(plain(str(item.title))) for item in PdfReader(pdf).outline if not isinstance(item, list)]


def test_every_profile_renders_without_warning(renders: Renders) -> None:
    for profile in PROFILES:
        warnings = quarto_warnings(renders.output[profile])
        assert warnings == [], f"quarto render --profile {profile}: {warnings}"


def test_outputs_land_in_output_like_cufstudy_build(renders: Renders) -> None:
    expected = {f"{p}.{ext}" for p in PROFILES for ext in FORMATS[p]}
    assert {p.name for p in renders.quarto.iterdir() if p.is_file()} >= expected
    assert {p.name for p in renders.embedded.iterdir() if p.is_file()} >= expected


def test_pdfs_are_a4_in_inter_with_the_notice_on_every_page(renders: Renders) -> None:
    for profile in PROFILES:
        pdf = renders.quarto / f"{profile}.pdf"
        reader = PdfReader(pdf)
        for n, page in enumerate(reader.pages, start=1):
            box = page.mediabox
            assert (round(float(box.width), 2), round(float(box.height), 2)) == A4, f"{pdf.name} page {n}"
        notice = _notice(profile)
        for n, text in enumerate(_pdf_pages(pdf), start=1):
            assert notice in normalise(text), f"{pdf.name} page {n} lacks the illustrative notice"
        fonts = _fonts(pdf)
        assert any(f.startswith("Inter-") for f in fonts), fonts
        # besides Inter: code in DejaVu Sans Mono, a formula in Typst's own math font
        text_fonts = {f for f in fonts if not f.startswith(("Inter-", "DejaVuSansMono", "NewCMMath"))}
        assert text_fonts == set(), f"{pdf.name}: set in {sorted(text_fonts)} (Inter expected)"


def test_page_counts_are_the_embedded_engines(renders: Renders) -> None:
    counts = {p: len(PdfReader(renders.quarto / f"{p}.pdf").pages) for p in PROFILES}
    embedded = {p: len(PdfReader(renders.embedded / f"{p}.pdf").pages) for p in PROFILES}
    print(f"\npages: quarto {counts}, embedded {embedded}")
    # each engine's PDF keeps the profile's page rule (both pass the same preflight: the checks run on both)
    for pages in (counts, embedded):
        assert pages["brochure"] == 4
        assert pages["guide"] <= 30
        assert pages["toolbox"] <= 20
    # Quarto's own Typst (0.13) and its wrapping of notebook outputs in blocks break pages a little differently
    # from the embedded engine: a few pages apart at most, never a different document
    for profile in PROFILES:
        assert abs(counts[profile] - embedded[profile]) <= max(1, round(0.1 * embedded[profile])), profile


def test_the_notice_in_html_and_docx(renders: Renders) -> None:
    for path in renders.quarto.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert 'class="cufstudy-notice"' in html, path.name
        assert _notice(path.stem) in normalise(extract_text(path)), path.name
    for path in renders.quarto.glob("*.docx"):
        with zipfile.ZipFile(path) as zf:
            headers = " ".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("word/header"))
        assert NOTICE_PLACEHOLDER not in headers, path.name
        assert _notice(path.stem) in normalise(re.sub(r"<[^>]+>", "", headers)), path.name


def test_html_is_offline(renders: Renders) -> None:
    for path in renders.quarto.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert external_urls(html) == [], path.name
        assert "mathjax" not in html.lower() and "polyfill" not in html.lower(), path.name
    toolbox = (renders.quarto / "toolbox.html").read_text(encoding="utf-8")
    assert "<math" in toolbox  # the toolbox's formula, as MathML


def test_same_section_headings(renders: Renders) -> None:
    for profile in PROFILES:
        quarto = _docx_headings(renders.quarto / f"{profile}.docx")
        embedded = _docx_headings(renders.embedded / f"{profile}.docx")
        assert quarto, profile
        assert quarto == embedded, profile
        assert _outline(renders.quarto / f"{profile}.pdf") == _outline(renders.embedded / f"{profile}.pdf"), profile


def test_same_figure_and_table_numbers_with_french_labels(renders: Renders) -> None:
    for profile in PROFILES:
        for ext in FORMATS[profile]:
            quarto = _captions(extract_text(renders.quarto / f"{profile}.{ext}"))
            embedded = _captions(extract_text(renders.embedded / f"{profile}.{ext}"))
            assert quarto, f"{profile}.{ext}: no numbered caption found"
            assert not [c for c in quarto if c[0] == "Table"], f"{profile}.{ext}: English label"
            assert sorted(set(quarto)) == sorted(set(embedded)), f"{profile}.{ext}"
    study = plain(extract_text(renders.quarto / "study.html"))
    assert re.search(r"\(\s*tableau \d+\s*\)", study)  # a cross-reference, in French


def test_same_facts(renders: Renders) -> None:
    import json

    facts = json.loads((renders.root / "_build" / "facts.json").read_text(encoding="utf-8"))["facts"]
    used = re.compile(r"\{\{<\s*fact\s+(\S+)\s*>\}\}")
    for profile in PROFILES:
        source = (renders.root / "reports" / profile / f"{profile}.qmd").read_text(encoding="utf-8")
        keys = set(used.findall(source))
        assert keys, profile
        for ext in FORMATS[profile]:
            text = plain(extract_text(renders.quarto / f"{profile}.{ext}"))
            assert "{{<" not in text, f"{profile}.{ext}"
            for key in keys:
                assert plain(str(facts[key]["text"])) in text, f"{key} missing from Quarto's {profile}.{ext}"


def test_citations_resolved(renders: Renders) -> None:
    for ext in ("html", "pdf", "docx"):
        text = plain(extract_text(renders.quarto / f"study.{ext}"))
        assert "france urbaine et cnfpt/inet, 2021" in text, ext
        assert "@franceurbaine2021" not in text and "???" not in text, ext
        assert "l'action internationale des villes" in text, ext  # the bibliography entry


def _media(path: Path) -> dict[str, int]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: i.file_size for i in zf.infolist() if i.filename.startswith("word/media/")}


def test_docx_charts_are_png(renders: Renders) -> None:
    for profile in PROFILES:
        media, same = _media(renders.quarto / f"{profile}.docx"), _media(renders.embedded / f"{profile}.docx")
        assert media, profile
        assert all(n.lower().endswith((".png", ".jpg", ".jpeg")) for n in media), (profile, media)
        charts = sorted(size for size in media.values() if size > _ICON_BYTES)
        assert len(charts) == len([s for s in same.values() if s > _ICON_BYTES]), profile


def test_a_pasted_confidential_value_fails_quarto_render(renders: Renders, tmp_path: Path) -> None:
    from cufstudy.model.cases import load_cases

    root = tmp_path / "project"
    shutil.copytree(renders.root, root, ignore=shutil.ignore_patterns("_extensions"))
    secret = load_cases(root / "data").confidential_values()[0]
    before = {p.name: p.read_bytes() for p in (root / "_output").iterdir() if p.is_file()}
    guide = root / "reports" / "guide" / "guide.qmd"
    guide.write_text(guide.read_text(encoding="utf-8") + f"\n\nComme le dit {secret.upper()}.\n", encoding="utf-8")
    proc = _quarto_render(_quarto(), root, "guide")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "guide" in output and "confidential" in output, output
    after = {p.name: p.read_bytes() for p in (root / "_output").iterdir() if p.is_file()}
    assert after == before  # nothing published


def test_cufstudy_build_with_quarto(renders: Renders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``cufstudy build --engine quarto`` builds the four profiles; a failure names the profile and Quarto's error."""
    from cufstudy.core.errors import RenderError

    monkeypatch.setenv(QUARTO_ENV, _quarto())
    root = tmp_path / "project"
    shutil.copytree(renders.root, root, ignore=shutil.ignore_patterns("_output", "_extensions"))
    result = build(root, engine="quarto", workers=2, progress=False)
    assert result.render.engine == "quarto"
    assert {o.path.name for o in result.render.outputs} == {f"{p}.{ext}" for p in PROFILES for ext in FORMATS[p]}
    assert [w for w in result.render.warnings if "quarto" in w] == []
    pages = {o.deliverable: o.pages for o in result.render.outputs if o.format == "pdf"}
    assert pages["brochure"] == 4
    # a broken Typst partial: the message names the profile and quotes Typst's own error
    own = root / "templates" / "typst" / "typst-show.typ"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text('#show: doc => cufstudy-doc(variant: "brochure", nonexistent-option: 1, doc)\n', encoding="utf-8")
    before = (root / "_output" / "brochure.pdf").read_bytes()
    with pytest.raises(RenderError) as caught:
        build(root, ["brochure"], engine="quarto", workers=2, progress=False)
    message = str(caught.value)
    assert "quarto render --profile brochure failed" in message
    assert "error: unexpected argument: nonexistent-option" in message
    assert "    at " not in message  # no stack trace
    assert (root / "_output" / "brochure.pdf").read_bytes() == before


def test_one_numbering_across_formats_and_engines(renders: Renders) -> None:
    from .numbering_helpers import captions, references

    for profile in PROFILES:
        files = [renders.quarto / f"{profile}.{ext}" for ext in FORMATS[profile]]
        files += [renders.embedded / f"{profile}.{ext}" for ext in FORMATS[profile]]
        files = [f for f in files if f.suffix in (".pdf", ".html", ".docx")]
        first, *others = files
        for other in others:
            assert captions(other) == captions(first), f"{other}: not the numbers of {first}"
            assert references(other) == references(first), f"{other}: not the cross-references of {first}"


def test_covers_print_the_same_french_date(renders: Renders) -> None:
    """The cover's edition line (« Version 1.0 · 1er décembre 2026 ») is the embedded engine's under Quarto."""
    day = dt.date.fromisoformat(str(read_yaml(renders.root / "_quarto.yml").data["date"]))
    edition = f"Version 1.0 · {format_date(day)}"
    for profile in PROFILES:
        for engine in (renders.embedded, renders.quarto):
            cover = " ".join(_pdf_pages(engine / f"{profile}.pdf")[0].replace("\u00a0", " ").split())
            assert edition in cover, f"{engine.name}/{profile}.pdf page 1 lacks {edition!r}: {cover[-300:]!r}"


def test_every_quarto_output_has_french_typography(renders: Renders) -> None:
    """The typography scan of the publish checks finds nothing in what Quarto rendered: the facts (a shortcode
    Quarto resolves after the pre-quarto filters), the notebook outputs and the bibliography (citeproc, which
    Quarto runs last) are typeset like the prose, as with the embedded engine."""
    from cufstudy.pipeline.typography import output_faults

    faults = {p: output_faults(sorted(renders.quarto.glob(f"{p}.*"))) for p in PROFILES}
    print("\ntypography faults under Quarto: " + ", ".join(f"{p} {len(f)}" for p, f in faults.items()))
    for profile in PROFILES:
        assert {p.suffix for p in renders.quarto.glob(f"{profile}.*")} >= {f".{e}" for e in FORMATS[profile]}
        found = faults[profile]
        assert not found, f"{profile}: {len(found)} faults:\n" + "\n".join(map(str, found[:20]))


def test_quarto_html_has_one_h1_with_numbered_chapters_and_cross_references(renders: Renders) -> None:
    """One <h1>, the title; the chapters are <h2> numbered 1, 2, 3... (as in the PDF and DOCX, whose
    headings test_same_section_headings compares), the side menu lists them, and a « Section N » reference
    reaches the heading with that number."""
    for profile in ("study", "guide", "toolbox"):
        page = (renders.quarto / f"{profile}.html").read_text(encoding="utf-8")
        assert re.findall(r"<h1\b[^>]*>", page) == ['<h1 class="title">'], profile
        chapters = re.findall(r'<h2 data-number="(\d+)"', page)
        assert chapters and chapters == [str(n) for n in range(1, len(chapters) + 1)], (profile, chapters)
        assert re.search(r'<h3 data-number="1\.1"', page), profile
        toc = page[page.index('<nav id="TOC"') :]
        toc = toc[: toc.index("</nav>")]
        assert 'header-section-number">1<' in toc and 'header-section-number">1.1<' in toc, profile
        numbers = dict(re.findall(r'<h[2-6] data-number="([\d.]+)"[^>]*data-anchor-id="([^"]+)"', page))
        by_id = {anchor: number for number, anchor in numbers.items()}
        refs = re.findall(r'<a href="#(sec-[^"]+)" class="quarto-xref">[^<]*?([\d.]+)</a>', page)
        assert refs or profile == "toolbox", profile
        for anchor, number in refs:
            assert by_id.get(anchor) == number, (profile, anchor, number)
        assert "?@sec" not in page, profile


def test_a_plain_quarto_render_of_the_brochure_publishes_its_designer_pack(renders: Renders) -> None:
    """``quarto render --profile brochure`` alone: its post-render step (``cufstudy check``) writes the pack
    from the brochure's DOCX and publishes it beside it, with the members of the embedded build's pack;
    ``cufstudy check brochure`` on the published files re-checks it."""
    from cufstudy.pipeline.designer import PACK_NAME

    def members(path: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(path) as zf:
            return {name: zf.read(name) for name in zf.namelist()}

    quarto, embedded = members(renders.quarto / PACK_NAME), members(renders.embedded / PACK_NAME)
    assert set(quarto) == set(embedded)
    assert quarto["plaquette.docx"] == (renders.quarto / "brochure.docx").read_bytes()
    assert any(n.startswith("graphiques/") and n.endswith(".svg") for n in quarto)
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "cufstudy"), "check", "brochure"],
        cwd=renders.root, env=_environment(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every check passed" in proc.stdout
