"""The deliverables built end to end from a copy of the project (real Papermill runs, real rendering).

Two builds: one from the default data, one from a modified copy (a case removed, canary strings in every
confidential field), to check that the prose follows the data and that nothing confidential leaks.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import zipfile
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from cufstudy.cli import app
from cufstudy.pipeline.build import build
from cufstudy.pipeline.leaks import extract_text, fold_words, normalise
from cufstudy.pipeline.notices import project_notices
from cufstudy.render import external_urls
from cufstudy.sdg.grid_delivery import BLANK_GRID, grid_names
from cufstudy.sdg.partnerships import partnership_ids

from .conftest import copy_project, plain

A4 = (595.28, 841.89)
PUBLIC = ["guide", "brochure", "toolbox"]



@pytest.fixture(scope="module")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = copy_project(tmp_path_factory.mktemp(MACHINE) / "project")  # a folder named like a user
    build(root, engine="pandoc", workers=2, progress=False)
    yield root


CANARIES = ["CANARYNAMEa1b2c3", "CANARYNOTEd4e5f6"]
REMOVED = "ville-autun.yaml"


@pytest.fixture(scope="module")
def modified_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = copy_project(tmp_path_factory.mktemp("modified") / "project")
    (root / "data" / "cases" / REMOVED).unlink()
    path = root / "data" / "cases" / "ville-angers.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'interviewee: ".*"', f'interviewee: "Jeanne {CANARIES[0]}"', text)
    text = re.sub(r'notes: ".*"', f'notes: "Propos confidentiels {CANARIES[1]} sur le service"', text)
    path.write_text(text, encoding="utf-8")
    build(root, engine="pandoc", workers=2, progress=False)
    yield root


def _pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _facts(root: Path) -> dict[str, dict[str, object]]:
    return dict(json.loads((root / "_build" / "facts.json").read_text(encoding="utf-8"))["facts"])


def test_every_deliverable_is_written(default_build: Path) -> None:
    out = default_build / "_output"
    expected = {
        "study.html",
        "study.pdf",
        "study.docx",
        "guide.html",
        "guide.pdf",
        "guide.docx",
        "brochure.pdf",
        "brochure.docx",
    }
    if (default_build / "_quarto-toolbox.yml").is_file():
        expected |= {"toolbox.html", "toolbox.pdf", "toolbox.docx"}
    assert expected <= {p.name for p in out.iterdir() if p.is_file()}


def test_the_toolbox_grids_are_published_with_it_and_import_back(default_build: Path) -> None:
    out = default_build / "_output"
    data = default_build / "data"
    names = grid_names(data)
    assert names[0] == BLANK_GRID and len(names) == 1 + len(partnership_ids(data))
    assert set(names) <= {p.name for p in out.iterdir()}
    for name in names[1:]:
        result = CliRunner().invoke(app, ["sdg", "import", str(out / name), "--data", str(data)])
        assert result.exit_code == 0, result.output
        assert "valid;" in result.output
    html = (out / "toolbox.html").read_text(encoding="utf-8")
    assert all(f'href="{name}"' in html for name in names), "the toolbox links the grids it is delivered with"
    assert "Summary for international forums" in html and "Clean water and sanitation" in html


def test_the_guide_prints_its_legal_framework_and_templates(default_build: Path) -> None:
    text = plain(extract_text(default_build / "_output" / "guide.pdf"))
    for needle in ("loi oudin-santini", "art. l1115-1-1", "ficol", "cerv", "annexe a – modèle de délibération",
                   "fiche de poste", "tableau de bord", "référence à vérifier", "legifrance.gouv.fr"):  # fmt: skip
        assert needle in text, needle


def test_page_counts_and_a4(default_build: Path) -> None:
    out = default_build / "_output"
    assert len(PdfReader(out / "brochure.pdf").pages) == 4
    assert 20 <= len(PdfReader(out / "guide.pdf").pages) <= 30
    if (out / "toolbox.pdf").is_file():
        assert len(PdfReader(out / "toolbox.pdf").pages) <= 20
    for pdf in out.glob("*.pdf"):
        for page in PdfReader(pdf).pages:
            box = page.mediabox
            assert (round(float(box.width), 2), round(float(box.height), 2)) == A4, pdf.name


def test_illustrative_notice_on_every_pdf_page(default_build: Path) -> None:
    notices = project_notices(default_build)
    for pdf in (default_build / "_output").glob("*.pdf"):
        head = normalise(notices.of(pdf.stem) or "")[:60]
        assert "illustratives" in head, pdf.name
        for n, text in enumerate(_pdf_pages(pdf), start=1):
            assert head in normalise(text), f"{pdf.name} page {n} lacks the illustrative notice"


def test_illustrative_notice_in_html_and_docx(default_build: Path) -> None:
    notices = project_notices(default_build)
    for path in (default_build / "_output").glob("*.html"):
        assert normalise(notices.of(path.stem) or "")[:60] in normalise(extract_text(path)), path.name
    for path in (default_build / "_output").glob("*.docx"):
        head = normalise(notices.of(path.stem) or "")[:60]
        with zipfile.ZipFile(path) as zf:
            headers = " ".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("word/header"))
        assert head in normalise(re.sub(r"<[^>]+>", "", headers)), path.name


def test_docx_headings(default_build: Path) -> None:
    doc = docx.Document(str(default_build / "_output" / "study.docx"))
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    for section in (
        "Objet et méthode",
        "Panorama des cas",
        "Caractérisation des stratégies",
        "Typologie des stratégies",
        "Les actions par type de stratégie",
        "L'organisation du service des relations internationales",
        "Profils par niveau de collectivité",
        "Similitudes et divergences entre niveaux",
        "Le suivi des recommandations",
        "Les collectivités de comparaison",
        "Limites de l'étude",
        "Bibliographie",
        "Annexe : règles, grilles et liste des cas",
    ):
        assert any(normalise(section) in normalise(h) for h in headings), section


def test_every_docx_fills_its_table_of_contents_and_asks_word_to_update_fields(default_build: Path) -> None:
    for path in sorted((default_build / "_output").glob("*.docx")):
        with zipfile.ZipFile(path) as zf:
            settings = zf.read("word/settings.xml").decode("utf-8")
            document = zf.read("word/document.xml").decode("utf-8")
        assert '<w:updateFields w:val="true"' in settings, path.name
        if "TOC \\" in document or "> TOC " in document:  # a table of contents: its entries are there
            assert '<w:pStyle w:val="TOC1"' in document, path.name
    with zipfile.ZipFile(default_build / "_output" / "guide.docx") as zf:
        assert '<w:pStyle w:val="TOC1"' in zf.read("word/document.xml").decode("utf-8")  # the guide's Sommaire


def test_html_loads_nothing_from_another_host(default_build: Path) -> None:
    for path in (default_build / "_output").glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert external_urls(html) == [], path.name


def test_facts_resolved_and_identical_across_deliverables(default_build: Path) -> None:
    facts = _facts(default_build)
    out = default_build / "_output"
    texts = {name: plain(extract_text(out / f"{name}.pdf")) for name in ("study", "guide", "brochure")}
    for text in texts.values():
        assert "{{<" not in text and "fact " not in text
    # a fact cited by the three deliverables prints the same text in each
    for key in ("n_dcol", "n_calls", "suivi.share_engaged", "suivi.top_obstacle"):
        printed = plain(str(facts[key]["text"]))
        for name, text in texts.items():
            assert printed in text, f"{key} = {printed!r} missing from {name}.pdf"


def test_citations_resolved(default_build: Path) -> None:
    text = plain(extract_text(default_build / "_output" / "study.pdf"))
    assert "(france urbaine et cnfpt/inet, 2021)" in text  # an author-date citation in the text
    assert "@franceurbaine2021" not in text and "???" not in text
    html = plain(extract_text(default_build / "_output" / "study.html"))
    assert "france urbaine ; cnfpt/inet, 2021. l'action internationale des villes" in html  # the bibliography entry
    assert 'data-cites="franceurbaine2021"' in html


def test_prose_follows_the_data(default_build: Path, modified_build: Path) -> None:
    before, after = _facts(default_build), _facts(modified_build)
    assert after["n_dcol"]["value"] == before["n_dcol"]["value"] - 1  # type: ignore[operator]
    for name in ("study", "guide", "brochure"):
        old = plain(extract_text(default_build / "_output" / f"{name}.pdf"))
        new = plain(extract_text(modified_build / "_output" / f"{name}.pdf"))
        assert f"{before['n_dcol']['text']} accompagnements" in old
        assert f"{after['n_dcol']['text']} accompagnements" in new, name
    study = normalise(extract_text(modified_build / "_output" / "study.pdf"))
    assert "autun" not in study  # the removed case is gone from the tables


def test_no_canary_in_public_outputs(modified_build: Path) -> None:
    out = modified_build / "_output"
    public_files = [p for p in out.iterdir() if p.is_file() and p.stem in PUBLIC]
    assert public_files
    for path in public_files:
        text = normalise(extract_text(path))
        for canary in CANARIES:
            assert normalise(canary) not in text, f"{canary} leaked into {path.name}"
    for nb in (modified_build / "_build" / "notebooks").glob("*.ipynb"):
        if nb.stem.startswith(("entretiens", "vignettes")):
            continue  # the internal notebooks (interviews, case portraits), embedded by the internal study only
        raw = nb.read_text(encoding="utf-8")
        assert not any(c in raw for c in CANARIES), nb.name


def test_canaries_present_in_internal_study(modified_build: Path) -> None:
    for ext in ("html", "pdf", "docx"):
        text = normalise(extract_text(modified_build / "_output" / f"study.{ext}"))
        for canary in CANARIES:
            assert normalise(canary) in text, f"{canary} missing from study.{ext}"


def test_a_confidential_value_in_a_public_deliverable_fails_the_build_and_publishes_nothing(
    default_build: Path, tmp_path: Path
) -> None:
    from cufstudy.core.errors import LeakError
    from cufstudy.model.cases import load_cases

    root = tmp_path / "project"
    shutil.copytree(default_build, root)
    secret = load_cases(root / "data").confidential_values()[0]
    before = {p.name: p.read_bytes() for p in (root / "_output").iterdir() if p.is_file()}
    guide = root / "reports" / "guide" / "guide.qmd"
    # an analyst pastes an interview into the public guide, its spaces and case changed on the way
    pasted = "  ".join(secret.upper().split())
    guide.write_text(guide.read_text(encoding="utf-8") + f"\n\nComme le dit {pasted}.\n", encoding="utf-8")
    with pytest.raises(LeakError) as caught:
        build(root, ["guide"], engine="pandoc", workers=2, progress=False)
    message = str(caught.value)
    assert "the public deliverable 'guide' contains confidential data; nothing was published" in message
    masked = f"({secret[0]}… ({len(secret)} characters))"
    for ext in ("html", "pdf", "docx"):
        assert re.search(rf"guide\.{ext}: (page \d+: )?contains the confidential value of data/cases/", message), ext
    assert message.count(masked) == 3 and secret not in message  # named by its field, never shown
    after = {p.name: p.read_bytes() for p in (root / "_output").iterdir() if p.is_file()}
    assert after == before  # the previous deliverables are kept, byte for byte


def _annexe_notebook(path: Path, secret: str) -> None:
    """An executed notebook whose labelled cell is harmless, and another cell of which prints an interview."""
    cells = [
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "source": "#| label: tbl-annexe\nshow_table(frame)",
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"text/markdown": "| Niveau | Cas |\n|:--|--:|\n| Région | 4 |\n", "text/plain": "x"},
                }
            ],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "source": "print(interviews[0].notes)",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": secret}],
        },
    ]
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, ensure_ascii=False),
        encoding="utf-8",
    )


def test_a_notebook_embedded_through_a_nested_include_is_leak_checked(default_build: Path, tmp_path: Path) -> None:
    """Includes resolve from the main document's folder, nested ones too (as Quarto does): the notebook the
    inner include embeds is found and searched, though what the guide shows of it is harmless."""
    from cufstudy.core.errors import LeakError
    from cufstudy.model.cases import load_cases

    root = tmp_path / "project"
    shutil.copytree(default_build, root)
    secret = load_cases(root / "data").confidential_values()[0]
    _annexe_notebook(root / "_build" / "notebooks" / "annexe.ipynb", secret)
    guide = root / "reports" / "guide"
    (guide / "parties").mkdir()
    (guide / "parties" / "_annexe.qmd").write_text("## Annexe\n\n{{< include parties/_tableau.qmd >}}\n")
    (guide / "parties" / "_tableau.qmd").write_text("{{< embed ../../_build/notebooks/annexe.ipynb#tbl-annexe >}}\n")
    main = guide / "guide.qmd"
    main.write_text(main.read_text(encoding="utf-8") + "\n{{< include parties/_annexe.qmd >}}\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in (root / "_output").iterdir() if p.is_file()}
    with pytest.raises(LeakError) as caught:
        build(root, ["guide"], engine="pandoc", formats=["html"], workers=2, progress=False)
    assert "annexe.ipynb: contains the confidential value of data/cases/" in str(caught.value)
    assert secret not in str(caught.value)
    assert {p.name: p.read_bytes() for p in (root / "_output").iterdir() if p.is_file()} == before


def test_an_escaped_embed_is_text_not_an_embed(default_build: Path, tmp_path: Path) -> None:
    """``{{{< embed ... >}}}`` prints the shortcode: no notebook is embedded, none needs to exist."""
    root = tmp_path / "project"
    shutil.copytree(default_build, root)
    main = root / "reports" / "guide" / "guide.qmd"
    literal = "embed ../../_build/notebooks/absent.ipynb#fig-x"
    main.write_text(
        main.read_text(encoding="utf-8") + f"\nPour insérer une figure, écrire {{{{{{< {literal} >}}}}}}.\n",
        encoding="utf-8",
    )
    build(root, ["guide"], engine="pandoc", formats=["html"], workers=2, progress=False)
    assert plain("{{< " + literal + " >}}") in plain(extract_text(root / "_output" / "guide.html"))


def test_a_build_loads_the_plan_and_takes_the_lock_once(
    default_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cufstudy.pipeline.lock
    import cufstudy.pipeline.plan
    import cufstudy.pipeline.runs

    root = tmp_path / "project"
    shutil.copytree(default_build, root)
    parsed: list[Path] = []
    real_parse = cufstudy.pipeline.plan._Parser.parse

    def parse(self: cufstudy.pipeline.plan._Parser) -> cufstudy.pipeline.plan.Plan:
        parsed.append(self.root)
        return real_parse(self)

    acquired: list[Path] = []
    real_lock = cufstudy.pipeline.lock.filelock.FileLock

    def counting_lock(path: Path, **kwargs: object) -> object:
        lock = real_lock(path, **kwargs)  # type: ignore[arg-type]
        if kwargs.get("is_singleton"):
            acquired.append(Path(path))
        return lock

    def no_lock(*args: object, **kwargs: object) -> None:
        raise AssertionError("the build's batch took the lock again")

    monkeypatch.setattr(cufstudy.pipeline.plan._Parser, "parse", parse)
    monkeypatch.setattr(cufstudy.pipeline.lock.filelock, "FileLock", counting_lock)
    monkeypatch.setattr(cufstudy.pipeline.runs, "project_lock", no_lock)
    result = build(root, ["brochure"], engine="pandoc", progress=False)
    assert result.runs.ok  # up to date, unless the library was edited since the fixture's build: then re-run
    assert parsed == [root.resolve()]
    assert acquired == [root.resolve() / "_build" / ".lock"]


MACHINE = "jean-pierre.dupont"  # a user-name-like folder the default build runs in (see default_build)


def _texts_of(path: Path | io.BytesIO, name: str = "") -> list[str]:
    """Every text a reader or a tool can get out of an output file: PDF text and metadata, every part of a
    DOCX or an Excel grid (properties, sheets, shared strings), every member of the designer pack."""
    suffix = Path(name).suffix if isinstance(path, io.BytesIO) else path.suffix
    if suffix == ".pdf":
        reader = PdfReader(path)
        return [page.extract_text() or "" for page in reader.pages] + [str(reader.metadata or {})]
    if suffix in (".docx", ".xlsx", ".zip"):
        texts: list[str] = []
        with zipfile.ZipFile(path) as archive:
            for n in archive.namelist():
                if n.endswith((".png", ".otf", ".ttf")):
                    continue
                data = archive.read(n)
                if n.endswith((".pdf", ".docx")):
                    texts += _texts_of(io.BytesIO(data), n)
                else:
                    texts.append(data.decode("utf-8", "replace"))
        return texts
    assert isinstance(path, Path)
    return [path.read_text(encoding="utf-8", errors="replace")]


def test_no_output_names_the_build_machine(default_build: Path) -> None:
    """Built in /tmp/pytest-of-<user>/.../jean-pierre.dupont0/project: no output file (HTML, PDF text and metadata,
    every part of a DOCX: custom properties, image descriptions; every part of the toolbox's Excel grids) nor
    executed notebook holds that folder, any absolute path of the project, or the host name."""
    assert MACHINE in str(default_build)
    canaries = [MACHINE, str(default_build), str(default_build.resolve()), "pytest-of-"]
    host = socket.gethostname()
    words = [host] if len(host) >= 4 else []  # a two-letter host name ("vm") is every XML namespace's
    files = sorted(p for p in (default_build / "_output").rglob("*") if p.is_file() and p.suffix != ".png")
    files += sorted((default_build / "_build" / "notebooks").glob("*.ipynb"))
    assert {p.suffix for p in files} == {".html", ".pdf", ".docx", ".xlsx", ".zip", ".ipynb"}
    for path in files:
        for text in _texts_of(path):
            for canary in canaries:
                assert canary not in text, f"{path.name} holds {canary!r}"
            for word in words:
                assert not re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", text), f"{path.name} holds {word!r}"


def test_a_deliverable_renders_again_only_when_something_it_reads_changed(default_build: Path, tmp_path: Path) -> None:
    """Per-deliverable render stamps: a case's population reaches the panorama's facts and notebooks, not the
    SDG toolbox; an edit of a file the study and the guide include (outside their folders) renders both
    again, not the brochure, which does not include it, nor the toolbox, which includes its own notice."""
    root = Path(shutil.copytree(default_build, tmp_path / "project"))
    case = root / "data" / "cases" / "ville-angers.yaml"
    text = case.read_text(encoding="utf-8")
    case.write_text(re.sub(r"(?m)^(    value:) (\d+)$", lambda m: f"{m[1]} {int(m[2]) + 1000}", text, count=1))
    first = build(root, engine="pandoc", workers=2, progress=False).render
    # the study shows the populations (its table of cases); the toolbox reads none of them (nor does the
    # guide: Angers is neither its smallest nor its largest authority, and its notebooks ignore populations)
    assert "toolbox" in first.reused and "study" not in first.reused, first.reused
    shared = root / "reports" / "shared" / "_avertissement.qmd"
    shared.write_text(shared.read_text(encoding="utf-8") + "\nUne précision de plus.\n", encoding="utf-8")
    second = build(root, engine="pandoc", workers=2, progress=False).render
    assert set(second.reused) == {"brochure", "toolbox"}, second.reused
    third = build(root, engine="pandoc", workers=2, progress=False).render
    assert set(third.reused) == {"brochure", "study", "guide", "toolbox"}, third.reused


def test_the_toolbox_and_its_grids_are_published_as_one_set(
    default_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The grids go into the toolbox's own publication (one journal, one swap), so a kill leaves the toolbox
    and its grids all old or all new; a grid of a partnership that no longer exists is removed in that set."""
    import cufstudy.pipeline.publish as publish

    root = Path(shutil.copytree(default_build, tmp_path / "project"))
    stale = root / "_output" / "grille-odd-partenariat-disparu.xlsx"
    stale.write_bytes(b"an old grid")
    toolbox = root / "reports" / "toolbox" / "toolbox.qmd"
    toolbox.write_text(toolbox.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    sets: list[tuple[list[str], list[str]]] = []
    real = publish.publish_set

    def recording(root_: Path, output: Path, swaps: list[tuple[Path, Path]], remove: Sequence[Path] = ()) -> None:
        sets.append(([t.name for _, t in swaps], [p.name for p in remove]))
        real(root_, output, swaps, remove)

    monkeypatch.setattr(publish, "publish_set", recording)
    result = build(root, ["toolbox"], engine="pandoc", workers=2, progress=False)
    assert len(sets) == 1, sets
    targets, removed = sets[0]
    assert {"toolbox.html", "toolbox.pdf", "toolbox.docx", *grid_names(root / "data")} == set(targets)
    assert removed == [stale.name] and not stale.exists()
    assert {p.name for p in result.grids} == set(grid_names(root / "data"))
# --- analytic integrity: bases, one decision aid, no real authority beside an invented coding ---------------

DCOL_BASE = "n\u00a0=\u00a018 missions DCOL"
NOT_ON_CASES = {  # tables of the methods, not computed on cases: no base
    "tbl-modeles", "tbl-modeles-court", "tbl-grille-type", "tbl-grille-niveau", "tbl-aide-court", "tbl-regles",
    "tbl-actions", "tbl-actions-court", "tbl-grille", "tbl-selection-criteres", "tbl-selection-grille",
    "tbl-terrain-avancement",
}  # fmt: skip
STUDY_NOTEBOOKS = ["panorama", "typologie", "typologie_cas", "organisation", "suivi"]


def _labelled_outputs(nb_path: Path) -> Iterator[tuple[str, str, dict[str, object], list[dict[str, object]]]]:
    """(label, caption, cell, outputs) of every fig-/tbl- cell of an executed notebook."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        label = re.search(r"^#\|\s*label:\s*((?:fig|tbl)-\S+)", source, re.M)
        if cell["cell_type"] != "code" or label is None:
            continue
        caption = re.search(r"^#\|\s*(?:fig|tbl)-cap:\s*\"(.*)\"", source, re.M)
        yield label.group(1), caption.group(1) if caption else "", cell, cell.get("outputs", [])


def _base_of(outputs: list[dict[str, object]]) -> str | None:
    for out in outputs:
        meta = out.get("metadata") or {}
        base = meta.get("cufstudy", {}).get("base") if isinstance(meta, dict) else None  # type: ignore[union-attr]
        if base:
            return str(base)
    return None


def test_every_figure_states_its_base_and_those_labelled_dcol_count_the_18_missions(default_build: Path) -> None:
    from cufstudy.model.cases import load_cases

    dcol = load_cases(default_build / "data").population("dcol")
    assert len(dcol) == 18
    n_recs = sum(len(c.recommendations) for c in dcol)
    allowed = {DCOL_BASE, f"n\u00a0=\u00a0{n_recs} recommandations de 18 missions DCOL"}
    checked = 0
    for stem in STUDY_NOTEBOOKS:
        for label, caption, _, outputs in _labelled_outputs(default_build / "_build" / "notebooks" / f"{stem}.ipynb"):
            base = _base_of(outputs)
            if label in NOT_ON_CASES:
                continue
            assert base, f"{stem}#{label} does not state its base"
            # labelled as the DCOL missions (not as the whole case base, which names its populations)
            if ("missions DCOL" in caption or "DCOL « stratégie »" in caption) and "base de cas" not in caption:
                assert base in allowed, f"{stem}#{label} is labelled DCOL but its base is {base!r}"
                checked += 1
    assert checked >= 20
    # the charts count the 18 missions: the typology schema and the map
    nb = json.loads((default_build / "_build" / "notebooks" / "typologie.ipynb").read_text(encoding="utf-8"))
    specs = [
        out["data"]["application/vnd.vegalite.v6+json"]
        for cell in nb["cells"] if "fig-typologie-schema" in "".join(cell["source"])
        for out in cell["outputs"] if "application/vnd.vegalite.v6+json" in out.get("data", {})
    ]  # fmt: skip
    [schema] = specs
    values = [v for d in schema.get("datasets", {}).values() for v in d] or schema["data"]["values"]
    assert sum(int(v["cas"]) for v in values) == 18
    panorama = (default_build / "_build" / "notebooks" / "panorama.ipynb").read_text(encoding="utf-8")
    cell = next(c for c in json.loads(panorama)["cells"] if "fig-carte-cas" in "".join(c["source"]))
    spec = json.dumps(cell["outputs"][0]["data"]["application/vnd.vegalite.v6+json"], ensure_ascii=False)
    assert spec.count('"nom"') >= 18 and "Aude" not in spec  # the SDG pilot is not among the strategy missions


def _docx_tables(path: Path) -> list[list[list[str]]]:
    document = docx.Document(str(path))
    return [[[c.text.strip() for c in row.cells] for row in table.rows] for table in document.tables]


def _answers(path: Path) -> dict[str, str]:
    """Type of strategy -> the best-suited models, from the decision aid's table (whatever the tier)."""
    for table in _docx_tables(path):
        if table and table[0][:2] == ["Type de stratégie", "Modèles les mieux adaptés"]:
            return {row[0]: " ".join(row[1].split()) for row in table[1:]}
    raise AssertionError(f"{path.name}: no table of the decision aid's answers")


def test_the_decision_aid_gives_one_answer_in_the_study_the_guide_and_the_brochure(default_build: Path) -> None:
    from cufstudy.study.typology import load_typology

    facts = _facts(default_build)
    out = default_build / "_output"
    answers = {name: _answers(out / f"{name}.docx") for name in ("study", "guide", "brochure")}
    assert answers["study"] == answers["guide"] == answers["brochure"]
    typology = load_typology(default_build / "data")
    for t in typology.types:
        printed = answers["study"][t.name]
        assert normalise(str(facts[f"aide.{t.id}.overall"]["text"])) in normalise(re.sub(r" \(\d+/\d+\)", "", printed))
    # the actions of each type name the same models (study and guide)
    for name in ("study", "guide"):
        text = normalise(extract_text(out / f"{name}.html"))
        for t in typology.types:
            first = str(facts[f"aide.{t.id}.overall"]["text"]).split(" ; ")[0].split(" (")[0]
            assert normalise(f"modèles d'organisation les mieux adaptés : {first}") in text, (name, t.id)
    # a cell without a DCOL mission gives no recommendation
    assert facts["aide.jumelages.region"]["text"] == "aucune mission de ce type à ce niveau"


def test_the_brochure_key_figures_chart_and_tables_share_their_base(default_build: Path) -> None:
    facts = _facts(default_build)
    pages = _pdf_pages(default_build / "_output" / "brochure.pdf")
    assert len(pages) == 4
    n = int(facts["n_dcol"]["value"])  # type: ignore[call-overload]
    assert n == 18 and normalise(f"{n} accompagnements") in normalise(pages[0])
    assert normalise(f"base : {DCOL_BASE}") in normalise(pages[1])
    tables = _docx_tables(default_build / "_output" / "brochure.docx")
    [types] = [t for t in tables if t[0][-1] == "Missions"]
    assert sum(int(row[-1]) for row in types[1:]) == n
    assert not re.search(r"\baude\b", fold_words(pages[0]))  # the map shows the strategy missions only


def test_no_public_output_pairs_a_real_name_with_an_illustrative_type(default_build: Path, tmp_path: Path) -> None:
    from cufstudy.core.errors import LeakError
    from cufstudy.pipeline.leaks import find_pairings
    from cufstudy.study.pseudonyms import neutral_labels, pairings_of

    root = tmp_path / "project"
    shutil.copytree(default_build, root)
    out = root / "_output"
    public = [p for p in out.iterdir() if p.is_file() and p.stem in PUBLIC]
    assert find_pairings(public, pairings_of(root / "data")) == []
    guide = normalise(extract_text(out / "guide.pdf"))
    labels = neutral_labels(load_cases_of(root))
    assert normalise(labels["ville-caen"]) in guide and normalise("Ville de Caen") not in guide
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    qmd = root / "reports" / "guide" / "guide.qmd"
    qmd.write_text(qmd.read_text(encoding="utf-8") + "\n\nVille de Caen — Jumelages hérités.\n", encoding="utf-8")
    with pytest.raises(LeakError) as caught:
        build(root, ["guide"], engine="pandoc", workers=2, progress=False)
    message = str(caught.value)
    assert "the public deliverable 'guide' prints a real authority beside its illustrative coding" in message
    assert "'Ville de Caen' beside its illustrative coding 'Jumelages hérités'" in message
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def load_cases_of(root: Path):  # type: ignore[no-untyped-def]
    from cufstudy.model.cases import load_cases

    return load_cases(root / "data")


def test_illustrative_material_reads_as_illustrative(default_build: Path) -> None:
    out = default_build / "_output"
    study = normalise(extract_text(out / "study.pdf"))
    assert normalise("date (exemple)") in study and normalise("fonction (exemple)") in study
    assert normalise("aucune date ni fonction n'est celle d'un entretien mené") in study
    assert normalise("aucun n'a encore été mené") in study  # the fieldwork progress does not count the examples
    # a reference to check says so, in every format of the deliverables that cite it; no placeholder stands
    # for a reference that could not be found (« Référence à préciser »: its citation is removed instead)
    for name in ("study", "guide"):
        for ext in ("pdf", "html", "docx"):
            text = normalise(extract_text(out / f"{name}.{ext}"))
            assert normalise("référence à préciser") not in text, f"{name}.{ext}"
            if name == "guide":  # the loi énergie 2006, the LOM 2019...: their article is to check
                assert normalise("référence à vérifier") in text, f"{name}.{ext}"
    # the sources of the terms of reference carry their address
    toolbox = normalise(extract_text(out / "toolbox.html"))
    for url in ("https://www.insee.fr/fr/statistiques/2654964", "http://rfsc.eu",
                "http://www.comite21.org/nos-expertises/territoires-durables/index.html",
                "https://www.oecd.org/cfe/territorial-approach-sdgs.htm",
                "https://www.cglu.org/sites/default/files/module4.pdf"):  # fmt: skip
        assert normalise(url) in toolbox, url


@pytest.mark.parametrize("name", ["study", "guide", "toolbox", "brochure"])
def test_figures_and_tables_have_one_numbering_in_every_format(default_build: Path, name: str) -> None:
    from .numbering_helpers import captions, references

    out = default_build / "_output"
    files = [out / f"{name}.{ext}" for ext in ("pdf", "html", "docx") if (out / f"{name}.{ext}").exists()]
    assert len(files) >= 2
    first, *others = files
    numbers = captions(first)
    assert numbers, f"{first.name} has no numbered caption"
    # unlabelled tables take no number: the numbers of each kind run 1, 2, 3... without a gap
    for kind in ("Tableau", "Figure"):
        seen = [n for k, n, _ in numbers if k == kind]
        assert seen == list(range(1, len(seen) + 1)), (first.name, kind, seen)
    for other in others:
        assert captions(other) == numbers, other.name
        assert references(other) == references(first), other.name
    for ref in references(first):
        kind, number = ref.split()
        assert (kind, int(number)) in {(k, n) for k, n, _ in numbers}, f"{first.name}: {ref} cites no caption"


def test_html_has_one_main_landmark_and_headings_clear_the_notice_band(default_build: Path) -> None:
    for name in ("study", "guide", "toolbox"):
        page = (default_build / "_output" / f"{name}.html").read_text(encoding="utf-8")
        assert page.count("<main") == 1, name
        assert page.index('class="cufstudy-notice"') < page.index("<main"), name
        assert re.search(r"scroll-margin-top:\s*[1-9]", page), name


# -- French typography and the HTML structure of what a reader gets (issue 17) --------------------------------


def test_every_output_of_the_default_build_has_french_typography(default_build: Path) -> None:
    from cufstudy.pipeline.typography import output_faults, svg_faults

    out = default_build / "_output"
    files = sorted(p for p in out.iterdir() if p.suffix in (".pdf", ".docx", ".html", ".xlsx"))
    assert {p.suffix for p in files} == {".pdf", ".docx", ".html", ".xlsx"}
    faults = output_faults(files)
    # the charts as SVG, as the PDFs draw them (drawn after the runs, cached by spec: render.chart_images)
    charts = 0
    for svg in sorted((default_build / "_build" / "cache" / "charts").glob("*.svg")):
        charts += 1
        faults += svg_faults(svg.read_text(encoding="utf-8"), svg.name)
    assert charts >= 10
    assert not faults, f"{len(faults)} typographic faults:\n" + "\n".join(map(str, faults[:40]))


class _Structure(HTMLParser):
    """The headings, landmarks and table captions of a page, as a browser parses them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.tables = 0
        self.captioned = 0
        self._table_open = False
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "table":
            self.tables += 1
            self._table_open = True
        elif self._table_open:
            self.captioned += tag == "caption"  # the caption must be the table's first child
            self._table_open = False
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


@pytest.mark.parametrize("page", ["study.html", "guide.html", "toolbox.html"])
def test_an_html_page_has_one_h1_a_main_landmark_and_a_caption_on_every_table(default_build: Path, page: str) -> None:
    parser = _Structure()
    parser.feed((default_build / "_output" / page).read_text(encoding="utf-8"))
    assert parser.tags.count("h1") == 1 and parser.tags.count("main") == 1
    assert parser.tags.count("h2") >= 3  # the chapters, under the title
    assert parser.tables >= 3 and parser.captioned == parser.tables
    css = re.sub(r"\s+", " ", " ".join(parser.styles))
    rule = re.search(r"([^{}]*)\{[^}]*scroll-margin-top: ?(\d+(?:\.\d+)?)rem", css)
    assert rule and "h2[id]" in rule.group(1) and float(rule.group(2)) >= 3  # below the sticky notice band
