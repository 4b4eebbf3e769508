"""SDG partnerships (cufstudy.sdg.partnerships, cufstudy.sdg.contribution): progress normalisation, the pilot's matrix and
grid, located YAML errors, charts, the notebook."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from cufstudy.core.errors import DataError
from cufstudy.core.french import typeset_fr
from cufstudy.notebook.charts import CHART_WIDTH, matrix_chart, profile_chart, progress_chart
from cufstudy.notebook.facts import facts_from_notebook
from cufstudy.sdg.contribution import (
    Progress,
    contribution_by_goal,
    goal_matrix,
    indicator_progress,
    progress,
    roadmap_table,
    summary,
    target_detail,
)
from cufstudy.sdg.framework import Framework, indicator_sources, load_framework
from cufstudy.sdg.partnerships import (
    Direction,
    Level,
    Partnership,
    PartnershipIndicator,
    Side,
    dac_marker,
    dump_yaml,
    infer_direction,
    load_partnership,
    partnership_file,
    partnership_ids,
)

from .conftest import DATA, ROOT

FW = load_framework(DATA)
PILOT_FILE = DATA / "partnerships" / "aude-hauts-bassins.yaml"
PILOT_TEXT = PILOT_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pilot() -> Partnership:
    return load_partnership(PILOT_FILE, FW)


# ---------------------------------------------------------------------------------------------------------
# normalisation 0-100 (OECD territorial method)


def test_progress_is_linear_from_baseline_to_target() -> None:
    assert progress(40, 80, 60) == Progress(50.0, 50.0, 50.0)
    assert progress(40, 80, 40) == Progress(0.0, 0.0, 100.0)
    assert progress(40, 80, 80) == Progress(100.0, 100.0, 0.0)


def test_baseline_equal_to_target_is_met_or_not() -> None:
    # increase (the default): meeting the target means being at least at it
    assert progress(5, 5, 5) == Progress(100.0, 100.0, 0.0)
    assert progress(5, 5, 7) == Progress(100.0, 100.0, 0.0)
    assert progress(5, 5, 4.9) == Progress(0.0, 0.0, 100.0)
    # decrease: at most the target
    assert progress(5, 5, 4, Direction.DECREASE) == Progress(100.0, 100.0, 0.0)
    assert progress(5, 5, 6, Direction.DECREASE) == Progress(0.0, 0.0, 100.0)


def test_decreasing_indicator_with_target_below_baseline() -> None:
    assert infer_direction(30, 10) is Direction.DECREASE
    assert progress(30, 10, 20) == Progress(50.0, 50.0, 50.0)
    assert progress(30, 10, 20, Direction.DECREASE) == Progress(50.0, 50.0, 50.0)
    worse = progress(30, 10, 35)  # moved away from the target
    assert worse.raw == -25.0 and worse.clipped == 0.0 and worse.distance == 100.0


def test_current_beyond_the_target_gives_raw_above_100_clipped_to_100() -> None:
    beyond = progress(40, 80, 90)
    assert beyond.raw == 125.0 and beyond.clipped == 100.0 and beyond.distance == 0.0
    assert progress(30, 10, 5) == Progress(125.0, 100.0, 0.0)  # decreasing, below its target


def test_direction_must_agree_with_baseline_and_target() -> None:
    with pytest.raises(ValueError, match="direction 'decrease' contradicts"):
        progress(40, 80, 60, Direction.DECREASE)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(baseline=finite, target=finite, current=finite)
def test_progress_properties(baseline: float, target: float, current: float) -> None:
    result = progress(baseline, target, current)
    assert 0.0 <= result.clipped <= 100.0
    assert result.distance == 100.0 - result.clipped
    assert result.clipped == min(max(result.raw, 0.0), 100.0)
    assert progress(baseline, target, target).clipped == 100.0
    if baseline != target:
        assert progress(baseline, target, baseline).raw == 0.0


def indicator(**fields: object) -> PartnershipIndicator:
    base: dict[str, object] = {"id": "test", "source": "local", "name": "Test", "baseline": {"value": 10, "year": 2020}}
    return PartnershipIndicator.model_validate({**base, **fields}, context={"framework": FW})


def test_indicator_direction_is_inferred_or_checked() -> None:
    assert indicator(target_2030=5).trend is Direction.DECREASE
    assert indicator(target_2030=20).trend is Direction.INCREASE
    kept = indicator(target_2030=10, direction="decrease", current={"value": 9, "year": 2022})
    assert kept.trend is Direction.DECREASE and kept.progress == Progress(100.0, 100.0, 0.0)
    assert indicator(target_2030=20).progress is None  # no current value
    with pytest.raises(ValidationError, match="direction 'increase' contradicts the baseline 10 and the 2030 target 5"):
        indicator(target_2030=5, direction="increase")


def test_indicator_codes_come_from_the_framework_or_the_analyst() -> None:
    un = indicator(source="un", code="6.1.1", name=None, target_2030=90)
    assert un.target_code(FW) == "6.1" and un.label(FW).startswith("Proportion de la population utilisant")
    with pytest.raises(ValidationError, match="a UN global indicator needs its code"):
        indicator(source="un", name=None, target_2030=90)
    with pytest.raises(ValidationError, match="needs its name"):
        indicator(source="insee", name=None, target_2030=90)
    insee = indicator(source="insee", code="i-8.6", sdg_target="8.6", target_2030=9)  # the analyst's own code
    assert insee.code == "i-8.6" and insee.target_code(FW) == "8.6"
    with pytest.raises(ValidationError, match="unknown indicator source 'ocde' \\(did you mean 'oecd'\\?\\)"):
        indicator(source="ocde", target_2030=9)
    assert list(indicator_sources()) == ["un", "insee", "oecd", "local"]


def test_dac_marker_and_typography() -> None:
    assert [dac_marker(level) for level in Level] == [0, 1, 1, 1, 2]
    assert typeset_fr("Eau : accès ; oui ! « x »") == "Eau\u00a0: accès\u202f; oui\u202f! «\u00a0x\u00a0»"
    assert typeset_fr("https://x.org/a?b:c") == "https://x.org/a?b:c"


# ---------------------------------------------------------------------------------------------------------
# the pilot


def test_pilot_loads_and_says_it_is_illustrative(pilot: Partnership) -> None:
    assert partnership_ids(DATA) == ["aude-hauts-bassins"]
    assert pilot.is_illustrative and "Valeurs illustratives" in (pilot.provenance_note or "")
    assert PILOT_TEXT.startswith("# PARTENARIAT ILLUSTRATIF - VALEURS ILLUSTRATIVES.")
    assert (pilot.partner.country, pilot.partner.level) == ("BF", "région")
    fa = pilot.french_authority
    with (DATA / "collectivites" / "cases_reference.csv").open(encoding="utf-8") as fh:
        aude = next(r for r in csv.DictReader(fh) if r["case_id"] == "cd-aude")
    assert fa.population is not None
    assert (fa.code, fa.population.value, fa.population.year) == (aude["insee_code"], int(aude["population"]), 2017)
    assert 3 <= len(pilot.projects) <= 4
    assert 8 <= sum(len(p.links) for p in pilot.projects) <= 15
    assert 5 <= len(pilot.indicators) <= 8 and 6 <= len(pilot.roadmap) <= 10
    assert {i.source for i in pilot.indicators} >= {"un", "local"}
    assert all(i.code is None for i in pilot.indicators if i.source == "local")  # no invented code


def test_matrix_and_profile_are_consistent_with_the_links(pilot: Partnership) -> None:
    matrix = goal_matrix(pilot, FW).set_index("Projet")
    links = [(p, k) for p in pilot.projects for k in p.links]
    goals = sorted({int(k.target.split(".")[0]) for _, k in links})
    assert list(matrix.columns) == [f"ODD {g}" for g in goals]
    for project in pilot.projects:
        for goal in goals:
            levels = [int(k.level) for k in project.links if k.target.split(".")[0] == str(goal)]
            cell = matrix.to_dict()[f"ODD {goal}"][typeset_fr(project.title)]
            assert (pd.isna(cell) and not levels) or cell == max(levels)
    profile = contribution_by_goal(pilot, FW, all_goals=True).set_index("ODD")
    assert list(profile.index) == list(range(1, 18))
    for goal in range(1, 18):
        column = matrix.get(f"ODD {goal}")
        row = profile.loc[goal]
        assert row["Niveau max"] == (0 if column is None else column.max())
        assert row["Niveau moyen"] == pytest.approx(
            0 if column is None else column.fillna(0).sum() / len(pilot.projects)
        )
        assert row["Projets"] == (0 if column is None else int((column.fillna(0) > 0).sum()))
        assert row["Liens"] == sum(1 for _, k in links if k.target.split(".")[0] == str(goal))
        codes = {k.target for _, k in links if k.target.split(".")[0] == str(goal)}
        assert set(filter(None, row["Cibles"].split(", "))) == codes
        assert str(row["Justifications"]).count("\u00a0: ") == len(codes)
    touched = contribution_by_goal(pilot, FW)
    assert list(touched["ODD"]) == goals
    detail = target_detail(pilot, FW)
    assert len(detail) == len(links) and list(detail["Cible"])[:2] == ["2.3", "2.4"]  # framework order
    assert set(detail["Territoire"]) <= {"France", "Partenaire", "Les deux"}
    s = summary(pilot, FW)
    assert (s.n_projects, s.n_links, s.n_goals) == (len(pilot.projects), len(links), len(goals))
    assert s.n_targets == len({k.target for _, k in links if k.level > 0})
    assert s.n_principal == int((detail["Niveau"] == 4).sum())


def test_pilot_indicators_and_roadmap(pilot: Partnership) -> None:
    table = indicator_progress(pilot, FW).set_index("Indicateur")
    water = table.loc[FW.get("6.1.1").title_fr]
    assert (water["Progrès brut"], water["Progrès"], water["Distance"], water["Écart"]) == (25.0, 25.0, 75.0, 24.0)
    losses = table.loc[pilot.indicator("pertes-apres-recolte").name]
    assert losses["Sens"] == "baisse" and losses["Progrès"] == 35.0
    neet = table.loc[pilot.indicator("neet-aude").name]
    assert neet["Source"] == "Indicateur national de suivi des ODD (INSEE)" and pd.isna(neet["Progrès"])
    road = roadmap_table(pilot, FW)
    assert list(road.columns) == ["Échéance", "Action", "Responsable", "Projet", "Indicateur"]
    assert road["Échéance"].iloc[0] == "30 septembre 2021" and len(road) == len(pilot.roadmap)
    s = summary(pilot, FW)
    measured = [i.progress.clipped for i in pilot.indicators if i.progress]
    assert s.mean_progress == pytest.approx(sum(measured) / len(measured))


def test_dump_yaml_round_trip(pilot: Partnership, tmp_path: Path) -> None:
    path = tmp_path / "aude-hauts-bassins.yaml"
    path.write_text(dump_yaml(pilot, header="Exemple"), encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith("# Exemple\nid: aude-hauts-bassins\nprovenance: illustrative\n")
    assert load_partnership(path, FW) == pilot


def test_charts_are_in_french(pilot: Partnership) -> None:
    prof = profile_chart(pilot, FW).to_dict()
    assert prof["title"]["text"] == "Contribution aux ODD par objectif"
    assert prof["title"]["subtitle"][0] == "Barre\u00a0: niveau maximal\u202f; trait\u00a0: niveau moyen par projet"
    assert "Valeurs illustratives" in prof["title"]["subtitle"][2] and "Valeurs illustratives" in prof["description"]
    goals = [row["goal"] for row in next(iter(prof["datasets"].values()))]
    assert goals[1] == "ODD 2 – Faim «\u00a0zéro\u00a0»"  # the framework's straight quotes, typeset
    matrix = matrix_chart(pilot, FW).to_dict()
    cells = next(iter(matrix["datasets"].values()))
    assert len(cells) == int(goal_matrix(pilot, FW).iloc[:, 1:].notna().sum().sum())
    bars = progress_chart(pilot, FW).to_dict()
    rows = next(v for v in bars["datasets"].values() if "progress" in v[0])
    assert len(rows) == sum(1 for i in pilot.indicators if i.current) and rows[0]["indicator"].startswith("6.1.1 – ")
    local = [r["name"] for r in rows if not r["name"][0].isdigit()]
    assert local and not any(name.startswith(("nan", "None")) for name in local)  # no code, no prefix


@pytest.mark.parametrize("make", [profile_chart, matrix_chart, progress_chart])
def test_charts_fit_the_a4_text_width(pilot: Partnership, make: Callable[[Partnership, Framework], Any]) -> None:
    from cufstudy.notebook.charts import to_png

    png = to_png(make(pilot, FW), scale=1)
    width = int.from_bytes(png[16:20], "big")
    assert width <= CHART_WIDTH + 10, f"{make.__name__} is {width} px wide"


# ---------------------------------------------------------------------------------------------------------
# located errors in partnership files


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def load_variant(tmp_path: Path, *replacements: tuple[str, str], name: str = "aude-hauts-bassins") -> list[str]:
    text = PILOT_TEXT
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_partnership(path, FW)
    return [str(p).replace(f"{tmp_path}/", "").replace("\u00a0", " ") for p in info.value.problems]


BAD_YAML = {
    "unknown_target": (
        [('target: "6.2"', 'target: "6.9"')],
        'target: "6.9"',
        "projects[0].links[1].target: unknown SDG target '6.9' (did you mean '16.9'?); goal 6 has the targets 6.1, 6.2, 6.3, 6.4, 6.5, 6.6, 6.a, 6.b",
    ),
    "level_7": (
        [("level: 3", "level: 7")],
        "level: 7",
        "projects[0].links[0].level: got 7: expected a contribution level from 0 to 4 (0 none, 1 awareness or indirect, 2 output, 3 outcome, 4 principal or structural)",
    ),
    "bad_country": (
        [("country: BF", "country: BFA")],
        "country: BFA",
        "partner.country: unknown country code 'BFA': expected an ISO 3166-1 alpha-2 code in capitals, e.g. 'BF', 'ML'",
    ),
    "lowercase_country": (
        [("country: BF", "country: bf")],
        "country: bf",
        "partner.country: unknown country code 'bf' (did you mean 'BF'?): expected an ISO 3166-1 alpha-2 code in capitals, e.g. 'BF', 'ML'",
    ),
    "side_near_miss": (
        [("side: partner", "side: partenaire")],
        "side: partenaire",
        "projects[0].links[0].side: got 'partenaire', expected one of: france, partner, both (did you mean 'partner'?)",
    ),
    "target_as_number": (
        [('target: "6.1"', "target: 6.1")],
        "target: 6.1",
        "projects[0].links[0].target: got the number 6.1: write the target code as text in quotes, e.g. '8.10' (as a number it loses its trailing zero)",
    ),
    "unknown_field_near_miss": (
        [("co_funders:", "cofunders:")],
        "cofunders:",
        "projects[0].cofunders: unknown field (did you mean 'co_funders'?)",
    ),
    "unknown_un_indicator": (
        [('code: "6.1.1"', 'code: "6.1.9"')],
        'code: "6.1.9"',
        "indicators[0].code: unknown UN global indicator '6.1.9' (did you mean '6.1.1'?); for a national or local indicator set the source (insee, oecd, local) and its name",
    ),
    "roadmap_unknown_project": (
        [("project: agroecologie", "project: agroecolgie")],
        "project: agroecolgie",
        "roadmap[6].project: unknown project 'agroecolgie' (did you mean 'agroecologie'?): the projects ids are eau-assainissement, agroecologie, gouvernance-etat-civil, jeunesse-citoyennete",
    ),
    "end_before_start": (
        [("end: 2022-12-31", "end: 2018-12-31")],
        "end: 2018-12-31",
        "projects[0].end: the end date 2018-12-31 is before the start date 2019-01-01",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_YAML))
def test_located_yaml_errors(name: str, tmp_path: Path) -> None:
    replacements, needle, message = BAD_YAML[name]
    text = PILOT_TEXT
    for old, new in replacements:
        text = text.replace(old, new, 1)
    assert load_variant(tmp_path, *replacements) == [f"aude-hauts-bassins.yaml:{line_of(text, needle)}: {message}"]


def test_every_yaml_problem_at_once(tmp_path: Path) -> None:
    problems = load_variant(
        tmp_path, ("level: 3", "level: 7"), ("country: BF", "country: BFA"), ('target: "6.2"', 'target: "6.1"')
    )
    assert [p.split(": ", 2)[1] for p in problems] == [
        "partner.country",
        "projects[0].links[0].level",
        "projects[0].links[1].target",
    ]
    assert problems[2].endswith("target '6.1' is linked twice to this project; keep one link, with the highest level")


def test_id_must_match_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "autre.yaml"
    path.write_text(PILOT_TEXT, encoding="utf-8")
    with pytest.raises(
        DataError, match=r"autre\.yaml:8: id: the id 'aude-hauts-bassins' differs from the file name 'autre'"
    ):
        load_partnership(path, FW)
    with pytest.raises(DataError, match=r"no partnership 'aude-haut-bassins' \(did you mean 'aude-hauts-bassins'\?\)"):
        partnership_file(DATA, "aude-haut-bassins")


def test_cross_references_are_checked_without_a_loader(pilot: Partnership) -> None:
    data = pilot.model_dump()
    data["roadmap"][1]["indicator"] = "inconnu"
    with pytest.raises(ValidationError, match=r"roadmap\[1\]\.indicator: unknown indicator 'inconnu'"):
        Partnership.model_validate(data)
    assert pilot.projects[0].links[0].side is Side.PARTNER


# ---------------------------------------------------------------------------------------------------------
# the notebook, one Papermill run per partnership


def test_grille_odd_notebook_runs_with_papermill(tmp_path: Path) -> None:
    papermill = Path(sys.executable).with_name("papermill")
    out = tmp_path / "grille_odd-aude-hauts-bassins.ipynb"
    env = {**os.environ, "CUFSTUDY_FACTS": str(tmp_path / "facts.json")}
    cmd = [str(papermill), "notebooks/grille_odd.ipynb", str(out), "-p", "partnership", "aude-hauts-bassins",
           "--cwd", str(ROOT), "--no-progress-bar"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    facts = {f.key: f.value for f in facts_from_notebook(nb)}
    pilot = load_partnership(PILOT_FILE, FW)
    s = summary(pilot, FW)
    assert facts["odd.aude-hauts-bassins.n_projects"] == s.n_projects
    assert facts["odd.aude-hauts-bassins.n_goals"] == s.n_goals
    assert facts["odd.aude-hauts-bassins.mean_progress"] == round(s.mean_progress or 0, 1)
    labels = {
        line.split(":", 1)[1].strip()
        for c in nb["cells"]
        for line in "".join(c["source"]).splitlines()
        if line.startswith("#| label:")
    }
    assert {"tbl-odd-matrice", "fig-odd-profil", "tbl-odd-profil", "tbl-odd-cibles", "fig-odd-progres"} <= labels
