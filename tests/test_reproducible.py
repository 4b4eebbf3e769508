"""Reproducible deliverables: the same inputs give the same bytes wherever the project lives, and no output
holds a path of the build machine (cufstudy.core.reproducible, render/engine, filters/publication.lua)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from cufstudy.core.errors import CufstudyError
from cufstudy.core.reproducible import DEFAULT_EPOCH, source_date
from cufstudy.pipeline.build import build

from .conftest import ROOT, copy_project

#: a folder name with an accent, a space and an apostrophe (an analyst's "Études d'Aix")
AWKWARD = "Études d'Aix é"



@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    env = os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        first = copy_project(tmp_path_factory.mktemp("repro") / "a" / "projet")
        second = copy_project(tmp_path_factory.mktemp("repro") / AWKWARD / "autre dossier" / "projet")
        for root in (first, second):
            build(root, engine="pandoc", workers=2, progress=False)
        yield first, second
    finally:
        if env is not None:
            os.environ["SOURCE_DATE_EPOCH"] = env


#: the formats the renderers write, the toolbox's Excel grids (openpyxl, stamped by sdg.grid.stamp_workbook) and
#: the brochure's designer pack
RENDERED = (".pdf", ".docx", ".html", ".xlsx", ".zip")


def _digests(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.iterdir())
        if p.is_file() and p.suffix in RENDERED
    }


def _texts(path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of everything a file holds: its bytes, and each member of a zip (DOCX, XLSX)."""
    data = path.read_bytes()
    yield path.name, data.decode("latin-1")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                yield f"{path.name}:{name}", zf.read(name).decode("utf-8", errors="replace")
    if path.suffix == ".pdf":
        reader = PdfReader(path)
        yield f"{path.name}:info", repr(dict(reader.metadata or {}))
        xmp = reader.xmp_metadata
        if xmp is not None:
            yield f"{path.name}:xmp", xmp.stream.get_data().decode("utf-8", errors="replace")


def test_the_same_inputs_give_the_same_bytes_in_two_folders(two_builds: tuple[Path, Path]) -> None:
    first, second = two_builds
    a, b = _digests(first / "_output"), _digests(second / "_output")
    expected = {"study.pdf", "study.docx", "study.html", "brochure.docx", "toolbox.pdf", "grille-odd-vierge.xlsx"}
    assert expected | {"brochure-designer.zip"} <= set(a)
    assert a.keys() == b.keys()
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, f"differ between the two folders: {differ}"


def test_no_output_holds_a_path_or_the_user_of_the_machine(two_builds: tuple[Path, Path]) -> None:
    home = str(Path.home())
    for root in two_builds:
        needles = {str(root), str(root.parent), AWKWARD, home + "/", str(ROOT)}
        for path in sorted((root / "_output").iterdir()):
            if not path.is_file():
                continue
            for where, text in _texts(path):
                for needle in needles:
                    assert needle not in text, f"{where} holds {needle!r}"
                assert not re.search(r"/(?:home|Users)/[\w.-]+/", text), f"{where} holds a home folder"


def test_the_files_are_dated_from_the_configuration_not_the_clock(two_builds: tuple[Path, Path]) -> None:
    out = two_builds[0] / "_output"
    with zipfile.ZipFile(out / "study.docx") as zf:
        core = zf.read("docProps/core.xml").decode("utf-8")
        custom = zf.read("docProps/custom.xml").decode("utf-8")
        times = {info.date_time[:3] for info in zf.infolist()}
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2026-12-01T00:00:00Z' in core
    assert (2026, 12, 1) in times
    assert ">1.0<" in custom and "Cités Unies France (CUF)" in custom  # version, commissioner
    assert "bibliography" not in custom and "cufstudy-root" not in custom
    with zipfile.ZipFile(out / "grille-odd-vierge.xlsx") as zf:  # the grids: the toolbox's date, not the clock
        core = zf.read("docProps/core.xml").decode("utf-8")
        assert {info.date_time[:3] for info in zf.infolist()} == {(2026, 12, 1)}
    # openpyxl declares the namespaces on each element: <dcterms:created xmlns:dcterms=... xsi:type=...>
    assert re.search(r"<dcterms:created\b[^>]*>2026-12-01T00:00:00Z<", core), core
    assert re.search(r"<dcterms:modified\b[^>]*>2026-12-01T00:00:00Z<", core), core
    info = PdfReader(out / "study.pdf").metadata
    assert info is not None and str(info.get("/CreationDate", "")).startswith("D:20261201")
    assert info.title and "stratégies" in info.title and info.author == "Cités Unies France"


# -- the date rules ---------------------------------------------------------------------------------------


def test_a_configured_date_stamps_the_files_at_midnight_utc() -> None:
    when = source_date("2026-12-01", environ={})
    assert when.day == dt.date(2026, 12, 1)
    assert when.instant == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert when.environment() == {"SOURCE_DATE_EPOCH": str(when.epoch)}


def test_source_date_epoch_stamps_the_files_and_gives_the_day_when_none_is_configured() -> None:
    assert source_date("2026-12-01", environ={"SOURCE_DATE_EPOCH": "86400"}).epoch == 86400
    assert source_date("2026-12-01", environ={"SOURCE_DATE_EPOCH": "86400"}).day == dt.date(2026, 12, 1)
    assert source_date(None, environ={"SOURCE_DATE_EPOCH": "86400"}).day == dt.date(1970, 1, 2)
    assert source_date("today", environ={"SOURCE_DATE_EPOCH": "86400"}).day == dt.date(1970, 1, 2)


def test_without_a_date_the_files_get_a_fixed_instant_never_the_clock() -> None:
    when = source_date(None, environ={})
    assert (when.day, when.epoch) == (None, DEFAULT_EPOCH)
    free = source_date("Hiver 2026", environ={})
    assert (free.text, free.epoch) == ("Hiver 2026", DEFAULT_EPOCH)


def test_a_bad_source_date_epoch_is_a_clear_error() -> None:
    with pytest.raises(CufstudyError, match=r"SOURCE_DATE_EPOCH='demain'.*whole number"):
        source_date(None, environ={"SOURCE_DATE_EPOCH": "demain"})
