"""The brochure's visuals (cufstudy.notebook.charts.brochure) and its contact block from the configuration."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cufstudy.core.french import format_number, typeset_text
from cufstudy.core.project import Contact, Project
from cufstudy.notebook import charts, setup
from cufstudy.notebook.charts.brochure import spread_markers
from cufstudy.resources import data_path
from cufstudy.study.organisation_models import decision_aid, load_organisations

from .conftest import DATA, ROOT


def _spec(fig: charts.FigureSpec) -> str:
    return json.dumps(fig.to_dict(), ensure_ascii=False)


def test_close_markers_are_moved_apart_and_lone_ones_stay() -> None:
    # three seats around Paris, one of them twice (same coordinates), and Pau far away
    lon = [2.38, 2.38, 2.41, 2.10, -0.37]
    lat = [48.91, 48.91, 48.77, 49.05, 43.30]
    moved = spread_markers(lon, lat, min_distance=0.3)
    k = math.cos(math.radians(sum(lat) / len(lat)))
    for i in range(len(moved)):
        for j in range(i + 1, len(moved)):
            d = math.hypot((moved[i][0] - moved[j][0]) * k, moved[i][1] - moved[j][1])
            assert d >= 0.3 - 1e-6, (i, j, d)
    assert moved[4] == pytest.approx((lon[4], lat[4]))  # alone: on its seat
    assert spread_markers(lon, lat, 0.3) == moved  # deterministic
    assert spread_markers([], [], 0.3) == []


def test_the_numbered_map_keys_every_mission_and_keeps_its_markers_apart() -> None:
    study = setup(DATA)
    frame = study.dcol.frame
    fig = charts.numbered_map(frame, DATA, base=study.dcol.base_text)
    spec = fig.to_dict()
    text = _spec(fig)
    for name in map(typeset_text, frame["nom"]):  # drawn in French typography: "Ville d’Angers"
        assert json.dumps(name, ensure_ascii=False)[1:-1] in text
        assert re.search(rf"\d+ {re.escape(name)}", fig.alt_text)
    assert "Aude" not in text  # the SDG pilot is not a strategy mission
    datasets = spec["datasets"]
    points = max((v for v in datasets.values() if v and "mlon" in v[0] and "entry" not in v[0]), key=len)
    assert sorted(p["n"] for p in points) == list(range(1, len(frame) + 1))
    # numbered by tier then name: communes first
    first = min(points, key=lambda p: p["n"])
    assert first["niveau"] == "Communes"


def test_the_decision_tree_draws_the_decision_aids_answers_and_follows_the_grid(tmp_path: Path) -> None:
    study = setup(DATA)
    names = study.typology.names
    fig = charts.decision_tree(study.decision_aid, names, study.dcol.base_text)
    for t in study.typology.ids:
        assert names[t] in fig.alt_text
        assert typeset_text(study.decision_aid.answer(t).text(scores=True)) in fig.alt_text
    # edit the grid: the cabinet no longer suits inherited twinnings; the tree changes with it
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "organisation.yaml"  # the project's own, in place of the packaged default
    text = data_path("organisation.yaml", DATA).read_text(encoding="utf-8")
    text = text.replace(
        "strategy_types: {jumelages: 3, solidarite: 1, integree: 0, influence: 1}",
        "strategy_types: {jumelages: 1, solidarite: 1, integree: 0, influence: 1}",
    )
    path.write_text(text, encoding="utf-8")
    orgs = load_organisations(data, strategy_types=study.typology.ids)
    changed = charts.decision_tree(decision_aid(orgs, study.typology.ids), names, study.dcol.base_text)
    assert changed.alt_text != fig.alt_text
    assert "Cabinet du maire ou du président (6/6)" in fig.alt_text
    assert "Cabinet du maire ou du président (6/6)" not in changed.alt_text


def test_key_figures_are_tiles_with_their_labels() -> None:
    fig = charts.key_figures(
        [
            charts.KeyFigure("18", "missions DCOL «\u00a0stratégie\u00a0» étudiées"),
            charts.KeyFigure("65,8\u202f%", "engagées"),
        ],
        "n\u00a0=\u00a018 missions DCOL",
    )
    text = _spec(fig)
    assert "65,8\u202f%" in text and "stratégie" in text
    assert fig.alt_text.startswith("Chiffres clés\u00a0: 18 missions") and fig.title == "Les missions DCOL en chiffres"
    with pytest.raises(ValueError):
        charts.key_figures([], "")


def test_the_contact_block_comes_from_the_configuration(tmp_path: Path) -> None:
    project = Project.find(ROOT)
    contact = project.settings.contact
    assert isinstance(contact, Contact) and contact.organisation == "Cités Unies France"
    assert contact.lines()[0] == "Cités Unies France"
    root = tmp_path / "Étude d'Aix-en-Provence"
    root.mkdir()
    (root / "_quarto.yml").write_text(
        "project:\n  type: default\n"
        "cufstudy:\n"
        "  contact:\n"
        '    service: "Relations internationales"\n'
        "    email: zebulon.quatrefages-meteyer\n"
        "    website: cites-unies-france\n"
        '    telephone: "01 02 03 04 05"\n',
        encoding="utf-8",
    )
    found = Project.find(root)
    messages = [str(p) for p in found.problems]
    assert any(":6: cufstudy.contact.email: expected an e-mail address" in m for m in messages), messages
    assert any(":7: cufstudy.contact.website: expected a web address" in m for m in messages), messages
    assert any(":8: cufstudy.contact.telephone: unknown contact field 'telephone' (did you mean 'phone'?)" in m for m in messages)
    assert any(":4: cufstudy.contact: missing 'organisation'" in m for m in messages), messages
    assert found.settings.contact is None


def test_contact_details_not_verified_are_named_by_a_warning_until_marked_verified(tmp_path: Path) -> None:
    """A publisher's proof check: the printed contact details are flagged on every build until someone
    confirms them (``verified: true``); the flag is never printed, and a flag that is not a boolean is refused."""
    shipped = Project.find(ROOT)
    assert shipped.settings.contact is not None and not shipped.settings.contact.verified
    (warning,) = [w for w in shipped.warnings if "cufstudy.contact" in w]
    assert re.search(r"_quarto\.yml:\d+: cufstudy\.contact: address, phone, website not verified: ", warning)
    assert "before printing, then add 'verified: true'" in warning
    root = tmp_path / "Étude d'Aix-en-Provence"
    root.mkdir()
    config = root / "_quarto.yml"
    block = (
        "cufstudy:\n  contact:\n"
        '    organisation: "Ville d\'Aix-en-Provence"\n'
        '    address: "Place de l\'Hôtel de Ville, 13100 Aix-en-Provence"\n'
        '    email: "zebulon.quatrefages-meteyer@aix.fr"\n'
    )
    config.write_text(block, encoding="utf-8")
    (warning,) = Project.find(root).warnings
    assert "_quarto.yml:2: cufstudy.contact: address, email not verified" in warning
    config.write_text(block + "    verified: true\n", encoding="utf-8")
    checked = Project.find(root)
    assert checked.warnings == () and checked.problems == ()
    assert checked.settings.contact is not None and checked.settings.contact.verified
    assert "True" not in checked.settings.contact.lines() and len(checked.settings.contact.lines()) == 3
    config.write_text(block + "    verified: oui\n", encoding="utf-8")
    (problem,) = Project.find(root).problems
    assert "cufstudy.contact.verified: expected true or false" in str(problem) and ":6:" in str(problem)
    config.write_text('cufstudy:\n  contact:\n    organisation: "Cités Unies France"\n', encoding="utf-8")
    assert Project.find(root).warnings == ()  # nothing to check: no detail beyond the name


def test_a_base_too_large_to_number_is_a_dot_at_each_seat_without_a_key() -> None:
    """3,000 missions (a synthetic base of the bench): no numbers a key could not hold, no quadratic spreading."""
    from cufstudy.notebook.charts._parts import group_label
    from cufstudy.notebook.charts.brochure import NUMBERED_MAX

    frame = setup(DATA).dcol.frame
    big = pd.concat([frame] * (3000 // len(frame) + 1), ignore_index=True).head(3000)
    big["nom"] = [f"{nom} n° {i}" for i, nom in enumerate(big["nom"])]
    fig = charts.numbered_map(big, DATA, base="base synthétique")
    spec = fig.to_dict()
    assert "hconcat" not in json.dumps(spec)  # no key beside the map
    points = max((v for v in spec["datasets"].values() if v and "lon" in v[0]), key=len)
    assert len(points) == 3000 and "mlon" not in points[0] and "n" not in points[0]
    assert f"{format_number(3000)} collectivités" in fig.alt_text
    for group, n in big["group"].value_counts().items():  # the count of each tier, by its label
        assert f"{group_label(str(group))} ({format_number(int(n))})" in fig.alt_text
    small = charts.numbered_map(big.head(NUMBERED_MAX), DATA)
    assert "hconcat" in json.dumps(small.to_dict())  # at the limit, still numbered with its key
