"""The brochure's designer pack (``_output/brochure-designer.zip``) and the DOCX it carries.

The unit tests need no build; the others build the brochure once from a copy of the project (real notebook
runs, the embedded engine). Only the LibreOffice page count needs ``soffice``, and skips without it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from cufstudy.core.errors import LeakError
from cufstudy.pipeline.build import build
from cufstudy.pipeline.checks import Requirements, check_files, raise_for
from cufstudy.pipeline.designer import (
    CSV_ENCODING,
    PACK_NAME,
    PackItem,
    chart_table,
    markdown_table_rows,
    write_pack,
)
from cufstudy.pipeline.leaks import find_pairings

from .conftest import ROOT, copy_project

CHARTS = ["fig-plaquette-chiffres", "fig-plaquette-carte", "fig-typologie-schema", "fig-arbre-decision"]
TABLES = ["tbl-types-court", "tbl-actions-court", "tbl-modeles-court", "tbl-aide-court"]
EMU_PER_INCH = 914_400


# -- units: the data of a chart, a table's cells, the zip --------------------------------------------------


def _spec() -> dict[str, object]:
    return {
        "datasets": {
            "d1": [
                {"nom": "Ville d'Aix-en-Provence", "n": 1, "x": 3.5, "part": 0.25},
                {"nom": "Zébulon Quatrefages-Météyer", "n": 2, "x": 9.0, "part": 0.125},
                {"nom": "", "n": None, "x": 0.0, "part": None},
            ]
        },
        "data": {"name": "d1"},
        "layer": [
            {"mark": "rect", "encoding": {"x": {"field": "x", "type": "quantitative"}}},
            {
                "mark": "circle",
                "encoding": {
                    "tooltip": [
                        {"field": "n", "title": "N°"},
                        {"field": "nom", "title": "Collectivité"},
                        {"field": "part", "title": "Part"},
                    ]
                },
            },
        ],
    }


def test_the_data_of_a_chart_is_its_tooltip_under_its_french_titles() -> None:
    columns, rows = chart_table(_spec())
    assert columns == ("N°", "Collectivité", "Part")  # the layout field x is not data
    assert rows == ((1, "Ville d'Aix-en-Provence", 0.25), (2, "Zébulon Quatrefages-Météyer", 0.125))


def test_a_chart_without_a_titled_tooltip_has_no_data_table() -> None:
    spec = _spec()
    spec["layer"] = [{"mark": "circle", "encoding": {"tooltip": [{"field": "n"}]}}]
    assert chart_table(spec) == ((), ())


def test_a_markdown_table_reads_back_without_its_escapes() -> None:
    text = "| Type | En bref |\n|:---|---:|\n| **Jumelages** hérités | 3 \\| 4 \\* |\n\n*Base : n = 18.*\n"
    assert markdown_table_rows(text) == (("Type", "En bref"), (("Jumelages hérités", "3 | 4 *"),))
    assert markdown_table_rows("pas de tableau") == ((), ())


def _pack(tmp_path: Path, name: str, epoch: int = 1_764_547_200) -> Path:
    document = tmp_path / "plaquette.docx"
    if not document.exists():
        with zipfile.ZipFile(document, "w") as zf:
            zf.writestr("word/document.xml", "<w:document>Synthèse</w:document>")
    items = [
        PackItem(
            1,
            "fig-a",
            "De l'ambition",
            ("Collectivité", "Part"),
            (("Ville d'Aix-en-Provence", 0.5),),
            "<svg/>",
            b"%PDF",
        ),
        PackItem(2, "tbl-b", "Les types", ("Type", "Cas"), (("Coopération solidaire", "4"),)),
    ]
    return write_pack(
        tmp_path / name, items, document, ROOT, title="Stratégies", notice="Données illustratives", epoch=epoch
    )


def test_the_pack_is_byte_reproducible_sorted_and_dated_from_the_build(tmp_path: Path) -> None:
    first, second = _pack(tmp_path, "a.zip"), _pack(tmp_path, "b.zip")
    assert first.read_bytes() == second.read_bytes()
    assert _pack(tmp_path, "c.zip", epoch=1_700_000_000).read_bytes() != first.read_bytes()
    with zipfile.ZipFile(first) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert {info.date_time[:3] for info in zf.infolist()} == {(2025, 12, 1)}
        assert {"plaquette.docx", "LISEZ-MOI.txt", "graphiques/01-fig-a.svg", "graphiques/01-fig-a.pdf"} <= set(names)
        assert {"donnees/01-fig-a.csv", "donnees/02-tbl-b.csv", "polices/OFL.txt"} <= set(names)
        assert any(n.startswith("polices/Inter-") and n.endswith(".otf") for n in names)


def test_the_csv_opens_in_a_french_spreadsheet_with_its_accents(tmp_path: Path) -> None:
    with zipfile.ZipFile(_pack(tmp_path, "a.zip")) as zf:
        raw = zf.read("donnees/01-fig-a.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, not Windows-1252
    rows = list(csv.reader(io.StringIO(raw.decode(CSV_ENCODING)), delimiter=";"))
    assert rows == [["Collectivité", "Part"], ["Ville d’Aix-en-Provence", "0,5"]]  # decimal comma, ’


def test_the_readme_is_french_names_the_colours_and_the_notice(tmp_path: Path) -> None:
    with zipfile.ZipFile(_pack(tmp_path, "a.zip")) as zf:
        readme = zf.read("LISEZ-MOI.txt").decode("utf-8")
    assert "Données illustratives" in readme and "#1F4E79" in readme and "#0072B2" in readme
    assert "SIL Open Font License" in readme and "confidentiel" in readme
    assert len(readme.splitlines()) <= 50  # one page


def test_the_leak_check_reads_every_member_of_the_pack(tmp_path: Path) -> None:
    secret = "Zébulon Quatrefages-Météyer"
    target = tmp_path / "fuite"
    target.mkdir()
    document = target / "plaquette.docx"
    with zipfile.ZipFile(document, "w") as zf:
        zf.writestr("word/document.xml", "<w:document>rien</w:document>")
    item = PackItem(1, "tbl-x", "Entretiens", ("Personne",), ((secret,),))
    pack = write_pack(target / PACK_NAME, [item], document, ROOT, title="", notice=None, epoch=0)
    report = check_files([pack], Requirements("brochure", secrets=lambda: [secret]))
    with pytest.raises(LeakError):
        raise_for(report.violations, "brochure")


def test_a_pairing_window_never_spans_two_members_of_the_pack(tmp_path: Path) -> None:
    class Pairing:
        names = ("Ville d'Angers",)
        labels = ("Jumelages hérités",)

    pack = tmp_path / "p.zip"
    with zipfile.ZipFile(pack, "w") as zf:
        zf.writestr("donnees/01.csv", "N°;Collectivité\r\n1;Ville d'Angers\r\n")
        zf.writestr("donnees/02.csv", "Type;Cas\r\nJumelages hérités;3\r\n")
    assert find_pairings([pack], [Pairing()]) == []
    with zipfile.ZipFile(pack, "a") as zf:
        zf.writestr("donnees/03.csv", "Ville d'Angers;Jumelages hérités\r\n")
    assert len(find_pairings([pack], [Pairing()])) == 1


# -- the pack of a real build ------------------------------------------------------------------------------



@pytest.fixture(scope="module")
def brochure(tmp_path_factory: pytest.TempPathFactory, pinned_library: None) -> Iterator[Path]:
    root = copy_project(tmp_path_factory.mktemp("designer") / "projet")
    build(root, ["brochure"], engine="pandoc", workers=2, progress=False)
    yield root / "_output"


@pytest.fixture(scope="module")
def members(brochure: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(brochure / PACK_NAME) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_the_pack_is_published_with_the_brochure_with_every_member(members: dict[str, bytes]) -> None:
    names = set(members)
    stems = {re.sub(r"^\d\d-", "", Path(n).stem) for n in names if n.startswith("graphiques/")}
    assert set(CHARTS) <= stems
    for chart in [n for n in names if n.endswith(".svg")]:
        assert chart.replace(".svg", ".pdf") in names, chart
        assert f"donnees/{Path(chart).stem}.csv" in names, chart
    tables = {re.sub(r"^\d\d-", "", Path(n).stem) for n in names if n.startswith("donnees/")}
    assert set(TABLES) <= tables
    assert {"plaquette.docx", "LISEZ-MOI.txt", "polices/OFL.txt"} <= names
    assert any(n.startswith("polices/") and n.endswith(".otf") for n in names)


def test_the_charts_are_vector_drawings(members: dict[str, bytes]) -> None:
    for name, data in members.items():
        if name.endswith(".svg"):
            svg = data.decode("utf-8")
            assert "<path" in svg and "<text" in svg, name
            assert "<image" not in svg and "data:image/png" not in svg, name
        elif name.startswith("graphiques/") and name.endswith(".pdf"):
            reader = PdfReader(io.BytesIO(data))
            page = reader.pages[0]
            assert (page.extract_text() or "").strip(), name  # text, not a picture of text
            resources = page.get("/Resources") or {}
            xobjects = resources.get("/XObject") or {}
            assert all(xobjects[k].get("/Subtype") != "/Image" for k in xobjects), name


def test_the_csv_headers_are_french_and_read_back_with_accents(members: dict[str, bytes]) -> None:
    found = {}
    for name, data in members.items():
        if name.endswith(".csv"):
            assert data.startswith(b"\xef\xbb\xbf"), name
            rows = list(csv.reader(io.StringIO(data.decode(CSV_ENCODING)), delimiter=";"))
            assert len(rows) >= 2, name
            found[re.sub(r"^\d\d-", "", Path(name).stem)] = rows
    assert found["fig-plaquette-carte"][0] == ["N°", "Collectivité", "Niveau"]
    assert any(row[1] == "Ville d’Aix-en-Provence" for row in found["fig-plaquette-carte"])
    assert found["fig-typologie-schema"][0] == ["Type de stratégie", "Cas"]
    assert found["tbl-types-court"][0][0] == "Type"
    assert any("Coopération" in row[0] for row in found["tbl-types-court"])


def _document(path: Path | bytes) -> str:
    source = io.BytesIO(path) if isinstance(path, bytes) else path
    with zipfile.ZipFile(source) as zf:
        return zf.read("word/document.xml").decode("utf-8")


def test_the_pack_docx_is_the_published_brochure_docx(brochure: Path, members: dict[str, bytes]) -> None:
    assert members["plaquette.docx"] == (brochure / "brochure.docx").read_bytes()


def test_the_brochure_docx_has_word_styles_and_no_forced_page_break(brochure: Path) -> None:
    path = brochure / "brochure.docx"
    xml = _document(path)
    assert 'w:type="page"' not in xml and "pageBreakBefore" not in xml
    with zipfile.ZipFile(path) as zf:
        styles = zf.read("word/styles.xml").decode("utf-8")
    heading = re.search(r'<w:style [^>]*w:styleId="Heading1".*?</w:style>', styles, re.S)
    assert heading is not None and "pageBreakBefore" not in heading.group(0)
    doc = docx.Document(str(path))
    used = {p.style.name for p in doc.paragraphs if p.style is not None}
    assert {"Heading 1", "Image Caption", "Table Caption"} <= used, used
    assert all(t.style is not None and t.style.name == "Table" for t in doc.tables) and doc.tables


def test_the_brochure_docx_tables_have_proportional_columns(brochure: Path) -> None:
    grids = re.findall(r"<w:tblGrid>(.*?)</w:tblGrid>", _document(brochure / "brochure.docx"))
    assert grids
    for grid in grids:
        widths = [int(w) for w in re.findall(r'w:w="(\d+)"', grid)]
        assert len(set(widths)) > 1, widths  # not the equal widths pandoc gives a pipe table


def test_the_brochure_docx_charts_are_print_grade(brochure: Path) -> None:
    path = brochure / "brochure.docx"
    xml = _document(path)
    with zipfile.ZipFile(path) as zf:
        rels = zf.read("word/_rels/document.xml.rels").decode("utf-8")
        targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
        drawings = re.findall(r'<wp:extent cx="(\d+)".*?r:embed="([^"]+)"', xml, re.S)
        assert len(drawings) >= 4
        for cx, rid in drawings:
            data = zf.read("word/" + targets[rid])
            if data[:8] == b"\x89PNG\r\n\x1a\n":
                width = struct.unpack(">I", data[16:20])[0]
                assert width / (int(cx) / EMU_PER_INCH) >= 300, targets[rid]  # dpi at the placed size


def test_every_docx_asks_word_to_update_its_fields(brochure: Path, members: dict[str, bytes]) -> None:
    for path in brochure.glob("*.docx"):
        with zipfile.ZipFile(path) as zf:
            assert '<w:updateFields w:val="true"' in zf.read("word/settings.xml").decode("utf-8"), path.name
    with zipfile.ZipFile(io.BytesIO(members["plaquette.docx"])) as zf:
        assert '<w:updateFields w:val="true"' in zf.read("word/settings.xml").decode("utf-8")


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: the page count needs it")
def test_the_pack_docx_opens_in_libreoffice_at_four_or_five_pages(members: dict[str, bytes], tmp_path: Path) -> None:
    assert SOFFICE is not None
    source = tmp_path / "plaquette.docx"
    source.write_bytes(members["plaquette.docx"])
    profile = tmp_path / "profil"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=300, env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    lines = [len((page.extract_text() or "").splitlines()) for page in PdfReader(tmp_path / "plaquette.pdf").pages]
    assert 4 <= len(lines) <= 5, lines
    assert lines[-1] >= max(lines) / 3, lines  # no near-empty last page (the colophon alone on page 5)


def test_a_missing_pack_beside_an_unchanged_brochure_is_written_again(brochure: Path, members: dict[str, bytes]) -> None:
    pack = brochure / PACK_NAME
    before = pack.read_bytes()
    pack.unlink()
    result = build(brochure.parent, ["brochure"], engine="pandoc", workers=2, progress=False)
    assert "brochure" in result.render.reused  # not rendered again
    assert [p.resolve() for p in result.designer] == [pack.resolve()]
    again = pack.read_bytes()
    if again != before:  # name the members that differ
        import io

        def read(data: bytes) -> dict[str, bytes]:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                return {i.filename: zf.read(i) for i in zf.infolist()}

        first, second = read(before), read(again)
        differ = sorted(n for n in first.keys() | second.keys() if first.get(n) != second.get(n))
        raise AssertionError(f"the pack written again differs in {differ}")


def _rewrite(pack: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(pack, "w") as zf:
        for name, data in sorted(members.items()):
            zf.writestr(name, data)


def test_cufstudy_check_rechecks_the_published_pack(
    brochure: Path, members: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cufstudy check brochure`` (the published files): the pack passes as built; a member edited, dropped or
    added, a member naming the build machine's folder, a pack missing: each is a ``designer`` failure."""
    from typer.testing import CliRunner

    from cufstudy.cli import app
    from cufstudy.core.project import project_of
    from cufstudy.pipeline.designer import verify_pack
    from cufstudy.render.config import deliverables

    for name in ("QUARTO_PROFILE", "QUARTO_PROJECT_OUTPUT_FILES", "QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES"):
        monkeypatch.delenv(name, raising=False)
    root = brochure.parent
    result = CliRunner().invoke(app, ["check", "brochure", "--project", str(root)])
    assert result.exit_code == 0, result.output
    assert "every check passed" in result.output
    (deliverable,) = deliverables(project_of(root), ["brochure"])
    docx = brochure / "brochure.docx"
    pack = tmp_path / PACK_NAME

    def problems(changed: dict[str, bytes] | None) -> list[str]:
        if changed is None:
            pack.unlink(missing_ok=True)
        else:
            _rewrite(pack, changed)
        found = verify_pack(deliverable, docx, pack, root, tmp_path / "work", notice=None)
        assert all(v.rule == "designer" for v in found)
        return [v.message for v in found]

    readme = members["LISEZ-MOI.txt"].decode("utf-8")
    edited = {**members, "LISEZ-MOI.txt": readme.replace("polices", "fontes").encode("utf-8")}
    assert any("differs in: LISEZ-MOI.txt" in m for m in problems(edited))
    csv_name = next(n for n in members if n.startswith("donnees/"))
    assert any(f"lacks: {csv_name}" in m for m in problems({n: d for n, d in members.items() if n != csv_name}))
    machine = {**members, "notes.txt": f"exporté de {root}/_build".encode()}
    found = problems(machine)
    assert any("notes.txt names a folder of the build machine" in m for m in found)
    assert any("has members a build does not write: notes.txt" in m for m in found)
    assert any(f"{PACK_NAME} is missing beside brochure.docx" in m for m in problems(None))
    # the pack the build published is the one a check writes again, member for member (its README: the notice)
    from cufstudy.pipeline.notices import notice_for, project_notices

    shutil.copyfile(brochure / PACK_NAME, pack)
    own = notice_for(project_notices(project_of(root)), "brochure")
    assert verify_pack(deliverable, docx, pack, root, tmp_path / "work", notice=own) == []
    other = verify_pack(deliverable, docx, pack, root, tmp_path / "work", notice=None)
    assert [v.message.split(" (")[0] for v in other] == [f"{PACK_NAME} differs in: LISEZ-MOI.txt"]
