"""Hostile input in every file the tool reads, answered through the command line of a small built project.

A tiny project (one case, one notebook, one report in HTML and PDF) is built once; each test copies it,
plants one hostile input (a case file, the run plan in ``_quarto.yml``, the ``.qmd`` source, an Excel
grid), runs ``cufstudy`` on it and checks:

* the located message (file and line, or sheet and cell, and field), exactly;
* exit code 1 and no traceback;
* no output changed: the bytes and mtimes of ``_output/`` and ``_build/facts.json`` are those of the
  previous good build.

The corpus: ``CASES`` (case YAML), ``PLANS`` (``_quarto.yml``), ``SOURCES`` (``.qmd``) and ``GRIDS``
(``.xlsx``), plus the inputs that are not errors but must be taken literally (HTML, Markdown, shortcodes
in a text field or a grid cell).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat as _nbformat
import openpyxl
import pytest
from typer.testing import CliRunner, Result

from cufstudy.cli import app
from cufstudy.model.cases import load_cases
from cufstudy.pipeline.build import build
from cufstudy.sdg.grid import import_grid, write_template
from cufstudy.sdg.partnerships import load_partnership

from .conftest import DATA, TEST_DATA
from .test_grid import FW, PILOT, fill

nbformat: Any = _nbformat  # untyped library
HOSTILE = TEST_DATA / "hostile"
GOOD_CASE = (TEST_DATA / "good_case.yaml").read_text(encoding="utf-8")
CANARY = "Zébulon Quatrefages-Météyer"  # the interviewee of the tiny project: confidential

QUARTO_YML = """\
project:
  type: default
  output-dir: _output
lang: fr
cufstudy:
  data: data
  runs:
    - notebook: notebooks/tiny.ipynb
"""

STUDY_YML = """\
project:
  render:
    - reports/study.qmd
format:
  html:
    embed-resources: true
  typst:
    papersize: a4
"""

STUDY_QMD = """\
---
title: "Petite étude"
---

# Les cas

Le jeu compte {{< fact n_cases >}} cas.

{{< embed ../_build/notebooks/tiny.ipynb#tbl-cas >}}
"""
NEXT_LINE = STUDY_QMD.count("\n") + 2  # the line of text appended after a blank line

NOTEBOOK_CELLS = [
    'data = "data"',
    "import pandas as pd\n"
    "from cufstudy.notebook import facts\n"
    "from cufstudy.model.cases import load_cases\n"
    "from cufstudy.notebook.tables import show_table\n"
    "base = load_cases(data).public()\n"
    "facts.record('n_cases', len(base), 'Cas')",
    "#| label: tbl-cas\n"
    "#| tbl-cap: Les cas\n"
    "show_table(pd.DataFrame([{'Collectivité': c.authority.name} for c in base]))",
]


def make_tiny_project(root: Path) -> Path:
    """One valid case, one notebook recording a fact and a table, one report (HTML and PDF)."""
    (root / "data" / "cases").mkdir(parents=True)
    case = GOOD_CASE.replace('"Personne fictive"', json.dumps(CANARY, ensure_ascii=False))
    (root / "data" / "cases" / "ville-exemple.yaml").write_text(case, encoding="utf-8")
    (root / "reports").mkdir()
    (root / "reports" / "study.qmd").write_text(STUDY_QMD, encoding="utf-8")
    (root / "_quarto.yml").write_text(QUARTO_YML, encoding="utf-8")
    (root / "_quarto-study.yml").write_text(STUDY_YML, encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "notebooks").mkdir()
    nbformat.write(nb, str(root / "notebooks" / "tiny.ipynb"))
    return root


pytestmark = pytest.mark.usefixtures("pinned_library")  # every test of the module (see conftest)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, pinned_library: None) -> Path:
    root = make_tiny_project(tmp_path_factory.mktemp("tiny") / "project")
    build(root, engine="pandoc", workers=1, progress=False)
    assert {p.name for p in (root / "_output").iterdir()} == {"study.html", "study.pdf"}
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A copy of the built project: previous good outputs, manifest and facts, mtimes kept."""
    return Path(shutil.copytree(built, tmp_path / "project"))


Snapshot = dict[str, tuple[bytes, int]]


def snapshot(root: Path) -> Snapshot:
    """Bytes and mtime of every output file, of the facts store and of the partnerships folder."""
    files = [p for p in (root / "_output").rglob("*") if p.is_file()]
    files += [root / "_build" / "facts.json"]
    files += sorted((root / "data").rglob("partnerships/*"))
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


runner = CliRunner()


def refused(root: Path, args: list[str], expected: list[str]) -> str:
    """Run the CLI, check exit 1 without traceback, the exact located lines, and that no output changed."""
    before = snapshot(root)
    time.sleep(0.01)  # a rewrite, even of the same bytes, would show in the mtimes
    result: Result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # handled, not a crash
    assert "Traceback" not in result.output
    err = result.stderr.replace(f"{root}/", "")
    assert "error: " in err, err
    # French messages (the SDG grid's) are compared with their no-break spaces as plain spaces
    lines = [line.strip().replace("\u00a0", " ").replace("\u202f", " ") for line in err.splitlines()]
    for line in expected:
        assert line in lines, f"{line!r} not in:\n{err}"
    assert snapshot(root) == before, "an output changed"
    return err


def build_args(root: Path) -> list[str]:
    return ["build", "--project", str(root), "--engine", "pandoc", "--no-progress", "-j", "1"]


# ---------------------------------------------------------------------------------------------------------
# case files: what `cufstudy validate` and `cufstudy build` answer (located problem, nothing executed)


def _generated_cases() -> dict[str, bytes]:
    good = GOOD_CASE.encode("utf-8")
    return {
        "over_size_limit.yaml": good + b"# " + b"x" * 1_000_000 + b"\n",
        "binary.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        "utf8_bom.yaml": b"\xef\xbb\xbf" + good,
        "utf16_with_bom.yaml": GOOD_CASE.encode("utf-16"),
        "utf16_without_bom.yaml": GOOD_CASE.encode("utf-16-le"),
        "windows_1252.yaml": GOOD_CASE.replace("Contraintes budgétaires", "Contraintes « budgétaires »").encode(
            "cp1252"
        ),
        "absurdly_long_text.yaml": GOOD_CASE.replace("Contraintes budgétaires", "a" * 30_000).encode("utf-8"),
    }


TODAY = dt.date.today()
CENSUS = (
    f"is not a year of INSEE legal populations: expected 2006 to {TODAY.year - 2} (the vintage of the figure, "
    "e.g. 2021 for « INSEE, population municipale 2021 »)"
)
CASES: dict[str, list[str]] = {
    "billion_laughs.yaml": [
        "data/cases/billion_laughs.yaml:8: e: the document expands to more than 50000 values (YAML aliases used "
        "as a bomb?); refused"
    ],
    "over_size_limit.yaml": [
        "data/cases/over_size_limit.yaml: the file is 1,000,822 bytes; at most 1,000,000 bytes are accepted"
    ],
    "binary.yaml": ["data/cases/binary.yaml:3: binary content (NUL byte at offset 8); expected a UTF-8 text file"],
    "utf8_bom.yaml": [
        "data/cases/utf8_bom.yaml:1: the file starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without BOM"
    ],
    "utf16_with_bom.yaml": [
        "data/cases/utf16_with_bom.yaml:1: the file is UTF-16 encoded; save it as UTF-8 (without BOM)"
    ],
    "utf16_without_bom.yaml": [
        "data/cases/utf16_without_bom.yaml:1: the file looks UTF-16 encoded (without BOM); save it as UTF-8"
    ],
    "windows_1252.yaml": [
        "data/cases/windows_1252.yaml:24: not valid UTF-8 (byte 0xe0 at offset 564; the file may be Latin-1 or "
        "Windows-1252): save it as UTF-8"
    ],
    "absurdly_long_text.yaml": [
        "data/cases/absurdly_long_text.yaml:25: recommendations[0].follow_up.obstacle: text of 30000 characters; "
        "at most 20000 are allowed"
    ],
    "id_slash.yaml": [
        "data/cases/id_slash.yaml:1: id: 'ville/exemple' is not a safe id: expected lowercase letters, digits and "
        "single hyphens, e.g. 'ville-angers'"
    ],
    "id_absolute.yaml": [
        "data/cases/id_absolute.yaml:1: id: '/etc/passwd' is not a safe id: expected lowercase letters, digits and "
        "single hyphens, e.g. 'ville-angers'"
    ],
    "id_backslash.yaml": [
        "data/cases/id_backslash.yaml:1: id: '..\\\\..\\\\windows' is not a safe id: expected lowercase letters, "
        "digits and single hyphens, e.g. 'ville-angers'"
    ],
    "id_reserved_lpt1.yaml": [
        "data/cases/id_reserved_lpt1.yaml:1: id: 'lpt1' is a reserved file name on Windows; choose another id"
    ],
    "deep_nesting.yaml": [
        "data/cases/deep_nesting.yaml:31: extra[0][0]...: values nested more than 100 levels deep; refused"
    ],
    "control_character.yaml": [
        "data/cases/control_character.yaml:25: control character U+0007 is not allowed in a YAML file; remove it"
    ],
    "huge_number.yaml": [
        "data/cases/huge_number.yaml:8: authority.population.value: invalid value "
        "'99999999999999999999999999999999999999999999999999999999...: Exceeds the limit (4300 digits) for integer "
        "string conversion: value has 5000 digits; use sys.set_int_max_str_digits(..."
    ],
    "binary_tag.yaml": [
        "data/cases/binary_tag.yaml:31: logo: YAML tag 'tag:yaml.org,2002:binary' is not allowed; use plain values"
    ],
    # locations kept for fields whose name starts like a pydantic schema tag ("int"), on their real line
    "interview_date_as_text.yaml": [
        "data/cases/interview_date_as_text.yaml:67: interviews[0].date: got '18/01/2022': input should be a valid "
        "date or datetime, invalid character in year"
    ],
    "interviews_not_a_list.yaml": [
        "data/cases/interviews_not_a_list.yaml:66: interviews: got 'aucun': input should be a valid tuple"
    ],
    # implausible dates and years
    "interview_in_the_future.yaml": [
        f"data/cases/interview_in_the_future.yaml:27: interviews[0].date: 2099-03-01 is in the future (today is "
        f"{TODAY.isoformat()}): is the year right?"
    ],
    "interview_in_1800.yaml": [
        "data/cases/interview_in_1800.yaml:27: interviews[0].date: 1800-01-18 is before the DCOL programme started "
        "(2018-01-01, see dcol.yaml): is the year right?"
    ],
    "mission_year_in_the_future.yaml": [
        f"data/cases/mission_year_in_the_future.yaml:13: mission_year: 2099 is in the future (this is {TODAY.year})"
    ],
    "mission_year_before_the_programme.yaml": [
        "data/cases/mission_year_before_the_programme.yaml:13: mission_year: 2015 is before the DCOL programme "
        "started (2018, see dcol.yaml)"
    ],
    "population_year_in_the_future.yaml": [
        f"data/cases/population_year_in_the_future.yaml:9: authority.population.year: 2099 {CENSUS}"
    ],
    "population_year_before_the_census.yaml": [
        f"data/cases/population_year_before_the_census.yaml:9: authority.population.year: 1999 {CENSUS}"
    ],
    # names holding invisible or reordering characters (the interviewee's is not printed)
    "name_with_right_to_left_override.yaml": [
        "data/cases/name_with_right_to_left_override.yaml:4: authority.name: holds an invisible or control "
        "character (U+202E RIGHT-TO-LEFT OVERRIDE at position 11): retype it without"
    ],
    "interviewee_with_zero_width_space.yaml": [
        "data/cases/interviewee_with_zero_width_space.yaml:29: interviews[0].interviewee: holds an invisible or "
        "control character (U+200B ZERO WIDTH SPACE at position 3): retype it without"
    ],
    "official_name_with_bom.yaml": [
        "data/cases/official_name_with_bom.yaml:6: authority.official_name: holds an invisible or control "
        "character (U+FEFF ZERO WIDTH NO-BREAK SPACE at position 8): retype it without"
    ],
}


def _plant_case(root: Path, name: str) -> None:
    generated = _generated_cases()
    target = root / "data" / "cases" / name
    if name in generated:
        target.write_bytes(generated[name])
    else:
        shutil.copy(HOSTILE / "cases" / name, target)


def test_case_corpus_is_complete() -> None:
    on_disk = {p.name for p in (HOSTILE / "cases").glob("*.yaml")}
    assert on_disk | set(_generated_cases()) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case_file(project: Path, name: str) -> None:
    _plant_case(project, name)
    err = refused(project, build_args(project), CASES[name])
    assert "error: 1 problem in 1 of 2 case files" in err, err
    # `cufstudy validate` says the same, and the analyst's file is never touched
    before = (project / "data" / "cases" / name).read_bytes()
    refused(project, ["validate", str(project / "data")], CASES[name])
    assert (project / "data" / "cases" / name).read_bytes() == before


def test_hostile_case_in_a_real_process_exits_1_without_traceback(project: Path) -> None:
    _plant_case(project, "billion_laughs.yaml")
    before = snapshot(project)
    proc = subprocess.run(
        [sys.executable, "-m", "cufstudy.cli", *build_args(project)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"{project}/{CASES['billion_laughs.yaml'][0]}" in proc.stderr
    assert snapshot(project) == before


# ---------------------------------------------------------------------------------------------------------
# the run plan under cufstudy: in _quarto.yml


def _plan(section: str) -> str:
    return QUARTO_YML.split("cufstudy:\n")[0] + "cufstudy:\n" + textwrap.indent(textwrap.dedent(section), "  ")


_BOMB = """\
data: data
x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]
y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
w: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
v: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
u: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
runs:
  - notebook: notebooks/tiny.ipynb
"""

PLANS: dict[str, tuple[str | bytes, list[str]]] = {
    "unknown_tier_near_miss": (
        _plan("""\
            runs:
              - notebook: notebooks/tiny.ipynb
                parameters:
                  tier: [commune, regoin]
            """),
        ["_quarto.yml:9: cufstudy.runs[0].parameters.tier[1]: unknown tier 'regoin' (did you mean 'region'?)"],
    ),
    "alias_bomb": (
        _plan(_BOMB),
        [
            "_quarto.yml:11: cufstudy.v: the document expands to more than 50000 values (YAML aliases used as a bomb?); refused"
        ],
    ),
    "duplicate_key": (
        _plan("""\
            data: data
            runs:
              - notebook: notebooks/tiny.ipynb
            runs:
              - notebook: notebooks/tiny.ipynb
            """),
        ["_quarto.yml:9: cufstudy.runs: duplicate key 'runs' (first defined on line 7)"],
    ),
    "notebook_escaping_the_project": (
        _plan("""\
            runs:
              - notebook: ../x.ipynb
            """),
        [
            "_quarto.yml:7: cufstudy.runs[0].notebook: notebook '../x.ipynb' must be a path relative to the "
            "project root, inside it"
        ],
    ),
    "output_escaping_the_project": (
        _plan("""\
            runs:
              - notebook: notebooks/tiny.ipynb
                output: "_build/../../outside/{notebook}.ipynb"
            """),
        [
            "_quarto.yml:8: cufstudy.runs[0].output: output '_build/../../outside/tiny.ipynb' must be a path "
            "relative to the project root, inside it"
        ],
    ),
    "output_windows_path_escaping": (
        _plan("""\
            runs:
              - notebook: notebooks/tiny.ipynb
                output: '..\\..\\{notebook}.ipynb'
            """),
        [
            "_quarto.yml:8: cufstudy.runs[0].output: output '..\\\\..\\\\tiny.ipynb' must be a path relative to "
            "the project root, inside it"
        ],
    ),
    "output_parameter_escaping": (
        _plan("""\
            runs:
              - notebook: notebooks/tiny.ipynb
                parameters:
                  name: [ok, ../../../etc/x]
                output: "_build/{name}.ipynb"
            """),
        [
            "_quarto.yml:10: cufstudy.runs[0].output: output '_build/../../../etc/x.ipynb' must be a path "
            "relative to the project root, inside it"
        ],
    ),
    "output_format_spec_memory_bomb": (
        _plan("""\
            runs:
              - notebook: notebooks/tiny.ipynb
                parameters: {tier: commune}
                output: "_build/{tier:>999999999}.ipynb"
            """),
        [
            "_quarto.yml:9: cufstudy.runs[0].output: output placeholder {tier:>999999999} takes no format spec "
            "or conversion: write {tier}"
        ],
    ),
    "cartesian_explosion": (
        _plan("""\
            runs:
              - notebook: notebooks/tiny.ipynb
                parameters:
                  a: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
                  b: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
                  c: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
                output: "_build/{notebook}-{a}-{b}-{c}.ipynb"
            """),
        [
            "_quarto.yml:8: cufstudy.runs[0].parameters: the plan would make 1,331 runs (this entry: 1,331, the "
            "product of its parameter lists); at most 1,000 are allowed"
        ],
    ),
    "data_folder_escaping": (
        _plan("""\
            data: ../../etc
            runs:
              - notebook: notebooks/tiny.ipynb
            """),
        ["_quarto.yml:6: cufstudy.data: data folder '../../etc' must be relative to the project root"],
    ),
    "latin1_file": (
        ("# Étude de cas\n" + QUARTO_YML).encode("latin-1"),
        [
            "_quarto.yml:1: not valid UTF-8 (byte 0xc9 at offset 2; the file may be Latin-1 or Windows-1252): "
            "save it as UTF-8"
        ],
    ),
    "python_tag": (
        _plan("""\
            runs:
              - notebook: !!python/object/apply:os.system ["touch /tmp/cufstudy-pwned"]
            """),
        [
            "_quarto.yml:7: cufstudy.runs[0].notebook: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' "
            "is not allowed; use plain values"
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_hostile_plan(project: Path, name: str) -> None:
    text, expected = PLANS[name]
    config = project / "_quarto.yml"
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text, encoding="utf-8")
    refused(project, build_args(project), expected)
    refused(project, ["run", "--project", str(project), "--no-progress"], expected)


# ---------------------------------------------------------------------------------------------------------
# the .qmd sources (rendered by the embedded engine; the notebook runs are up to date and skipped)

_FM_BOMB = """\
x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]
y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
w: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
v: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
u: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
t: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""
_TITLE = 'title: "Petite étude"\n'
N = NEXT_LINE
Q = "reports/study.qmd"

SOURCES: dict[str, tuple[str | bytes, list[str]]] = {
    "unknown_shortcode": (
        STUDY_QMD + "\n{{< video https://example.org/v.mp4 >}}\n",
        [f"{Q}:{N}: unknown shortcode 'video' (supported: embed, include, fact, pagebreak)"],
    ),
    "raw_html_script": (
        STUDY_QMD + "\n<script>alert(1)</script>\n",
        [f"{Q}:{N}: raw HTML <script> is not supported; use Markdown"],
    ),
    "executable_python_cell": (
        STUDY_QMD + "\n```{python}\nimport os; os.system('touch /tmp/cufstudy-pwned')\n```\n",
        [
            f"{Q}:{N}: executable code cell {{python}}: the renderer never executes; compute in a notebook and "
            "{{< embed >}} its output (or write ```python for a plain code listing)"
        ],
    ),
    "missing_fact": (
        STUDY_QMD + "\nIl y a {{< fact n_case >}} cas.\n",
        [
            f"{Q}:{N}: n_case: unknown fact 'n_case' in _build/facts.json (did you mean n_cases?)",
        ],
    ),
    "missing_embed_label": (
        STUDY_QMD + "\n{{< embed ../_build/notebooks/tiny.ipynb#tbl-cass >}}\n",
        [f"{Q}:{N}: no cell labelled 'tbl-cass' in ../_build/notebooks/tiny.ipynb (did you mean tbl-cas?)"],
    ),
    "include_of_a_missing_file": (
        STUDY_QMD + "\n{{< include _absent.qmd >}}\n",
        [
            f"{Q}:{N}: included file _absent.qmd not found (looked for reports/_absent.qmd; relative paths resolve "
            "from the main document's folder, /path from the project root)"
        ],
    ),
    "include_escaping_the_project": (
        STUDY_QMD + "\n{{< include ../../../../../../../../../etc/hostname >}}\n",
        [
            f"{Q}:{N}: included file ../../../../../../../../../etc/hostname is outside the project folder; "
            "include files of the project only"
        ],
    ),
    "include_escaping_from_the_root": (
        STUDY_QMD + "\n{{< include /../../../../../../../../etc/hostname >}}\n",
        [
            f"{Q}:{N}: included file /../../../../../../../../etc/hostname is outside the project folder; "
            "include files of the project only"
        ],
    ),
    "embed_escaping_the_project": (
        STUDY_QMD + "\n{{< embed ../../../../../../../../tmp/x.ipynb#fig-a >}}\n",
        [
            f"{Q}:{N}: embed: notebook ../../../../../../../../tmp/x.ipynb is outside the project folder; embed "
            "notebooks of the project"
        ],
    ),
    "image_outside_the_project": (
        STUDY_QMD + "\n![secret](../../../../../../../../etc/hostname)\n",
        [
            f"{Q}:{N}: image ../../../../../../../../etc/hostname is outside the project folder; copy it into "
            "the project"
        ],
    ),
    "event_handler_attribute": (
        STUDY_QMD + "\n[cliquez]{onclick=alert(1)} et ![x](img.png){onerror=alert(2)}\n",
        [
            f"{Q}:{N}: attribute onclick= is not allowed: an event handler would run script in the HTML output",
            f"{Q}:{N}: attribute onerror= is not allowed: an event handler would run script in the HTML output",
        ],
    ),
    "javascript_link": (
        STUDY_QMD + "\n[cliquez](javascript:alert(1))\n",
        [f"{Q}:{N}: javascript: links are not allowed: they would run script"],
    ),
    "front_matter_alias_bomb": (
        STUDY_QMD.replace(_TITLE, _TITLE + _FM_BOMB),
        [
            f"{Q}:7: v: front matter: the document expands to more than 50000 values (YAML aliases used as a bomb?); refused"
        ],
    ),
    "front_matter_duplicate_key": (
        STUDY_QMD.replace(_TITLE, _TITLE + 'title: "Autre titre"\n'),
        [f"{Q}:3: title: front matter: duplicate key 'title' (first defined on line 2)"],
    ),
    "front_matter_python_tag": (
        STUDY_QMD.replace(_TITLE, 'title: !!python/object/apply:os.system ["touch /tmp/cufstudy-pwned"]\n'),
        [
            f"{Q}:2: title: front matter: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not "
            "allowed; use plain values"
        ],
    ),
    "latin1_source": (
        STUDY_QMD.encode("utf-8") + "\nÉté\n".encode("latin-1"),
        [
            f"{Q}:{N}: not valid UTF-8 (byte 0xc9 at offset {len(STUDY_QMD.encode('utf-8')) + 1}); save the file as UTF-8"
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_hostile_source(project: Path, name: str) -> None:
    text, expected = SOURCES[name]
    source = project / "reports" / "study.qmd"
    if isinstance(text, bytes):
        source.write_bytes(text)
    else:
        source.write_text(text, encoding="utf-8")
    err = refused(project, build_args(project), expected)
    assert "study: the sources cannot be rendered" in err
    assert not Path("/tmp/cufstudy-pwned").exists()


def test_escaped_braces_and_code_are_not_mistaken_for_attributes(project: Path) -> None:
    source = project / "reports" / "study.qmd"
    source.write_text(STUDY_QMD + "\nLittéral : \\{onclick=x\\} et `{onclick=1}` et `[x](javascript:y)`.\n")
    result = runner.invoke(app, build_args(project))
    assert result.exit_code == 0, result.output
    html = (project / "_output" / "study.html").read_text(encoding="utf-8")
    assert "onclick=x" in html and 'onclick="' not in html


# ---------------------------------------------------------------------------------------------------------
# Excel grids (`cufstudy sdg import`): a workbook is data, never code


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_template(tmp_path_factory.mktemp("grid") / "grille.xlsx", FW)
    wb = openpyxl.load_workbook(path)
    fill(wb, PILOT)
    wb.save(path)
    return path


def _edited(filled: Path, target: Path, edit: Callable[[Any], None]) -> Path:
    wb = openpyxl.load_workbook(filled)
    edit(wb)
    wb.save(target)
    return target


def _cached_formula(filled: Path, target: Path, cell: str, formula: str, cached: str) -> Path:
    """A workbook as Excel saves it: a formula and its last computed value, in the sheet's XML."""
    with zipfile.ZipFile(filled) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        names = zin.namelist()
        sheet = _sheet_xml(zin, "Projets")
        for name in names:
            data = zin.read(name)
            if name == sheet:
                text = data.decode("utf-8")
                start = text.index(f'<c r="{cell}"')
                end = text.index("</c>", start) + len("</c>")
                text = text[:start] + f'<c r="{cell}" t="str"><f>{formula}</f><v>{cached}</v></c>' + text[end:]
                data = text.encode("utf-8")
            zout.writestr(name, data)
    return target


def _sheet_xml(archive: zipfile.ZipFile, title: str) -> str:
    wb = archive.read("xl/workbook.xml").decode("utf-8")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    rid = re.search(rf'<sheet[^>]*name="{title}"[^>]*r:id="(\w+)"', wb)
    assert rid is not None
    target = re.search(rf'<Relationship[^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels
    )
    assert target is not None
    return "xl/" + target.group(1).removeprefix("/xl/")


def _import_args(path: Path, root: Path) -> list[str]:
    return [
        "sdg",
        "import",
        str(path),
        "--data",
        str(DATA),
        "--to",
        str(root / "data" / "partnerships" / f"{PILOT.id}.yaml"),
    ]


LITERAL = "<script>alert('grille')</script> # Titre {.danger} {{< fact n_cases >}} [lien](javascript:x) =1+1"


def test_grid_text_file_renamed_xlsx(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "grille.xlsx"
    path.write_text("Identifiant;Intitulé\naude;Coopération\n", encoding="utf-8")
    refused(
        project, _import_args(path, project), [f"{path}: classeur .xlsx illisible (endommagé, ou pas une archive zip)"]
    )


def test_grid_zip_bomb(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b" " * 150_000_000)  # 150 MB of spaces: about 150 KB compressed
    assert path.stat().st_size < 1_000_000
    refused(project, _import_args(path, project), [f"{path}: le classeur se décompresse en 150 000 000 octets : refusé"])


NO_VALUE = (
    "sans valeur calculée (les formules ne sont pas évaluées : le fichier n'a pas été enregistré par un tableur) : "
    "saisissez la valeur elle-même (colonne « Intitulé »)"
)


def test_grid_formula_without_value_is_not_evaluated(project: Path, filled: Path, tmp_path: Path) -> None:
    def edit(wb: Any) -> None:
        wb["Projets"]["B2"] = '=HYPERLINK("https://evil.example","clic")'
        wb["Projets"]["B3"] = "=cmd|' /C calc'!A0"

    path = _edited(filled, tmp_path / "formules.xlsx", edit)
    refused(
        project,
        _import_args(path, project),
        [
            f'{path}: Projets!B2: formule « =HYPERLINK("https://evil.example","clic") » {NO_VALUE}',
            f"{path}: Projets!B3: formule « =cmd|' /C calc'!A0 » {NO_VALUE}",
        ],
    )


def test_grid_formula_keeps_its_stored_value_as_literal_text(filled: Path, tmp_path: Path) -> None:
    path = _cached_formula(filled, tmp_path / "formule.xlsx", "B2", 'CONCATENATE("=cmd","|x")', "=cmd|' /C calc'!A0")
    imported = import_grid(path, FW)
    assert imported.projects[0].title == "=cmd|' /C calc'!A0"  # the value Excel stored, as text; never run


def test_grid_cell_with_markup_is_imported_as_literal_text(project: Path, filled: Path, tmp_path: Path) -> None:
    def edit(wb: Any) -> None:
        wb["Partenariat"]["B3"] = LITERAL
        wb["Projets"]["B2"] = LITERAL

    path = _edited(filled, tmp_path / "balises.xlsx", edit)
    result = runner.invoke(app, _import_args(path, project))
    assert result.exit_code == 0, result.output
    written = load_partnership(project / "data" / "partnerships" / f"{PILOT.id}.yaml", FW)
    assert written.title == LITERAL
    assert written.projects[0].title == LITERAL
    assert written == import_grid(path, FW)


def test_grid_with_a_far_away_cell_is_read_in_bounded_time(filled: Path, tmp_path: Path) -> None:
    def edit(wb: Any) -> None:
        wb["Projets"]["XFD1048576"] = "tout au bout"  # the last cell of a sheet: 17 billion cells in between

    path = _edited(filled, tmp_path / "loin.xlsx", edit)
    started = time.perf_counter()
    assert import_grid(path, FW) == PILOT  # extra columns are ignored
    assert time.perf_counter() - started < 20


# ---------------------------------------------------------------------------------------------------------
# text fields holding markup: valid data, taken literally (the rendering is checked end to end in
# test_hostile_render.py)

MARKUP = [
    "<script>alert('x')</script>",
    "<b onmouseover=alert(1)>gras</b>",
    "# Un titre injecté",
    "Texte {.classe #ident onclick=alert(1)}",
    "{{< fact n_cases >}}",
    "{{< include /etc/passwd >}}",
    "[lien](javascript:alert(1))",
    "![image](/etc/passwd)",
    "```{python}",
    "$x$ **gras** <!-- commentaire -->",
    "| a | b |",
    "::: {.callout-warning}",
]


@pytest.mark.parametrize("text", MARKUP)
def test_markup_in_a_text_field_is_valid_and_kept_verbatim(tmp_path: Path, text: str) -> None:
    quoted = json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    case = GOOD_CASE.replace('"Contraintes budgétaires"', quoted).replace('"Ville d\'Exemple"', quoted)
    (tmp_path / "ville-exemple.yaml").write_text(case, encoding="utf-8")
    loaded = load_cases(tmp_path)["ville-exemple"]
    assert loaded.authority.name == text.strip()
    follow_up = loaded.recommendations[0].follow_up
    assert follow_up is not None and follow_up.obstacle == text.strip()


def test_corpus_size() -> None:
    errors = len(CASES) + len(PLANS) + len(SOURCES) + 3  # + the refused grids (renamed text, zip bomb, formulas)
    assert errors >= 30


def test_a_text_fact_from_the_data_is_printed_literally(project: Path) -> None:
    """A text fact (the top obstacle, an authority's name) comes from the data: it must stay inline text."""
    from cufstudy.pipeline.publish import render_deliverables as render

    facts_file = project / "_build" / "facts.json"
    data = json.loads(facts_file.read_text(encoding="utf-8"))
    hostile = (
        "Titre\n=====\n\n- puce <script>alert(1)</script> {{< fact n_cases >}} [x](javascript:y) &amp; *gras* "
        "<img src=x onerror=alert(2)> voir @fig-nulle-part {#sec-faux} `x`{=html}"
    )
    data["facts"]["n_cases"]["text"] = hostile
    facts_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    at_line_start = "{{< fact n_cases >}}\n\n- {{< fact n_cases >}}\n\n2019. {{< fact n_cases >}}"
    source = project / "reports" / "study.qmd"
    source.write_text(STUDY_QMD.replace("Le jeu compte {{< fact n_cases >}} cas.", at_line_start), encoding="utf-8")
    render(project, profiles=["study"], engine="pandoc", formats=["html"])
    page = (project / "_output" / "study.html").read_text(encoding="utf-8")
    body = page.split("<body", 1)[1]
    headings = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", body, re.S)]
    assert headings == ["Petite étude", "Les cas"]
    assert "<script>alert" not in page and 'href="javascript' not in page and "<em>gras" not in page
    assert "<img src" not in page and "onerror" not in page.replace("onerror=alert(2)&gt;", "")
    flat = " ".join(page.split())  # pandoc wraps long lines
    assert flat.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3
    assert flat.count("{{&lt; fact n_cases &gt;}}") == 3
    assert flat.count("Titre ===== - puce") == 3  # one line of text, not a heading and a list
    assert "&amp;amp" in flat  # the literal « &amp; » (French typography then spaces the semicolon)
    assert len(re.findall(r"<li>", body)) == 2  # the two list items of the source, none from the facts


def test_rich_markup_in_a_data_value_is_printed_literally(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD_CASE.replace("tier: commune", 'tier: "[/][bold]x[/bold]"'))
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "authority.tier: got '[/][bold]x[/bold]', expected one of" in result.stderr


def test_chart_data_cannot_break_out_of_its_script_element(tmp_path: Path) -> None:
    from cufstudy.render._notebook import Assets, NotebookCell, embed_cell

    spec = {"mark": "bar", "data": {"values": [{"nom": "<!--<script>", "n": 1}]}}
    output = {"output_type": "display_data", "data": {"application/vnd.vegalite.v5+json": spec}, "metadata": {}}
    cell = NotebookCell("fig-x", {}, (output,), 0)
    lines = embed_cell(cell, "html", Assets(tmp_path), "study.qmd:1", lambda m: None, lambda: "c1").lines
    [script] = [line for line in lines if "data-cufstudy-vega" in line]
    payload = script.split(">", 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(payload) == spec
    assert "<" not in payload


# ---------------------------------------------------------------------------------------------------------
# a confidential name pasted into a public deliverable, however it is spelled or typeset

# Columns are at least as wide as their longest word (layout.lua's content_widths) while the words fit the
# width; here they do not (every column holds a long hyphenated compound), so each column gets its share of
# the width and the name's column is narrower than « Quatrefages-Métayer, », which Typst breaks at its hyphen
NARROW_TABLE = """
| Entretien | Rôle | Service | Périmètre | Suite |
|:--|:--|:--|:--|:--|
| Entretien avec {name}, directeur | Directeur-général | Direction-des-services-techniques | Agglomération-transfrontalière | Compte-rendu-relu |
"""


def test_a_name_hyphenated_across_lines_of_a_narrow_column_is_refused_in_a_pdf_only_build(project: Path) -> None:
    from cufstudy.pipeline.leaks import pdf_page_texts

    source = project / "reports" / "study.qmd"
    other = "Zébulon Quatrefages-Métayer"  # not the interviewee: published, to see how the column breaks it
    source.write_text(STUDY_QMD + NARROW_TABLE.format(name=other), encoding="utf-8")
    result = runner.invoke(app, [*build_args(project), "--to", "pdf"])
    assert result.exit_code == 0, result.output
    page = pdf_page_texts((project / "_output" / "study.pdf").read_bytes())[1]  # the table's page
    assert "Métayer" in page and other not in " ".join(page.split()), page  # broken across two lines...
    # ...at its hyphen, which pypdf gives as a hyphen and a line break (or as a soft hyphen, U+00AD)
    assert re.search("fages(\u00ad|-\\s*\n)Métayer", page), page

    source.write_text(STUDY_QMD + NARROW_TABLE.format(name=CANARY), encoding="utf-8")  # now the interviewee
    err = refused(
        project,
        [*build_args(project), "--to", "pdf"],
        [
            "_output/study.pdf: page 2: contains the confidential value of data/cases/ville-exemple.yaml: "
            "interviews[0].interviewee (Z… (27 characters))"
        ],
    )
    assert "the public deliverable 'study' contains confidential data; nothing was published" in err
    assert not re.search("quatrefages|météyer|zébulon", err, re.I)  # never printed


ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]


@pytest.mark.parametrize("char", ZERO_WIDTH, ids=[f"U+{ord(c):04X}" for c in ZERO_WIDTH])
def test_a_name_pasted_with_zero_width_characters_is_refused_in_every_format(project: Path, char: str) -> None:
    pasted = CANARY.replace("é", f"é{char}", 1).replace("fages", f"{char}fages")
    source = project / "reports" / "study.qmd"
    source.write_text(STUDY_QMD + f"\nComme le dit {pasted}.\n", encoding="utf-8")
    origin = "data/cases/ville-exemple.yaml: interviews[0].interviewee (Z… (27 characters))"
    refused(
        project,
        build_args(project),
        [
            f"_output/study.html: contains the confidential value of {origin}",
            f"_output/study.pdf: page 2: contains the confidential value of {origin}",
        ],
    )


# ---------------------------------------------------------------------------------------------------------
# links out of the project and special files: named, never read (no crash, no hang, no memory exhausted)

OUTSIDE = "a symbolic link to {target}, outside the project; cufstudy reads files of the project only: copy the "
OUTSIDE += "file into the project, or remove the link"


def test_an_unused_link_out_of_the_project_is_named_not_a_crash(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "hostname"
    target.write_text("poste-de-jean-pierre\n", encoding="utf-8")
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates" / "extra.txt").symlink_to(target)
    expected = [f"templates/extra.txt: {OUTSIDE.format(target=target)}"]
    err = refused(project, build_args(project), expected)
    assert "error: 1 file of the project cannot be read safely (nothing was run)" in err
    refused(project, ["run", "--project", str(project), "--no-progress", "-j", "1"], expected)


def test_a_case_file_linked_to_a_device_is_refused_without_reading_it(project: Path) -> None:
    (project / "data" / "cases" / "z.yaml").symlink_to("/dev/zero")
    refused(project, ["validate", str(project / "data")], [f"data/cases/z.yaml: {OUTSIDE.format(target='/dev/zero')}"])
    refused(project, build_args(project), [f"data/cases/z.yaml: {OUTSIDE.format(target='/dev/zero')}"])


def test_a_fifo_case_file_is_refused_at_once(project: Path) -> None:
    fifo = project / "data" / "cases" / "f.yaml"
    os.mkfifo(fifo)
    for args, expected in [
        (["validate", str(project / "data")], "data/cases/f.yaml: a FIFO (named pipe), not a regular file; refused"),
        (build_args(project), "data/cases/f.yaml: a FIFO (named pipe), not a regular file: remove it from the project"),
    ]:
        proc = subprocess.run(
            [sys.executable, "-m", "cufstudy.cli", *args], capture_output=True, text=True, timeout=120, check=False
        )
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert expected in proc.stderr.replace(f"{project}/", ""), proc.stderr


def test_reads_are_bounded_by_the_bytes_read_not_the_announced_size(tmp_path: Path) -> None:
    from cufstudy.core.errors import DataError
    from cufstudy.core.files import read_limited

    with pytest.raises(DataError, match=r"^1 problem found\n  /dev/zero: a device, not a regular file; refused$"):
        read_limited(Path("/dev/zero"), 1000)
    fifo = tmp_path / "f.yaml"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="a FIFO"):
        read_limited(fifo, 1000)  # returns at once: opened without blocking
    link = tmp_path / "project" / "x.yaml"
    link.parent.mkdir()
    link.symlink_to(tmp_path / "f.yaml")
    with pytest.raises(DataError, match="outside the project"):
        read_limited(link, 1000, root=link.parent)


# ---------------------------------------------------------------------------------------------------------
# a full disk, a read-only output folder, a permission denied: one located error, exit 1, nothing lost

FULL = "the disk is full: free some space, then run the command again; the previous files were kept"


def _report_edited(root: Path) -> list[str]:
    """The build arguments, after an edit of the report: the build renders and publishes it again."""
    source = root / "reports" / "study.qmd"
    source.write_text(source.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    return build_args(root)


def test_a_full_disk_while_rendering_is_a_located_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In process: the PDF write of the renderer fails as on a full disk (no file name, as write(2) gives)."""
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if self.suffix == ".pdf" and "_build" in self.parts:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    err = refused(project, _report_edited(project), [])
    assert re.search(rf"error: cannot write _build/render/build-\d+-\w+: {re.escape(FULL)}", err), err


def test_a_full_disk_while_writing_the_manifest_is_a_located_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The atomic write of a file (here the run manifest) fails while its bytes are written."""
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if self.name.startswith(".manifest.json."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    refused(project, _report_edited(project), [f"error: cannot write _build/manifest.json: {FULL}"])
    assert not [p for p in (project / "_build").iterdir() if p.name.endswith(".tmp")]


def _mount(what: str, where: Path, options: str) -> None:
    proc = subprocess.run(["mount", "-t", what, "-o", options, what, str(where)], capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a {what} here ({proc.stderr.decode().strip()}): the in-process tests cover it")


@pytest.fixture
def small_output(project: Path) -> Iterator[Path]:
    """``_output/`` on a tmpfs just big enough for the previous deliverables (a real full disk)."""
    output = project / "_output"
    saved = {p.name: p.read_bytes() for p in output.iterdir()}
    shutil.rmtree(output)
    output.mkdir()
    pages = sum(len(data) // 4096 + 1 for data in saved.values()) + 1
    _mount("tmpfs", output, f"size={pages * 4096}")
    try:
        for name, data in saved.items():
            (output / name).write_bytes(data)
        yield output
    finally:
        subprocess.run(["umount", str(output)], check=True)


def test_a_real_full_disk_keeps_the_previous_deliverables(project: Path, small_output: Path) -> None:
    err = refused(project, _report_edited(project), [])
    assert re.search(rf"error: cannot write _output/study\.(html|pdf): {re.escape(FULL)}", err), err
    assert not [p for p in small_output.iterdir() if p.name.startswith(".")]  # nothing staged is left


def test_a_read_only_output_folder_keeps_the_previous_deliverables(project: Path, small_output: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_output)], check=True)
    refused(
        project,
        _report_edited(project),
        ["error: cannot write _output/study.html: the file system is read-only: work in a writable copy of the "
         "project; the previous files were kept"],
    )


# the command line with the library's hash pinned as in this module (the notebook is then up to date)
PINNED_CLI = (
    "import sys, cufstudy.pipeline.cache as c; c._library_digest = lambda: 'pinned'; "
    "from cufstudy.cli import main; sys.argv[0] = 'cufstudy'; main()"
)


def test_a_permission_denied_is_a_located_error(built: Path, request: pytest.FixtureRequest) -> None:
    """As another user (root bypasses permissions): the project's _output/ belongs to root, read-only to others."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the build as another user; the in-process tests cover it")
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    probe = subprocess.run([*nobody, "-c", "import cufstudy"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:  # a checkout in a folder private to root (mktemp -d): nobody cannot import it
        pytest.skip(f"user nobody cannot import the library this test runs: {probe.stderr.strip()[-160:]}")
    home = Path(tempfile.mkdtemp(prefix="cufstudy-nobody-"))  # pytest's folders are private to root
    home.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(home, ignore_errors=True))
    root = Path(shutil.copytree(built, home / "project"))
    _report_edited(root)
    for path in [root, *root.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    os.chown(root / "_output", 0, 0)
    before = snapshot(root)
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.run(
        [*nobody, "-c", PINNED_CLI, *build_args(root)],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    err = proc.stderr.replace(f"{root}/", "")
    assert re.search(r"error: cannot write _output/study\.(html|pdf): permission denied: make the folder writable "
                     r"for this user \(or run as its owner\); the previous files were kept", err), err
    assert snapshot(root) == before


def test_case_file_names_differing_only_by_case_are_refused(project: Path) -> None:
    """``Ville-exemple.yaml`` beside ``ville-exemple.yaml``: two files on Linux, one on macOS and Windows."""
    cases = project / "data" / "cases"
    shutil.copy(cases / "ville-exemple.yaml", cases / "Ville-exemple.yaml")
    expected = [
        "data/cases/ville-exemple.yaml: the file name differs from 'Ville-exemple.yaml' only by case: the two are "
        "one file on macOS and Windows; rename one (case files are named after their id, in lowercase)"
    ]
    refused(project, ["validate", str(project / "data")], expected)
    refused(project, build_args(project), expected)


def test_a_problem_in_a_confidential_field_does_not_print_its_value(project: Path) -> None:
    case = project / "data" / "cases" / "ville-exemple.yaml"
    text = case.read_text(encoding="utf-8")
    case.write_text(text.replace(json.dumps(CANARY, ensure_ascii=False), json.dumps(CANARY * 10)), encoding="utf-8")
    err = refused(
        project,
        ["validate", str(project / "data")],
        [
            "data/cases/ville-exemple.yaml:29: interviews[0].interviewee: got a value of 270 characters: string "
            "should have at most 200 characters"
        ],
    )
    assert "Quatrefages" not in err


def _with_macros(workbook: Path, target: Path) -> Path:
    """The workbook as Excel saves a macro-enabled one (a VBA project in the archive), renamed .xlsx."""
    with zipfile.ZipFile(workbook) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"Attribute VB_Name = \"Module1\"" * 10)
    return target


def test_a_macro_enabled_workbook_renamed_xlsx_is_imported_with_a_warning(
    project: Path, filled: Path, tmp_path: Path
) -> None:
    path = _with_macros(filled, tmp_path / "grille.xlsx")
    result = runner.invoke(app, _import_args(path, project))
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {path}: the workbook holds macros (a macro-enabled workbook renamed .xlsx); they are never run, "
        "only the values of the cells are read; save it as an Excel workbook without macros (.xlsx) before passing "
        "it on"
    ) in " ".join(result.stderr.split())
    assert import_grid(path, FW) == PILOT  # the values, as without the macros


def test_a_capture_form_with_macros_warns_too(tmp_path: Path) -> None:
    from cufstudy.core.errors import CufstudyWarning
    from cufstudy.core.workbook import open_workbook

    plain = tmp_path / "fiche.xlsx"
    openpyxl.Workbook().save(plain)
    with pytest.warns(CufstudyWarning, match=r"fiche-ville-pau\.xlsm: the workbook holds macros; they are never run"):
        open_workbook(plain.rename(tmp_path / "fiche-ville-pau.xlsm"), "fiche-ville-pau.xlsm").close()
