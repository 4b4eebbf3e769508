"""The study rebuilt after a data change: its written findings, synthesis, conclusions and case portraits
follow the cases in the published HTML, not only in the modules that write them.

One copy of the project is built (the study, HTML only: the fastest build that holds every generated part),
then edited as an analyst would (two communes removed, the organisation observed after one mission changed)
and built again. The expected sentences are computed from the edited data with the library's own functions
(:func:`cufstudy.study.findings.find_all`, :func:`cufstudy.study.vignettes.vignette`) and looked for in the
section of the published page that should print them; a few values are also stated by hand, from the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cufstudy.model.cases import load_cases
from cufstudy.notebook import setup
from cufstudy.pipeline.build import build
from cufstudy.study import findings
from cufstudy.study.findings import Findings, Section

from .conftest import plain
from .fieldwork_helpers import copy_project

pytestmark = pytest.mark.usefixtures("pinned_library")

REMOVED = ("ville-autun", "ville-caen")  # two communes, both of the type « Jumelages hérités »
EDITED = "ville-pau"  # the service went back to the mayor's office after the mission


class _SectionText(HTMLParser):
    """The text inside the element of a given id (a ``<section id="sec-...">`` of the page)."""

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted, self.depth, self.parts = wanted, 0, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag not in _VOID
        elif dict(attrs).get("id") == self.wanted:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in _VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


_VOID = {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "source"}


def section_text(html: str, anchor: str) -> str:
    """What a reader sees of one section of the page (:func:`plain`); fails if the page has no such section."""
    parser = _SectionText(anchor)
    parser.feed(html)
    assert parser.parts, f"no section #{anchor} in the page"
    return plain(" ".join(parser.parts))


@dataclass(frozen=True)
class Built:
    root: Path
    html: str
    found: Findings


def _found(data: Path) -> Findings:
    study = setup(data)
    dcol = study.dcol
    return findings.find_all(
        dcol.frame, dcol.recs, study.classes, study.typology.names, fallback=study.typology.fallback
    )


def _build(root: Path) -> Built:
    build(root, ["study"], engine="pandoc", formats=["html"], workers=2, progress=False)
    html = (root / "_output" / "study.html").read_text(encoding="utf-8")
    return Built(root, html, _found(root / "data"))


def _edit(root: Path) -> None:
    cases = root / "data" / "cases"
    for case_id in REMOVED:
        (cases / f"{case_id}.yaml").unlink()
    path = cases / f"{EDITED}.yaml"
    text = path.read_text(encoding="utf-8")
    edited = re.sub(r"(\n  after:\n    attachment: )\w+", r"\g<1>cabinet", text)
    assert edited != text
    path.write_text(edited, encoding="utf-8")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Built, Built]]:
    root = copy_project(tmp_path_factory.mktemp("rebuild") / "project")
    before = _build(root)
    _edit(root)
    yield before, _build(root)


def test_the_edit_changes_the_case_base_as_intended(builds: tuple[Built, Built]) -> None:
    before, after = builds
    assert before.found.n - after.found.n == len(REMOVED)
    dcol = load_cases(after.root / "data").population("dcol")
    assert dcol[EDITED].organisation.after is not None
    assert dcol[EDITED].organisation.after.attachment.value == "cabinet"


def test_the_synthesis_prints_the_findings_of_the_edited_data(builds: tuple[Built, Built]) -> None:
    before, after = builds
    old, new = section_text(before.html, "sec-synthese"), section_text(after.html, "sec-synthese")
    chosen = [f for items in findings.synthesis(after.found).values() for f in items]
    assert chosen
    for f in chosen:
        assert plain(f.text) in new, f.text
    gone = [f for items in findings.synthesis(before.found).values() for f in items if f not in chosen]
    assert gone and all(plain(f.text) not in new for f in gone if f.key not in {c.key for c in chosen})
    # stated by hand from the data: 18 missions less two; the type of the two removed communes loses them
    assert "des 18 accompagnements dcol" in old and "des 16 accompagnements dcol" in new
    assert "« jumelages hérités » (trois missions)" in old
    assert "« jumelages hérités » (une mission)" in new
    assert plain(after.found.caution()) in new and "chaque mission y pèse 6,2 points" in new


@pytest.mark.parametrize(
    ("section", "anchor"),
    [
        (Section.CHARACTERISATION, "sec-strategies"),
        (Section.TYPOLOGY, "sec-typologie"),
        (Section.ORGANISATION, "sec-organisation"),
        (Section.TIERS, "sec-comparaison-niveaux"),
        (Section.FOLLOWUP, "sec-suivi"),
    ],
)
def test_each_section_prints_its_findings_of_the_edited_data(
    builds: tuple[Built, Built], section: Section, anchor: str
) -> None:
    before, after = builds
    text = section_text(after.html, anchor)
    for f in after.found.section(section):
        assert plain(f.text) in text, f.text
    changed = {f.text for f in before.found.section(section)} - {f.text for f in after.found.section(section)}
    assert changed, f"the edit changes no finding of {section}: the test would not see a stale page"
    for old in changed:
        assert plain(old) not in text, old


def test_the_tier_findings_count_the_remaining_communes(builds: tuple[Built, Built]) -> None:
    before, after = builds
    old = section_text(before.html, "sec-comparaison-niveaux")
    new = section_text(after.html, "sec-comparaison-niveaux")
    assert "les communes (10 missions)" in old
    assert "les communes (huit missions)" in new and "les communes (10 missions)" not in new


def test_the_conclusions_follow_the_edited_data(builds: tuple[Built, Built]) -> None:
    _, after = builds
    text = section_text(after.html, "sec-conclusions")
    chosen = findings.conclusions(after.found)[:8]
    assert chosen
    for f in chosen:
        assert plain(f.text) in text, f.text


def test_the_portraits_follow_the_edited_cases(builds: tuple[Built, Built]) -> None:
    before, after = builds
    old, new = section_text(before.html, "sec-portraits"), section_text(after.html, "sec-portraits")
    for name in ("ville d'autun", "ville de caen"):
        assert name in old and name not in new, name
    assert new.count("portrait d'exemple") == old.count("portrait d'exemple") - len(REMOVED) == 16

    def portrait(text: str) -> str:
        start = text.index("ville de pau codage illustratif")
        end = text.find("codage illustratif : portrait", start + len("ville de pau codage illustratif"))
        return text[start : end if end > 0 else None]

    was, now = portrait(old), portrait(new)
    assert "observée au suivi : service mutualisé ville-intercommunalité" in was
    assert "observée au suivi : cabinet du maire ou du président" in now
    assert "le rattachement recommandé a été adopté" in was
    assert "le service a gardé son rattachement d'avant la mission" in now
