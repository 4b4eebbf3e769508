"""The operational guide: its announced steps and their checklists, its legal and funding lists as sourced data,
its templates, and the notebook that prints the lists.

The steps are read from the document itself (the ``## `` headings of the section ``#sec-etapes``, which the
introduction announces each with « sa liste de contrôle »), never from a list kept in the test. The lists of
``data/guide/`` are loaded by :mod:`cufstudy.study.guidance`; a copy of the data folder is edited to check the
located errors and that the printed tables follow the data.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pypandoc
import pytest

from cufstudy.core.bibliography import bib_entries, is_flagged, source_cell, source_note, with_citations
from cufstudy.core.errors import DataError
from cufstudy.core.problems import Reason
from cufstudy.pipeline.plan import load_plan
from cufstudy.resources import data_path, template_path
from cufstudy.study import guidance
from cufstudy.study.typology import load_typology

from .conftest import DATA, ROOT
from .test_toolbox import recorded_keys

GUIDE = ROOT / "reports" / "guide"
MAIN = GUIDE / "guide.qmd"
NOTEBOOK = "notebooks/guide_ressources.ipynb"
INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+?)\s*>\}\}")
EMBED = re.compile(r"\{\{<\s*embed\s+(\S+?\.ipynb)#(\S+?)\s*>\}\}")
FACT = re.compile(r"\{\{<\s*fact\s+(\S+?)\s*>\}\}")
CITATION = re.compile(r"(?<![\w.@])@([\w][\w:.#$%&+?<>~/-]*[\w])")
LABEL = re.compile(r"^#\|\s*label:\s*(\S+)\s*$", re.MULTILINE)


def guide_text(main: Path = MAIN) -> str:
    """The guide with its includes inlined, as the renderer reads it."""
    text = main.read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: guide_text((main.parent / m.group(1)).resolve()), text)


def steps_and_checklists(text: str) -> dict[str, int]:
    """The steps a guide announces and the number of items of each step's checklist (0 when it has none).

    A step is a ``## `` heading of the level-1 section ``{#sec-etapes}`` (outside any ``:::`` div); its checklist
    is a div, inside the step, whose title (its first ``## `` line) contains « Liste de contrôle »; its items are
    the div's ``- `` lines.
    """
    section = re.search(r"^# [^\n]*\{#sec-etapes\}\n(.*?)(?=^# )", text, flags=re.MULTILINE | re.DOTALL)
    assert section is not None, "the guide has no section {#sec-etapes}"
    found: dict[str, int] = {}
    step: str | None = None
    depth = 0
    div: list[str] = []
    for line in section.group(1).splitlines():
        if line.startswith(":::"):
            opening = line.strip() != ":::"
            depth += 1 if opening else -1
            if not opening and depth == 0 and step is not None:
                titles = [x for x in div if x.startswith("## ")]
                if titles and "liste de contrôle" in titles[0].lower():
                    found[step] = max(found[step], sum(1 for x in div if x.startswith("- ")))
                div = []
            continue
        if depth:
            div.append(line)
        elif line.startswith("## "):
            step = line[3:].strip()
            found[step] = 0
    return found


# ---------------------------------------------------------------------------------------------------------
# steps and checklists


def test_the_introduction_announces_a_checklist_for_each_step() -> None:
    text = guide_text()
    assert re.search(r"chaque étape avec ses questions clés, ses écueils et sa\s+liste de contrôle", text)
    assert "(@sec-etapes)" in text


def test_every_announced_step_has_its_checklist() -> None:
    steps = steps_and_checklists(guide_text())
    assert len(steps) >= 5, f"the steps section announces too few steps: {list(steps)}"
    assert all(title.startswith("Étape ") for title in steps), list(steps)
    missing = [title for title, items in steps.items() if items < 3]
    assert not missing, f"steps without a checklist of at least three items: {missing}"


def test_the_step_check_finds_a_step_without_checklist() -> None:
    text = (
        "# Avant {#sec-public}\n\nTexte.\n\n# Les étapes {#sec-etapes}\n\n## Étape 1 : faire le diagnostic\n\n"
        "Texte.\n\n::: {.callout-tip}\n## Liste de contrôle\n\n- Un\n- Deux\n- Trois\n:::\n\n"
        "## Étape 2 : définir l'ambition\n\nTexte sans liste.\n\n::: {.callout-note}\n## Exemple\n\n- Un\n:::\n\n"
        "# Suite {#sec-suite}\n"
    )
    assert steps_and_checklists(text) == {"Étape 1 : faire le diagnostic": 3, "Étape 2 : définir l'ambition": 0}


def test_the_guide_has_its_four_templates_as_appendices() -> None:
    text = guide_text()
    for anchor in ("sec-modele-deliberation", "sec-modele-convention", "sec-modele-fiche-de-poste",
                   "sec-modele-tableau-de-bord"):  # fmt: skip
        assert re.search(rf"^# Annexe [A-Z] – .*\{{#{anchor} \.unnumbered\}}", text, flags=re.MULTILINE), anchor
        assert f"@{anchor}" in text, f"no step points to the template {anchor}"
    # generic: no authority of the case base is named in a template
    names = [
        line.split(",")[1] for line in (DATA / "collectivites" / "cases_reference.csv").read_text().splitlines()[1:]
    ]
    templates = "".join(p.read_text(encoding="utf-8") for p in GUIDE.glob("_modele-*.qmd"))
    assert not [n for n in names if n and n in templates]


def test_the_one_percent_mechanisms_are_cited_by_law() -> None:
    text = guide_text()
    assert "« 1 % » eau, énergie, déchets (loi Oudin-Santini)" not in text
    # nor any other wording that credits the 2005 law with more than water (the typology's actions print too)
    actions = [a for t in load_typology(DATA).types for a in t.typical_actions]
    for line in [*text.splitlines(), *actions]:
        if "Oudin" in line:
            assert not re.search(r"énergie|déchets|mobilité", line.split("Oudin")[0][-80:]), line
    assert re.search(r"loi Oudin-Santini de 2005\s+ne concerne que l'eau et l'assainissement", text)
    legal = guidance.load_legal(DATA)
    by_domain = {m.id: legal.text(m.law) for m in legal.mechanisms}
    assert by_domain["eau"].id == "loi-oudin-santini-2005" and by_domain["eau"].date is not None
    assert {k: v.date.year for k, v in by_domain.items() if v.date} == {
        "eau": 2005,
        "energie": 2006,
        "dechets": 2014,
        "mobilite": 2019,
    }


# ---------------------------------------------------------------------------------------------------------
# every law and instrument named has a bibliography entry with its URL


def test_every_law_mechanism_and_instrument_has_a_bib_entry_with_a_url() -> None:
    bib = bib_entries(DATA / "references.bib")
    legal = guidance.load_legal(DATA)
    instruments = guidance.load_instruments(DATA, legal)
    sources = legal.sources() | {i.source for i in instruments}
    assert sources
    for key in sources:
        assert key in bib and bib[key].url and bib[key].url.startswith("http"), key


def test_every_law_the_guide_names_is_in_the_legal_data() -> None:
    text = guide_text()
    legal = guidance.load_legal(DATA)
    titles = " ".join(t.title for t in legal.texts)
    named = set(re.findall(r"loi n° (\d{2,4}-\d{2,4})", text))
    assert named, "the guide names no law by its number"
    assert {n for n in named if f"n° {n} " not in titles} == set()
    articles = set(re.findall(r"L1115-[\d-]*\d", text))
    known = " ".join([*(f"{t.articles} {t.summary}" for t in legal.texts), *(m.article for m in legal.mechanisms)])
    assert {a for a in articles if a not in known} == set()
    instruments = guidance.load_instruments(DATA, legal)
    bib = bib_entries(DATA / "references.bib")
    named = [n for n in ("Oudin-Santini", "Thiollière", "FICOL", "DAECT", "CERV", "PLATFORMA", "FACECO", "CGLU",
                         "Caisse des Dépôts") if n in text]  # fmt: skip
    assert len(named) >= 5
    for name in named:
        keys = [t.source for t in legal.texts if name in t.short or name in t.title]
        keys += [i.source for i in instruments if name in i.name or name in i.funder]
        keys += [e.key for e in bib.values() if name in (e.title or "")]
        assert any(bib[k].url for k in keys), f"{name}: named by the guide, no bibliography entry with a URL"


def test_flagged_references_print_as_such() -> None:
    bib = bib_entries(DATA / "references.bib")
    flagged = [e for e in bib.values() if e.flagged]
    assert flagged, "no reference is flagged: the test would prove nothing"
    keys = ", ".join(f"@{e.key}" for e in flagged)
    html = pypandoc.convert_text(
        f"---\nnocite: |\n  {keys}\nlang: fr\n---\n\nTexte.\n",
        "html",
        format="markdown",
        extra_args=["--citeproc", "--wrap=none", f"--bibliography={DATA / 'references.bib'}",
                    f"--csl={template_path('csl/iso690-author-date-fr.csl')}"],
    )  # fmt: skip
    for entry in flagged:
        assert entry.note is not None
        assert entry.note.split(" ;")[0].split(":")[0][:20] in html.replace("’", "'"), entry.key
    assert html.count("à vérifier") + html.count("à préciser") >= len(flagged)
    assert is_flagged("Référence à préciser") and not is_flagged("Sur Légifrance, rechercher le texte")


def test_source_markers_become_one_citation() -> None:
    assert with_citations(source_cell(["cgct-bf-2004", "communes-bf-2009", "analyse-equipe"])) == (
        "[@cgct-bf-2004; @communes-bf-2009] ; analyse de l'équipe"
    )
    assert source_note(["uclg2021"], "choix :") == "[choix : @uclg2021]"


# ---------------------------------------------------------------------------------------------------------
# the data files: located errors, and the tables follow them


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "données d'Aix-en-Provence"
    (folder / "guide").mkdir(parents=True)
    for name in ("legal.yaml", "instruments.yaml", "organisation_options.yaml"):
        shutil.copy(DATA / "guide" / name, folder / "guide" / name)
    shutil.copy(DATA / "references.bib", folder / "references.bib")
    shutil.copy(data_path("typology.yaml", DATA), folder / "typology.yaml")  # the packaged default here
    return folder


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` by ``new``; returns the line of the change."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_a_bad_instrument_entry_is_located(data: Path) -> None:
    path = data / "guide" / "instruments.yaml"
    line_source = _edit(path, "source: afd-ficol", "source: afd-fiicol")
    line_kind = _edit(path, "kind: urgence", "kind: urgences")
    with pytest.raises(DataError) as info:
        guidance.load_instruments(data)
    problems = {(p.line, p.field, p.reason) for p in info.value.problems}
    assert problems == {
        (line_kind, "instruments[2].kind", Reason.NOT_IN_VOCABULARY),
    }, "a value outside its vocabulary is reported first, alone, by the model"
    _edit(path, "kind: urgences", "kind: urgence")
    with pytest.raises(DataError) as info:
        guidance.load_instruments(data)
    (problem,) = info.value.problems
    assert (problem.line, problem.field, problem.reason) == (
        line_source,
        "instruments[0].source",
        Reason.UNKNOWN_REFERENCE,
    )
    assert "unknown source 'afd-fiicol'" in problem.message and "(did you mean 'afd-ficol'?)" in problem.message
    assert str(problem).startswith(f"{path}:{line_source}: instruments[0].source: ")


def test_an_instrument_whose_bib_entry_has_no_url_is_refused(data: Path) -> None:
    bib = data / "references.bib"
    _edit(bib, "  url         = {https://platforma-dev.eu/},\n", "")
    with pytest.raises(DataError, match=r"instruments\[8\]\.source: the bibliography entry 'platforma' .* has no url"):
        guidance.load_instruments(data)


def test_every_problem_of_the_legal_file_at_once(data: Path) -> None:
    path = data / "guide" / "legal.yaml"
    _edit(path, "    law: loi-energie-2006", "    law: loi-energie-2060")
    _edit(path, "    source: loi-atr-1992", "    source: loi-atr-1993")
    _edit(path, "  - id: lom-2019", "  - id: loi-thiolliere-2007")
    with pytest.raises(DataError) as info:
        guidance.load_legal(data)
    found = sorted((p.field or "", p.reason) for p in info.value.problems)
    assert found == [
        ("mechanisms[1].law", Reason.UNKNOWN_REFERENCE),
        ("mechanisms[3].law", Reason.UNKNOWN_REFERENCE),  # the law it named was renamed
        ("texts[1].source", Reason.UNKNOWN_REFERENCE),
        ("texts[6].id", Reason.DUPLICATE),
    ]


def test_an_organisation_option_with_an_unknown_strategy_type(data: Path) -> None:
    path = data / "guide" / "organisation_options.yaml"
    line = _edit(path, "strategy_types: [jumelages]", "strategy_types: [jumelage]")
    types = [t.id for t in load_typology(data)]
    with pytest.raises(DataError) as info:
        guidance.load_organisation_options(data, types)
    (problem,) = info.value.problems
    assert problem.line == line and problem.field == "dimensions[0].options[0].strategy_types[0]"
    assert "(did you mean 'jumelages'?)" in problem.message


def test_the_tables_follow_the_data(data: Path) -> None:
    legal = guidance.load_legal(data)
    before = guidance.legal_table(legal)
    assert list(before.columns) == ["Texte", "Ce qu'il prévoit", "Source"]
    assert before.iloc[0]["Texte"] == "CGCT" and "Loi Oudin-Santini (9 février 2005)" in set(before["Texte"])
    assert "CITE:loi-oudin-santini-2005" in set(before["Source"])
    _edit(data / "guide" / "legal.yaml", 'short: "Loi Oudin-Santini"', 'short: "Loi dite d\'Oudin-Santini"')
    after = guidance.legal_table(guidance.load_legal(data))
    assert "Loi dite d'Oudin-Santini (9 février 2005)" in set(after["Texte"])
    assert not any(text.startswith("Loi Oudin-Santini") for text in after["Texte"])
    mechanisms = guidance.mechanisms_table(guidance.load_legal(data))
    assert [b.split("instauré par : ")[1] for b in mechanisms["Base légale"]] == [
        "Loi dite d'Oudin-Santini, 2005",
        "Loi sur l'énergie, 2006",
        "Loi sur le développement, 2014",
        "Loi d'orientation des mobilités, 2019",
    ]
    options = guidance.load_organisation_options(data)
    names = {t.id: t.name for t in load_typology(data)}
    table = guidance.dimension_table(options.dimension("budget"), names)
    assert len(table) == len(options.dimension("budget").options)
    assert table.iloc[0]["Atouts"] == "Simple à suivre." and table.iloc[0]["Source"] == "analyse de l'équipe"
    instruments = guidance.instruments_table(guidance.load_instruments(data), [guidance.InstrumentKind.NETWORK])
    assert set(instruments["Dispositif"]) == {
        "PLATFORMA – Coalition européenne des collectivités pour le développement",
        "Cités et gouvernements locaux unis (CGLU) – Organisation mondiale des collectivités locales",
    }


# ---------------------------------------------------------------------------------------------------------
# the notebook and the document


def test_the_guide_embeds_the_lists_from_the_guide_notebook() -> None:
    text = guide_text()
    runs = {run.output: run for run in load_plan(ROOT).runs}
    labels = {label for ref, label in EMBED.findall(text) if ref.endswith("guide_ressources.ipynb")}
    assert {"tbl-cadre-juridique", "tbl-un-pourcent", "tbl-financements", "tbl-accompagnement",
            "orga-dimensions"} <= labels  # fmt: skip
    run = runs["_build/notebooks/guide_ressources.ipynb"]
    assert run.notebook == NOTEBOOK and run.inputs is not None and "cases" not in run.inputs
    source = (ROOT / NOTEBOOK).read_text(encoding="utf-8")
    assert labels <= set(re.findall(r"#\| label: (\S+?)\\n", source))


def test_the_guide_cites_only_recorded_facts_and_known_references() -> None:
    text = guide_text()
    cited = set(FACT.findall(text))
    mine = recorded_keys(NOTEBOOK, {})
    assert {k for k in cited if k.startswith("guide.")} <= mine
    bib = bib_entries(DATA / "references.bib")
    body = re.sub(r"\{\{<.*?>\}\}|`[^`]*`", "", text, flags=re.DOTALL)
    unknown = {k for k in CITATION.findall(body) if not k.startswith(("sec-", "tbl-", "fig-")) and k not in bib}
    assert not unknown


def test_organisation_dimensions_cover_what_members_ask() -> None:
    options = guidance.load_organisation_options(DATA, [t.id for t in load_typology(DATA)])
    titles = " ".join(d.title.lower() for d in options.dimensions)
    for word in ("organigramme", "effectifs", "budget", "élu", "europe", "référents", "partage"):
        assert word in titles, word
    frame = pd.concat([guidance.dimension_table(d) for d in options.dimensions])
    assert (frame["Source"].str.contains("analyse de l'équipe")).any()
    assert frame["Source"].str.contains("CITE:").any()


@pytest.mark.parametrize("path", sorted((ROOT / "reports").rglob("*.qmd")), ids=lambda p: p.name)  # every report
def test_no_line_starts_with_a_cross_reference(path: Path) -> None:
    """Pandoc reads a line starting with « (@label) » as an example list item: « (1) », not « (Section 2) »."""
    starts = [
        n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.lstrip().startswith("(@")
    ]
    assert not starts, f"{path.name}: lines {starts} start with a cross-reference; rewrap them"
