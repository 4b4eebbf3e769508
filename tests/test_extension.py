"""The cufstudy Quarto extension installed in a project (``_extensions/cufstudy/``) and its Lua filters.

No real Quarto here (see test_quarto.py): the install itself, and the filters run by pandoc alone.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from cufstudy.core.errors import RenderError
from cufstudy.render.engine import pandoc_path
from cufstudy.render.extension import (
    METADATA_FILE,
    NOTICE_PLACEHOLDER,
    extension_dir,
    install_extension,
)
from cufstudy.render.quarto import quarto_error, quarto_warnings
from cufstudy.resources import packaged_files, packaged_root, template_path

NOTICE = "Données illustratives : codage d'exemple ; « Ville d'Aix-en-Provence » & co"


def _headers(docx: Path) -> str:
    with zipfile.ZipFile(docx) as zf:
        return " ".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("word/header"))


def test_install_copies_the_packaged_extension_with_the_notice(tmp_path: Path) -> None:
    installed = install_extension(tmp_path, NOTICE)
    folder = extension_dir(tmp_path)
    assert installed.path == folder and installed.written and installed.overrides == ()
    for rel in packaged_files("extension"):
        assert (folder / rel).is_file(), rel
    manifest = yaml.safe_load((folder / "_extension.yml").read_text(encoding="utf-8"))
    assert manifest["contributes"]["shortcodes"] == ["fact.lua"]
    assert all((folder / f).is_file() for f in manifest["contributes"]["filters"])
    meta = yaml.safe_load((folder / METADATA_FILE).read_text(encoding="utf-8"))
    assert meta["cufstudy-notice"] == NOTICE
    assert meta["font-paths"] == [str(folder / "fonts")]  # absolute: Typst finds Inter wherever it runs
    headers = _headers(folder / "reference.docx")
    assert "Ville d&apos;Aix-en-Provence" in headers or "Ville d'Aix-en-Provence" in headers
    assert "&amp; co" in headers and NOTICE_PLACEHOLDER not in headers
    assert NOTICE_PLACEHOLDER in _headers(template_path("reference.docx"))  # the packaged file is untouched


def test_without_notice_the_header_is_empty(tmp_path: Path) -> None:
    install_extension(tmp_path, None)
    folder = extension_dir(tmp_path)
    assert NOTICE_PLACEHOLDER not in _headers(folder / "reference.docx")
    assert "cufstudy-notice" not in yaml.safe_load((folder / METADATA_FILE).read_text(encoding="utf-8"))


def test_install_is_a_no_op_when_up_to_date(tmp_path: Path) -> None:
    install_extension(tmp_path, NOTICE)
    stamp = (extension_dir(tmp_path) / "_extension.yml").stat().st_mtime_ns
    again = install_extension(tmp_path, NOTICE)
    assert not again.written
    assert (extension_dir(tmp_path) / "_extension.yml").stat().st_mtime_ns == stamp
    assert install_extension(tmp_path, None).written  # another notice: written again


def test_a_hand_edit_of_the_installed_copy_is_repaired(tmp_path: Path) -> None:
    install_extension(tmp_path)
    css = extension_dir(tmp_path) / "cufstudy.css"
    css.write_text("body { color: red; }", encoding="utf-8")
    assert install_extension(tmp_path).written
    assert css.read_bytes() == template_path("cufstudy.css").read_bytes()


def test_project_templates_override_files_of_the_extension(tmp_path: Path) -> None:
    own = tmp_path / "templates" / "cufstudy.css"
    own.parent.mkdir()
    own.write_text("/* Zébulon Quatrefages-Météyer */\n", encoding="utf-8")
    font = tmp_path / "templates" / "fonts" / "Marianne-Regular.otf"
    font.parent.mkdir()
    font.write_bytes(b"OTTO")
    installed = install_extension(tmp_path)
    folder = extension_dir(tmp_path)
    assert installed.overrides == ("cufstudy.css", "fonts/Marianne-Regular.otf")
    assert (folder / "cufstudy.css").read_text(encoding="utf-8") == own.read_text(encoding="utf-8")
    assert (folder / "fonts" / "Marianne-Regular.otf").read_bytes() == b"OTTO"
    assert (folder / "fonts" / "Inter-Regular.otf").is_file()
    own.write_text("/* changé */\n", encoding="utf-8")
    assert install_extension(tmp_path).written  # an edited override is copied again


def test_a_failed_install_keeps_the_previous_copy_whole(tmp_path: Path) -> None:
    install_extension(tmp_path, NOTICE)
    before = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "_extensions").rglob("*") if p.is_file()}
    bad = tmp_path / "templates" / "reference.docx"
    bad.parent.mkdir()
    with zipfile.ZipFile(bad, "w") as zf:  # a reference document without the notice placeholder
        zf.writestr("word/header1.xml", "<w:hdr/>")
    with pytest.raises(RenderError, match=r"reference\.docx: the reference document has no header holding"):
        install_extension(tmp_path, NOTICE)
    after = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "_extensions").rglob("*") if p.is_file()}
    assert after == before  # no temporary folder left, the previous copy intact


def test_manifest_change_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quarto reads _extension.yml before its pre-render step: a changed list of filters is reported."""
    install_extension(tmp_path)
    manifest = extension_dir(tmp_path) / "_extension.yml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("cufstudy.lua", "old.lua"), encoding="utf-8")
    again = install_extension(tmp_path)
    assert again.written and again.manifest_changed
    assert not install_extension(tmp_path).manifest_changed


def test_prepare_quarto_stops_a_quarto_render_after_a_manifest_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cufstudy.pipeline.build import prepare_quarto

    (tmp_path / "_quarto.yml").write_text("cufstudy:\n  runs:\n    - notebook: nb.ipynb\n", encoding="utf-8")
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (tmp_path / "data").mkdir()
    prepare_quarto(tmp_path)
    manifest = extension_dir(tmp_path) / "_extension.yml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "# old\n", encoding="utf-8")
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(tmp_path / "_build" / "quarto"))
    with pytest.raises(RenderError, match=r"_extension\.yml has changed .* run quarto render again"):
        prepare_quarto(tmp_path)
    assert not prepare_quarto(tmp_path).written  # the next render goes through


def test_the_extension_version_is_the_package_version() -> None:
    from importlib.metadata import version

    manifest = yaml.safe_load((packaged_root() / "extension" / "_extension.yml").read_text(encoding="utf-8"))
    assert manifest["version"] == version("cufstudy")


# -- the Lua filters, run by pandoc alone -------------------------------------------------------------------


def _pandoc(tmp_path: Path, markdown: str, to: str, *filters: str, meta: dict[str, object] | None = None) -> Path:
    src = tmp_path / "doc.md"
    src.write_text(markdown, encoding="utf-8")
    out = tmp_path / f"doc.{'typ' if to == 'typst' else to}"
    args = [pandoc_path(), str(src), "-f", "markdown", "-t", to, "-o", str(out)]
    args += [f"--lua-filter={template_path(f)}" for f in filters]
    for key, value in (meta or {}).items():
        args.append(f"--metadata={key}:{value}")
    proc = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    return out


PNG_1PX = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
    )
).decode()


def test_charts_use_the_cells_png(tmp_path: Path) -> None:
    """Quarto's embed of a chart cell holds its SVG; in DOCX and HTML the filter puts the cell's PNG instead."""
    nb = tmp_path / "panorama.ipynb"
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    cell = {
        "cell_type": "code",
        "id": "abc",
        "metadata": {},
        "source": ["#| label: fig-carte\n", '#| fig-cap: "Carte"\n', "display()"],
        "outputs": [
            {
                "output_type": "display_data",
                "data": {"image/png": PNG_1PX, "image/svg+xml": svg},
                "metadata": {"image/png": {"width": 480, "height": 360}},
            }
        ],
    }
    nb.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    (tmp_path / "chart.svg").write_text(svg, encoding="utf-8")
    markdown = (
        f':::{{.quarto-embed-nb-cell notebook="{nb}" notebook-cellId="cell-fig-carte"}}\n\n![Carte](chart.svg)\n\n:::\n'
    )
    docx = _pandoc(tmp_path, markdown, "docx", "cufstudy.lua")
    with zipfile.ZipFile(docx) as zf:
        media = [n for n in zf.namelist() if n.startswith("word/media/")]
        document = zf.read("word/document.xml").decode("utf-8")
    assert media and all(n.endswith(".png") for n in media), media
    assert 'cx="4572000"' in document  # 480 CSS px = 5 in = 4,572,000 EMU: the chart's natural size
    assert "data:image" not in document  # not a data: URI, which Word would show as the picture's description
    html = _pandoc(tmp_path, markdown, "html", "cufstudy.lua").read_text(encoding="utf-8")
    assert f'src="data:image/png;base64,{PNG_1PX}"' in html and "chart.svg" not in html


def test_layout_breaks_pages_before_level_1_headings_outside_the_brochure(tmp_path: Path) -> None:
    markdown = "# Objet\n\nTexte.\n\n::: {.note}\n# Dans un bloc\n:::\n\n# Bibliographie {.unnumbered}\n"
    typ = _pandoc(tmp_path, markdown, "typst", "filters/layout.lua", meta={"cufstudy-variant": "guide"})
    text = typ.read_text(encoding="utf-8")
    assert text.count("#cufstudy-chapter-break()") == 2  # the heading inside the div is left alone
    assert text.index("#cufstudy-chapter-break()") < text.index("Objet")
    brochure = _pandoc(tmp_path, markdown, "typst", "filters/layout.lua", meta={"cufstudy-variant": "brochure"})
    assert "pagebreak" not in brochure.read_text(encoding="utf-8")
    assert "chapter-break" not in brochure.read_text(encoding="utf-8")


def test_layout_keeps_a_heading_and_its_lead_with_a_table_in_another_cell_output(tmp_path: Path) -> None:
    """Quarto embeds each output of a notebook cell in a Div of its own: a heading and its lead in one, the
    table in the next. Typst prints a Div as a block that may start empty at the foot of a page, so a sticky
    lead was kept with that empty start and the table began on the next page (Quarto's guide, p. 18: « Les
    référents dans les autres services » alone at the foot). The cell's outputs are unwrapped: the lead sticks
    to the table itself."""
    markdown = (
        "::: {.cell}\n::: {.cell-output-display}\n## Les référents\n\n*Comment mobiliser les directions ?*\n:::\n\n"
        "::: {.cell-output-display}\n| Option | Atouts |\n|---|---|\n| Un réseau | Peu coûteux |\n:::\n:::\n\n"
        "::: {.note}\n| Encadré | Gardé |\n|---|---|\n| a | b |\n:::\n"
    )
    text = _pandoc(tmp_path, markdown, "typst", "filters/layout.lua", meta={"cufstudy-variant": "guide"}).read_text(
        encoding="utf-8"
    )
    lead = text.index("Comment mobiliser")
    table = text.index("Un réseau")
    between = text[lead:table]
    assert "#block[" not in between, between  # nothing but the table's own markup between the lead and the table
    assert "#block(sticky: true)[" in text[:lead]
    assert text.count("#block[") == 1  # the author's box (.note) keeps its block
    # a part of one of Quarto's own nodes (a float: its table and caption) is read back by Quarto: kept whole
    quarto_node = "## Titre\n\n::: {__quarto_custom_scaffold=\"true\"}\n| a | b |\n|---|---|\n| 1 | 2 |\n:::\n"
    kept = _pandoc(tmp_path, quarto_node, "typst", "filters/layout.lua", meta={"cufstudy-variant": "guide"})
    assert "#block[" in kept.read_text(encoding="utf-8")

def test_layout_sticks_a_short_chapter_tail_to_its_last_block_but_never_a_long_paragraph(tmp_path: Path) -> None:
    """The text before a chapter's last block sticks to it, up to about six lines (TAIL_CHARS). Typst moves a
    sticky block whole to the next page when it does not fit with the block after it: the paragraph naming the
    missions that change group between the typologies, a page long at 200 authorities, left the page before
    it 32.5 % full."""
    long = "Cinquante-six missions changent de groupe : " + ", ".join(f"Commune synthétique {i:04d}" for i in range(120))
    markdown = f"# Typologie\n\nUne phrase.\n\n{long}.\n\nL’indice de Rand vaut 0,05.\n\n# Actions\n\nTexte.\n"
    text = _pandoc(tmp_path, markdown, "typst", "filters/layout.lua", meta={"cufstudy-variant": "study"}).read_text(
        encoding="utf-8"
    )
    assert "]\nCinquante-six" in text, text  # the long paragraph is in no block: it flows and breaks
    short = "# Typologie\n\nUne phrase.\n\nDeux phrases courtes.\n\nL’indice de Rand vaut 0,05.\n\n# Actions\n"
    kept = _pandoc(tmp_path, short, "typst", "filters/layout.lua", meta={"cufstudy-variant": "study"}).read_text(
        encoding="utf-8"
    )
    assert "#block(sticky: true)[\nDeux phrases courtes." in kept, kept  # a short tail goes with the last block


# -- Quarto's messages ----------------------------------------------------------------------------------------

TYPST_FAILURE = """\
[typst]: Compiling study.typ to study.pdf...error: pagebreaks are not allowed inside of containers
    ┌─ study.typ:299:47
    │
299 │     if variant != "brochure" { pagebreak(weak: true) }
    │                                ^^^^^^^^^^^^^^^^^^^^^
  = hint: try using a `#colbreak()` instead

ERROR: Error
    at Object.complete (file:///opt/quarto/src/command/render/output-typst.ts:86:15)
    at eventLoopTick (ext:core/01_core.js:168:7)
"""

LUA_FAILURE = """\
[WARNING] Could not convert image a.svg: "check that rsvg-convert is in path."
Error running filter /opt/quarto/src/resources/filters/main.lua:
/p/_extensions/cufstudy/filters/callouts.lua:94: attempt to get length of a Block value (local 'title')
stack traceback:
\t...g/quarto-cli/src/resources/filters/./ast/customnodes.lua:168: in function <...>
\t[C]: in ?
"""


def test_quarto_error_quotes_the_root_cause_without_the_stack() -> None:
    message = quarto_error(TYPST_FAILURE)
    assert message.startswith("error: pagebreaks are not allowed inside of containers")
    assert "hint: try using a `#colbreak()` instead" in message
    assert "output-typst.ts" not in message and "ERROR: Error" not in message
    lua = quarto_error(LUA_FAILURE)
    assert "callouts.lua:94: attempt to get length of a Block value" in lua
    assert "customnodes.lua" not in lua and "rsvg-convert" not in lua


def test_quarto_warnings_are_collected() -> None:
    output = LUA_FAILURE + "[typst]: Compiling x.typ to x.pdf...warning: unknown font family: inter\nDONE\n"
    assert quarto_warnings(output) == [
        'Could not convert image a.svg: "check that rsvg-convert is in path."',
        "unknown font family: inter",
    ]


def test_quarto_environment_puts_this_cufstudy_first(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from cufstudy.render import quarto

    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.setenv("QUARTO_PROFILE", "study")
    env = quarto._environment({"CUFSTUDY_LOCK": "x"})
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert "QUARTO_PROFILE" not in env and env["CUFSTUDY_LOCK"] == "x"


def test_quarto_outputs_match_only_what_quarto_rendered(tmp_path: Path) -> None:
    """A stale file of another format in Quarto's output folder is neither checked nor published."""
    from cufstudy.render.config import deliverables
    from cufstudy.render.quarto import quarto_outputs

    from .test_render import make_project

    root = make_project(tmp_path / "p")
    (study,) = deliverables(root, ["study"])
    out = root / "_build" / "quarto"
    for ext in ("html", "pdf", "docx"):
        (out / "reports").mkdir(parents=True, exist_ok=True)
        (out / "reports" / f"study.{ext}").write_text("x", encoding="utf-8")
    pdf_only = [Path("_build/quarto/reports/study.pdf")]
    source = root / "reports" / "study.qmd"
    assert quarto_outputs(study, pdf_only, out, every_format=False) == {
        (out / "reports" / "study.pdf"): (source, "typst")
    }
    with pytest.raises(RenderError, match=r"quarto render --profile study produced no html"):
        quarto_outputs(study, pdf_only, out)
