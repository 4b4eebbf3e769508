"""The SDG toolbox deliverable, checked from its sources (rendering it needs executed notebooks: slow).

Every embed of ``reports/toolbox/*.qmd`` names the output of a run of the plan and a label of that run's
notebook; every fact is a key that ``notebooks/grille_odd.ipynb`` or ``notebooks/boite_outils.ipynb`` records
(``odd.<partnership>.<name>`` for each partnership of the plan, the framework's ``sdg.*``, the catalogue's and
the training's ``toolbox.*`` and ``training.*``), read from the notebooks' code rather than from a previous build; every citation is in the bibliography and every cross-reference has a
target. Numbers in the prose come from facts or embedded outputs, except the fixed values in ``FIXED``.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path, PurePosixPath

import pytest
import yaml

from cufstudy.pipeline.plan import Run, load_plan
from cufstudy.sdg.partnerships import partnership_ids

from .conftest import DATA, ROOT

TOOLBOX = ROOT / "reports" / "toolbox"
MAIN = TOOLBOX / "toolbox.qmd"
PROFILE = ROOT / "_quarto-toolbox.yml"
GRILLE = "notebooks/grille_odd.ipynb"
BOITE = "notebooks/boite_outils.ipynb"

EMBED = re.compile(r"\{\{<\s*embed\s+(\S+?\.ipynb)#(\S+?)\s*>\}\}")
FACT = re.compile(r"\{\{<\s*fact\s+(\S+?)\s*>\}\}")
INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+?)\s*>\}\}")
CITATION = re.compile(r"(?<![\w.@])@([\w][\w:.#$%&+?<>~/-]*[\w])")
LABEL = re.compile(r"^#\|\s*label:\s*(\S+)\s*$", re.MULTILINE)
ANCHOR = re.compile(r"\{#((?:sec|tbl|fig)-[\w-]+)[^}]*\}")

# Numbers the prose may write by hand: the 0-4 contribution scale, the 0-100 normalisation, the years
# of the 2030 Agenda, the session numbers of the training programme (1-6, a table of this document)
# codes given as examples (target 6.1, indicator 6.1.1, the nonexistent target 6.9, civil registration 16.9...)
# and names (Comité 21).
FIXED = {
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "100",
    "2015",
    "2030",
    "4.7",
    "6.1",
    "6.1.1",
    "6.9",
    "8.10",
    "8,1",
    "16.9",
    "21",
}


def _sources() -> dict[Path, str]:
    """The toolbox's documents and the files they include, as the renderer resolves them."""
    found: dict[Path, str] = {}
    todo = sorted(TOOLBOX.glob("*.qmd"))
    while todo:
        path = todo.pop().resolve()
        if path in found:
            continue
        text = path.read_text(encoding="utf-8")
        found[path] = text
        todo += [(MAIN.parent / inc).resolve() for inc in INCLUDE.findall(text)]  # relative to the main document
    return found


def _runs_by_output() -> dict[str, Run]:
    return {run.output: run for run in load_plan(ROOT).runs}


def _code_cells(notebook: str) -> list[str]:
    nb = json.loads((ROOT / notebook).read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@cache
def _labels(notebook: str) -> frozenset[str]:
    return frozenset(label for source in _code_cells(notebook) for label in LABEL.findall(source))


def _render(node: ast.expr, env: dict[str, str]) -> str | None:
    """The value of a string or f-string of names known in ``env`` (None for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name):
                if value.value.id not in env:
                    return None
                parts.append(env[value.value.id])
            else:
                return None
        return "".join(parts)
    return None


def recorded_keys(notebook: str, parameters: dict[str, str]) -> set[str]:
    """The fact keys the notebook records for these parameters: ``facts.record(<key>, ...)`` calls whose
    key is a string or an f-string of the parameters and of string variables built from them, and
    ``facts.record_count(<key>, ...)`` calls, which record ``<key>`` and ``<key>.phrase``."""
    env = dict(parameters)
    keys: set[str] = set()
    for source in _code_cells(notebook):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name, value = node.targets[0].id, _render(node.value, env)
                if value is not None and name not in parameters:  # Papermill injects the parameters last
                    env[name] = value
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("record", "record_count")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "facts"
                and node.args
            ):
                key = _render(node.args[0], env)
                assert key is not None, f"{notebook}: a fact key that is not a string of the parameters"
                keys.add(key)
                if node.func.attr == "record_count":
                    keys.add(f"{key}.phrase")
    return keys


def _grille_keys() -> set[str]:
    """The keys the runs of ``grille_odd`` and ``boite_outils`` record, one run of each per partnership of the plan."""
    keys: set[str] = set()
    for notebook in (GRILLE, BOITE):
        runs = [run for run in load_plan(ROOT).runs if run.notebook == notebook]
        assert {str(run.parameters["partnership"]) for run in runs} == set(partnership_ids(DATA))
        keys |= {key for run in runs for key in recorded_keys(notebook, {k: str(v) for k, v in run.parameters.items()})}
    return keys


def _prose(text: str) -> str:
    """The text without front matter, code, shortcodes, citations, cross-references, anchors and table rules."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)
    text = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"\{\{<.*?>\}\}", "", text, flags=re.DOTALL)
    text = re.sub(r"\{#[^}]*\}", "", text)
    text = CITATION.sub("", text)
    text = re.sub(r"^\s*\d+\.\s", "", text, flags=re.MULTILINE)  # ordered list markers
    return re.sub(r"^\|[-:| ]+\|$", "", text, flags=re.MULTILINE)


# ---------------------------------------------------------------------------------------------------------


def test_profile_renders_the_toolbox_like_the_guide() -> None:
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    assert profile["project"]["render"] == ["reports/toolbox/toolbox.qmd"]
    assert set(profile["format"]) == {"html", "typst", "docx"}
    assert profile["format"]["typst"]["cufstudy-variant"] == "guide"
    assert profile["format"]["typst"]["papersize"] == "a4"
    assert profile["cufstudy"]["audience"] == "public"


def test_the_toolbox_says_its_data_is_illustrative() -> None:
    text = MAIN.read_text(encoding="utf-8")
    assert "{{< include ../shared/_avertissement.qmd >}}" in text
    assert "illustratif" in text


def test_embeds_name_a_run_of_the_plan_and_a_label_of_its_notebook() -> None:
    runs = _runs_by_output()
    embeds = [(path, ref, label) for path, text in _sources().items() for ref, label in EMBED.findall(text)]
    assert embeds, "the toolbox embeds no notebook output"
    for path, ref, label in embeds:
        output = PurePosixPath((path.parent / ref).resolve().relative_to(ROOT).as_posix()).as_posix()
        assert output in runs, f"{path.name}: {ref} is not the output of a run of the plan"
        notebook = runs[output].notebook
        assert label in _labels(notebook), f"{path.name}: no cell labelled {label!r} in {notebook}"


def test_the_toolbox_embeds_the_pilot_tables_and_charts() -> None:
    labels = {label for text in _sources().values() for _, label in EMBED.findall(text)}
    assert {"fig-odd-profil", "tbl-odd-profil", "fig-odd-matrice", "tbl-odd-cibles", "tbl-odd-indicateurs",
            "fig-odd-progres", "tbl-odd-feuille-de-route", "tbl-odd-echelle"} <= labels  # fmt: skip
    cited = {key.removesuffix(".phrase") for text in _sources().values() for key in FACT.findall(text)}
    assert {f"odd.{p}.n_goals" for p in partnership_ids(DATA)} & cited


def test_facts_are_keys_the_toolbox_notebooks_record() -> None:
    recorded = _grille_keys()
    cited = {key for text in _sources().values() for key in FACT.findall(text)}
    assert cited, "the toolbox cites no fact"
    assert cited <= recorded, f"facts that no toolbox notebook records: {sorted(cited - recorded)}"


def test_grille_odd_records_the_framework_and_partnership_facts() -> None:
    keys = recorded_keys(GRILLE, {"partnership": "exemple"})
    assert {"sdg.n_goals", "sdg.n_targets", "sdg.n_indicators"} <= keys
    assert {"odd.exemple.n_projects", "odd.exemple.n_goals", "odd.exemple.mean_progress"} <= keys


def test_citations_are_in_the_bibliography_and_cross_references_have_targets() -> None:
    bib = (DATA / "references.bib").read_text(encoding="utf-8")
    entries = set(re.findall(r"^@\w+\{([^,\s]+),", bib, flags=re.MULTILINE))
    sources = _sources()
    anchors = {a for text in sources.values() for a in ANCHOR.findall(text)}
    anchors |= {label for text in sources.values() for _, label in EMBED.findall(text)}
    for path, text in sources.items():
        body = re.sub(r"\{\{<.*?>\}\}|`[^`]*`", "", text, flags=re.DOTALL)
        for key in CITATION.findall(body):
            if key.startswith(("sec-", "tbl-", "fig-")):
                assert key in anchors, f"{path.name}: @{key} has no target"
            else:
                assert key in entries, f"{path.name}: @{key} is not in data/references.bib"


@pytest.mark.parametrize("path", sorted(TOOLBOX.glob("*.qmd")), ids=lambda p: p.name)
def test_numbers_in_the_prose_are_facts_or_fixed(path: Path) -> None:
    numbers = re.findall(r"(?<![\w.,])\d+(?:[.,]\d+)*", _prose(path.read_text(encoding="utf-8")))
    typed = sorted(set(numbers) - FIXED)
    assert not typed, f"{path.name}: numbers typed by hand (cite a fact or embed an output): {typed}"


def test_recorded_keys_reads_f_strings_of_the_parameters() -> None:
    keys = recorded_keys(GRILLE, {"partnership": "a-b"})
    assert "odd.a-b.n_projects" in keys and not any("{" in k for k in keys)
