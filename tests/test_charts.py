"""The study's charts: they build from the default data, render offline in French, and stay aggregate."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest
import vl_convert

from cufstudy.model.cases import CaseBase, load_cases
from cufstudy.notebook import charts
from cufstudy.study.typology import DataTypology, Typology, classify_all, load_typology, mca_hca

from .conftest import DATA, ROOT

PNG = b"\x89PNG\r\n\x1a\n"
GEO = DATA  # the data folder: its geo/ files win over the packaged boundaries
TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)


@pytest.fixture(scope="module")
def base() -> CaseBase:
    return load_cases(DATA)


@pytest.fixture(scope="module")
def frame(base: CaseBase) -> pd.DataFrame:
    return base.frame


@functools.cache
def _typologies() -> tuple[Typology, pd.DataFrame, DataTypology]:
    base = load_cases(DATA)
    typology = load_typology(DATA)
    return typology, classify_all(base, typology), mca_hca(base.frame, random_state=0, min_clusters=3)


def _builders(base: CaseBase) -> dict[str, Callable[[], charts.FigureSpec]]:
    f = base.frame
    recs = base.recommendations_frame()
    return {
        "cases_by_tier_and_call": lambda: charts.cases_by_tier_and_call(f),
        "ambition_by_tier": lambda: charts.ambition_by_tier(f),
        "motivations_by_tier": lambda: charts.motivations_by_tier(f),
        "modalities_by_tier": lambda: charts.modalities_by_tier(f),
        "themes_by_tier": lambda: charts.themes_by_tier(f),
        "cases_map": lambda: charts.cases_map(f, GEO),
        "partner_countries_map": lambda: charts.partner_countries_map(f, GEO),
        "partner_countries_top": lambda: charts.partner_countries_top(f),
        "organisation_comparison": lambda: charts.organisation_comparison(f),
        "organisation_transitions": lambda: charts.organisation_transitions(f),
        "organisation_transitions_recommended": lambda: charts.organisation_transitions(f, to="recommended"),
        "staffing_by_tier": lambda: charts.staffing_by_tier(f),
        "followup_rates_group": lambda: charts.followup_rates(recs, by="group"),
        "followup_rates_kind": lambda: charts.followup_rates(base, by="kind"),
        "strategy_types": lambda: charts.strategy_types(*_typologies()[:2], illustrative=base.is_illustrative),
        "factor_map": lambda: charts.factor_map(_typologies()[2], f),
    }


CHARTS = [
    "cases_by_tier_and_call",
    "ambition_by_tier",
    "motivations_by_tier",
    "modalities_by_tier",
    "themes_by_tier",
    "cases_map",
    "partner_countries_map",
    "partner_countries_top",
    "organisation_comparison",
    "organisation_transitions",
    "organisation_transitions_recommended",
    "staffing_by_tier",
    "followup_rates_group",
    "followup_rates_kind",
    "strategy_types",
    "factor_map",
]


def test_every_chart_is_tested(base: CaseBase) -> None:
    assert list(_builders(base)) == CHARTS


def _texts(svg: str) -> list[str]:
    """The visible text of an SVG (axis labels, titles, marks), tspans joined."""
    return [re.sub(r"<[^>]+>", " ", t) for t in TEXT.findall(svg)]


def _datasets(spec: dict[str, Any]) -> list[list[Any]]:
    return [v for v in spec.get("datasets", {}).values() if isinstance(v, list)]


@pytest.mark.parametrize("name", CHARTS)
def test_chart_builds_and_renders_png_offline(base: CaseBase, name: str) -> None:
    fig = _builders(base)[name]()
    assert isinstance(fig, charts.FigureSpec)
    png = charts.to_png(fig, scale=1)
    assert png.startswith(PNG)
    assert len(png) > 2_000
    spec = charts.to_spec(fig)
    assert spec["description"] == fig.alt_text
    assert spec["title"]["text"] == fig.title
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")


@pytest.mark.parametrize("name", CHARTS)
def test_alt_text_is_french_and_specific(base: CaseBase, name: str) -> None:
    fig = _builders(base)[name]()
    assert len(fig.alt_text) > 80
    assert re.search(r"\b(collectivités|recommandations|rattachement|pays)\b", fig.alt_text)
    assert "\u00a0:" in fig.alt_text  # French typography: no-break space before the colon
    assert not re.search(r"\d\.\d", fig.alt_text)  # French decimals
    assert fig.title and fig.title[0].isupper()


def test_svg_has_decimal_commas_and_no_decimal_points(frame: pd.DataFrame) -> None:
    svg = charts.to_svg(charts.staffing_by_tier(frame))
    texts = _texts(svg)
    assert any(re.fullmatch(r"\d+,\d", t.strip()) for t in texts), texts
    assert not any(re.search(r"\d\.\d", t) for t in texts), texts


def test_percentages_use_french_format(base: CaseBase) -> None:
    texts = _texts(charts.to_svg(charts.followup_rates(base)))
    percents = [t for t in texts if t.endswith("%")]
    assert "100\u202f%" in percents  # narrow no-break space before %
    assert all(re.fullmatch(r"\d+\u202f%", t) for t in percents), percents


def test_thousands_use_narrow_no_break_space(frame: pd.DataFrame) -> None:
    texts = _texts(charts.to_svg(charts.cases_map(frame, GEO)))
    assert "1\u202f000\u202f000" in texts, texts


def test_locale_is_in_the_spec_for_vega_embed_and_vega(frame: pd.DataFrame) -> None:
    spec = charts.to_spec(charts.ambition_by_tier(frame))
    embed = spec["usermeta"]["embedOptions"]
    assert embed["formatLocale"]["decimal"] == ","
    assert embed["formatLocale"]["thousands"] == "\u202f"
    assert embed["timeFormatLocale"]["months"][0] == "janvier"
    assert spec["config"]["locale"] == {"number": embed["formatLocale"], "time": embed["timeFormatLocale"]}
    # the chart object itself carries it, for engines calling chart.to_dict()
    assert charts.ambition_by_tier(frame).chart.to_dict()["usermeta"]["embedOptions"] == embed


def test_locale_matches_vl_convert_fr_fr_but_for_the_thousands_space() -> None:
    ours = dict(charts.NUMBER_LOCALE)
    theirs = dict(vl_convert.get_format_locale("fr-FR"))
    assert ours.pop("thousands") == "\u202f"
    theirs.pop("thousands")
    assert ours["decimal"] == theirs["decimal"] == ","
    assert vl_convert.get_time_format_locale("fr-FR") == charts.TIME_LOCALE


def test_theme_is_registered_and_sets_the_font(frame: pd.DataFrame) -> None:
    assert charts.THEME_NAME in alt.theme.names()
    assert "DejaVu Sans" in charts.FONT_FAMILY
    assert not charts.FONT_FAMILY.startswith('"DejaVu Sans"')  # the packaged Inter comes first
    spec = charts.to_spec(charts.cases_by_tier_and_call(frame))
    assert spec["config"]["font"] == charts.FONT_FAMILY
    assert spec["config"]["axis"]["labelFont"] == charts.FONT_FAMILY
    svg = charts.to_svg(charts.cases_by_tier_and_call(frame))
    assert "sans-serif" in svg and "font-family" in svg


def test_theme_applies_whatever_theme_is_active(frame: pd.DataFrame) -> None:
    fig = charts.cases_by_tier_and_call(frame)
    with alt.theme.enable("dark"):
        assert charts.to_spec(fig)["config"]["font"] == charts.FONT_FAMILY


def _colour_scales(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node["color"]["scale"]] if isinstance(node.get("color"), dict) and "scale" in node["color"] else []
        return found + [s for v in node.values() for s in _colour_scales(v)]
    if isinstance(node, list):
        return [s for v in node for s in _colour_scales(v)]
    return []


def test_tier_groups_keep_one_colour_everywhere(frame: pd.DataFrame) -> None:
    seen: dict[str, str] = {}
    for fig in (charts.cases_by_tier_and_call(frame), charts.cases_map(frame, GEO), charts.motivations_by_tier(frame)):
        scales = [s for s in _colour_scales(charts.to_spec(fig)) if "domain" in s and "range" in s]
        assert scales
        for scale in scales:
            for name, colour in zip(scale["domain"], scale["range"], strict=True):
                key = name.split(" (n")[0]
                assert seen.setdefault(key, colour) == colour, key
    assert seen["Communes"] == charts.TIER_COLOURS["commune"]
    assert seen["Régions"] == charts.TIER_COLOURS["region"]
    assert len(set(charts.TIER_COLOURS.values())) == len(charts.TIER_COLOURS)


def test_long_french_labels_are_not_truncated(frame: pd.DataFrame) -> None:
    for fig in (charts.organisation_comparison(frame), charts.organisation_transitions(frame)):
        texts = _texts(charts.to_svg(fig))
        assert "Direction générale ou mission transversale" in texts
        assert not any("…" in t for t in texts), [t for t in texts if "…" in t]


def test_cases_map_has_one_point_per_seat(frame: pd.DataFrame) -> None:
    spec = charts.to_spec(charts.cases_map(frame, GEO))
    points = [d for d in _datasets(spec) if d and "lon" in d[0]]
    assert len(points) == 1
    assert len(points[0]) == frame["longitude_composite"].notna().sum() == 19
    assert set(points[0][0]) == {"lon", "lat", "nom", "niveau", "population"}
    assert {p["nom"] for p in points[0]} >= {"Ville d’Angers", "Communauté d’agglomération Cap Nord Martinique"}
    assert spec["projection"] == {"type": "conicConformal", "parallels": [44, 49], "rotate": [-3, 0]}
    regions = [d for d in _datasets(spec) if d and d[0].get("type") == "Feature" and len(d) == 18]
    assert regions, "the 18 régions"
    assert "4 collectivités sans siège" in charts.cases_map(frame, GEO).alt_text


def test_partner_map_counts_countries_and_draws_small_states(frame: pd.DataFrame) -> None:
    fig = charts.partner_countries_map(frame, GEO)
    spec = charts.to_spec(fig)
    lookups = [d for d in _datasets(spec) if d and "iso_a2" in d[0] and "n" in d[0]]
    assert len(lookups) == 1
    counts = {row["iso_a2"]: row["n"] for row in lookups[0]}
    expected = frame["partner_countries"].explode().value_counts()
    assert counts == {k: int(v) for k, v in expected.items()}
    circles = [d for d in _datasets(spec) if d and "longitude" in d[0]]
    assert {row["pays"] for row in circles[0]} == {"Dominique", "Sainte-Lucie"}
    assert "Allemagne" in fig.alt_text
    topo = next(v for v in spec["datasets"].values() if isinstance(v, dict) and v.get("type") == "Topology")
    names = {g["properties"]["name_fr"] for g in topo["objects"]["countries"]["geometries"]}
    assert "Burkina Faso" in names and "Antarctique" not in names


def test_namibia_is_not_a_missing_value(frame: pd.DataFrame) -> None:
    df = frame.copy()
    df["partner_countries"] = [["NA"]] * len(df)
    spec = charts.to_spec(charts.partner_countries_map(df, GEO))
    assert any(d and d[0].get("iso_a2") == "NA" for d in _datasets(spec))


def test_the_chart_notice_is_the_project_s(frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook's kernel runs in its project root: its charts print that project's ``notices: chart:``."""
    (tmp_path / "_quarto.yml").write_text(
        "cufstudy:\n  notices:\n    chart: \"Codage d'essai de la Ville d'Aix-en-Provence\"\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert charts.ILLUSTRATIVE_NOTE == "Codage d'essai de la Ville d'Aix-en-Provence"
    fig = charts.ambition_by_tier(frame)
    assert fig.alt_text.endswith("Codage d’essai de la Ville d’Aix-en-Provence.")
    assert "Codage d’essai" in json.dumps(charts.to_spec(fig)["title"], ensure_ascii=False)


def test_charts_without_data_say_so_instead() -> None:
    """A chart with nothing to draw raises the sentence the notebook shows in its place (a study of few cases)."""
    from cufstudy.core.errors import InsufficientDataError
    from cufstudy.model.cases import load_cases
    from cufstudy.notebook import enough_data

    base = load_cases(ROOT / "tests" / "data" / "small_cases").public()
    with pytest.raises(InsufficientDataError) as info:
        charts.partner_countries_map(base.frame, GEO)
    assert info.value.sentence == "Carte non tracée\u00a0: aucun pays partenaire n\u2019est encore codé."
    with pytest.raises(InsufficientDataError, match="no rows") as info:
        charts.followup_rates(base.recommendations_frame(), by="group")
    assert info.value.sentence == "Graphique non tracé\u00a0: aucune recommandation n\u2019est encore codée."
    for chart in (charts.staffing_by_tier, charts.organisation_comparison, charts.organisation_transitions):
        with pytest.raises(InsufficientDataError):
            chart(base.frame)
    with pytest.raises(InsufficientDataError, match="themes"):
        charts.themes_by_tier(base.frame)
    assert charts.cases_by_tier_and_call(base.frame).title  # what there is to draw is drawn
    with enough_data():  # the sentence instead of the error
        charts.partner_countries_top(base.frame)


def test_illustrative_coding_is_flagged_and_real_coding_is_not(frame: pd.DataFrame) -> None:
    assert charts.ILLUSTRATIVE_NOTE in charts.ambition_by_tier(frame).alt_text
    real = frame.assign(provenance="interview")
    fig = charts.ambition_by_tier(real)
    assert charts.ILLUSTRATIVE_NOTE not in fig.alt_text
    assert charts.ILLUSTRATIVE_NOTE not in json.dumps(charts.to_spec(fig), ensure_ascii=False)


def test_followup_rejects_an_unknown_grouping(base: CaseBase) -> None:
    with pytest.raises(ValueError, match="by must be"):
        charts.followup_rates(base, by="tier")  # type: ignore[arg-type]


def test_followup_shares_add_up(base: CaseBase) -> None:
    spec = charts.to_spec(charts.followup_rates(base, by="kind"))
    rows = next(d for d in _datasets(spec) if d and "statut" in d[0])
    for line in {r["ligne"] for r in rows}:
        assert sum(r["part"] for r in rows if r["ligne"] == line) == pytest.approx(1)


def test_charts_stay_aggregate_for_5000_authorities(base: CaseBase) -> None:
    frame = base.frame.sample(5_000, replace=True, random_state=0).reset_index(drop=True)
    frame["id"] = [f"c{i}" for i in range(len(frame))]
    frame["nom"] = [f"Collectivité {i}" for i in range(len(frame))]
    recs = base.recommendations_frame().sample(20_000, replace=True, random_state=0)
    figs = [
        charts.cases_by_tier_and_call(frame),
        charts.ambition_by_tier(frame),
        charts.motivations_by_tier(frame),
        charts.modalities_by_tier(frame),
        charts.themes_by_tier(frame),
        charts.organisation_comparison(frame),
        charts.organisation_transitions(frame),
        charts.staffing_by_tier(frame),
        charts.followup_rates(recs, by="group"),
        charts.followup_rates(recs, by="kind"),
        charts.partner_countries_map(frame, GEO),  # the world topology is ~120 KB
        charts.partner_countries_top(frame),
    ]
    for fig in figs:
        size = len(json.dumps(charts.to_spec(fig)))
        assert size < 200_000, (fig.title, size)
    # the map embeds one small record per seat and nothing else per case
    spec = charts.to_spec(charts.cases_map(frame, GEO))
    points = next(d for d in _datasets(spec) if d and "lon" in d[0])
    assert len(points) == frame["longitude_composite"].notna().sum()
    assert set(points[0]) == {"lon", "lat", "nom", "niveau", "population"}
    assert charts.to_png(figs[0], scale=1).startswith(PNG)


def test_save_png_and_svg(tmp_path: Path, frame: pd.DataFrame) -> None:
    fig = charts.ambition_by_tier(frame)
    png = charts.save_png(fig, tmp_path / "out" / "ambition.png")
    svg = charts.save_svg(fig, tmp_path / "ambition.svg")
    assert png.read_bytes().startswith(PNG)
    small, big = charts.to_png(fig, scale=1), png.read_bytes()
    assert int.from_bytes(big[16:20], "big") == 2 * int.from_bytes(small[16:20], "big")
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<svg ") and 'role="img"' in text and "<title>Matrice de la typologie" in text
    assert list(tmp_path.rglob("*.tmp")) == []


def test_html_fragment_uses_the_global_vega_embed_without_the_bundle(frame: pd.DataFrame) -> None:
    fig = charts.ambition_by_tier(frame)
    html = charts.to_html_fragment(fig)
    assert html == charts.to_html_fragment(fig)  # deterministic
    assert len(html) < 60_000  # no Vega bundle inlined
    div_id = re.search(r'<div id="([\w-]+)"', html)
    assert div_id and f'vegaEmbed("#{div_id.group(1)}", spec, opts)' in html
    assert html.count("<script") == 1 and html.count("</script>") == 1
    spec = json.loads(re.search(r"var spec = (.*);\n", html).group(1).replace("<\\/", "</"))  # type: ignore[union-attr]
    assert spec == json.loads(json.dumps(charts.to_spec(fig)))
    opts = json.loads(re.search(r"var opts = (.*);\n", html).group(1))  # type: ignore[union-attr]
    assert opts["formatLocale"]["decimal"] == "," and opts["renderer"] == "svg" and opts["actions"] is False
    assert 'id="custom"' in charts.to_html_fragment(fig, div_id="custom")


def test_html_fragment_escapes_script_end_tags(frame: pd.DataFrame) -> None:
    df = frame.copy()
    df["nom"] = "</script><b>x</b>"
    html = charts.to_html_fragment(charts.cases_map(df, GEO))
    assert html.count("</script>") == 1


def test_mime_bundle_and_display(frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    fig = charts.staffing_by_tier(frame)
    data, metadata = charts.mime_bundle(fig)
    assert charts.VEGALITE_MIME == "application/vnd.vegalite.v6+json"
    # the bundle must be storable in a notebook: nbformat only accepts JSON objects under */*+json types
    import nbformat

    out = nbformat.v4.new_output("display_data", data=data, metadata=metadata)
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[out])]))
    # the spec only: the static images are drawn after the runs, outside the kernel (render.chart_images)
    assert set(data) == {charts.VEGALITE_MIME, "text/plain"}
    assert set(metadata) == {"cufstudy"}
    assert data["text/plain"] == fig.alt_text == metadata["cufstudy"]["alt"]
    assert metadata["cufstudy"]["title"] == fig.title
    assert data[charts.VEGALITE_MIME]["usermeta"]["embedOptions"]["formatLocale"]["decimal"] == ","
    assert data[charts.VEGALITE_MIME] == charts.to_spec(fig)
    assert fig._repr_mimebundle_()[0].keys() == data.keys()

    shown: list[tuple[Any, ...]] = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))
    charts.display(fig)
    ((args, kwargs),) = shown
    assert args[0].keys() == data.keys() and kwargs["raw"] is True and kwargs["metadata"] == metadata


def test_the_typology_charts_count_the_cases_and_keep_the_classes_apart(base: CaseBase) -> None:
    typology, classes, data_typology = _typologies()
    spec = charts.to_spec(charts.strategy_types(typology, classes, illustrative=False))
    rows = next(d for d in _datasets(spec) if d and "rang" in d[0])
    assert rows[0]["rang"] == f"1. {typology[typology.fallback].name}"  # the least ambitious first
    assert sum(r["cas"] for r in rows) == len(classes)
    assert charts.ILLUSTRATIVE_NOTE not in json.dumps(spec, ensure_ascii=False)
    fig = charts.factor_map(data_typology, base.frame)
    spec = charts.to_spec(fig)
    [scale] = [s for s in _colour_scales(spec) if "domain" in s]
    assert len(scale["domain"]) == data_typology.n_clusters
    assert len(set(scale["range"])) == len(scale["range"])  # one colour per class, however many classes
    assert not set(scale["range"]) & set(charts.TIER_COLOURS.values())  # a class is not a tier group
    titles = [spec["encoding"][axis]["title"] for axis in ("x", "y")]
    assert all(re.fullmatch(r"Axe [12] \(\d+,\d\u202f% de l’inertie\)", t) for t in titles), titles
    assert charts.ILLUSTRATIVE_NOTE in fig.alt_text


def test_the_renderer_converts_a_stored_spec_as_the_notebooks_do(frame: pd.DataFrame) -> None:
    from cufstudy.render import _vega

    spec = charts.to_spec(charts.cases_map(frame, GEO))
    svg, ext = _vega.vegalite_to_static(spec, "svg")
    assert ext == "svg" and svg.decode("utf-8") == charts.to_svg(charts.cases_map(frame, GEO))
    assert "1\u202f000\u202f000" in _texts(svg.decode("utf-8"))  # the toolkit's locale, not d3's fr-FR
    assert '"thousands":"\u202f"' in _vega._snippet()  # the HTML pages format with the same locale


def test_script_json_escapes_what_could_end_or_open_a_script_element() -> None:
    from cufstudy.notebook.charts.vega import script_json

    value = {"nom": "</script><!--<script> & \u2028 > fin", "n": [1, 2.5, None, True]}
    text = script_json(value)
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == value


def test_the_renderer_does_not_load_altair() -> None:
    code = "import sys, cufstudy.render.engine, cufstudy.render._vega; print('altair' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_a_single_case_gets_whole_number_ticks(base: CaseBase) -> None:
    """With one case, the count axis reads 0, 1 (not "0 1 1": a tick at 0.5 labelled "1") and the map's
    legend 1, 2."""
    typology = load_typology(DATA)
    one = CaseBase(base.cases[:1], base.source)
    spec = charts.to_spec(charts.strategy_types(typology, classify_all(one, typology), illustrative=True))
    axes = [layer["encoding"]["x"]["axis"] for layer in spec["layer"]]
    assert all(axis["values"] == [0, 1] for axis in axes), axes
    frame = one.frame.assign(partner_countries=[["DE", "SN"]])
    spec = charts.to_spec(charts.partner_countries_map(frame, GEO))
    legends = re.findall(r'"legend": \{[^{}]*\}', json.dumps(spec))
    assert legends and all('"values": [1, 2]' in legend for legend in legends if "gradientLength" in legend)
