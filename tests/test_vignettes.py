"""Case vignettes (cufstudy.study.vignettes): one portrait per DCOL mission, from its coding, public only
under a neutral label without the facts that identify the case."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from cufstudy.model.cases import CaseBase, load_cases
from cufstudy.study.pseudonyms import neutral_labels
from cufstudy.study.vignettes import MOMENTS, to_markdown, vignette, vignettes

from .conftest import DATA


def _dcol(data: Path, internal: bool = True) -> tuple[CaseBase, CaseBase]:
    everyone = load_cases(data)
    if not internal:
        everyone = everyone.public()
    return everyone, everyone.population("dcol")


def test_one_vignette_per_dcol_mission_with_its_coding() -> None:
    _, dcol = _dcol(DATA)
    portraits = vignettes(dcol, {"ville-pau": "Diplomatie territoriale et influence"})
    assert len(portraits) == len(dcol)
    assert [v.name for v in portraits] == sorted(v.name for v in portraits)
    pau = next(v for v in portraits if v.case_id == "ville-pau")
    case = dcol["ville-pau"]
    assert pau.name == "Ville de Pau" and pau.illustrative
    assert "77\u202f130\u00a0habitants" in pau.context and "DCOL 5" in pau.context
    assert dict(pau.strategy)["Type"] == "« Diplomatie territoriale et influence »"
    assert [m for m, _ in pau.organisation] == list(MOMENTS.values())
    assert len(pau.recommendations) == len(case.recommendations)
    assert pau.recommendations[0][0] == case.recommendations[0].text
    md = to_markdown(pau)
    assert md.startswith("### Ville de Pau\n")
    assert "**Recommandations et suivi.**" in md and "Codage illustratif" in md
    assert "Notes d'entretien illustratives" in md  # the internal view quotes the notes


def test_a_vignette_follows_an_edit_of_the_case(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "cases" / "ville-pau.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(after:\n\s+attachment: )\w+", r"\g<1>cabinet", text)  # the service went back
    text = text.replace(
        "Resserrer les partenariats sur un nombre limité de territoires",
        "Ouvrir un partenariat avec Zébulon Quatrefages-Météyer d'Aix-en-Provence",
    )
    path.write_text(text, encoding="utf-8")
    (data / "cases" / "ville-autun.yaml").unlink()
    _, before = _dcol(DATA)
    _, after = _dcol(data)
    old, new = vignette(before["ville-pau"]), vignette(after["ville-pau"])
    assert dict(old.organisation)["Observée au suivi"] != dict(new.organisation)["Observée au suivi"]
    assert "gardé son rattachement" in new.follow_up and "adopté" in old.follow_up
    assert "Zébulon Quatrefages-Météyer d'Aix-en-Provence" in to_markdown(new)
    assert len(vignettes(after)) == len(vignettes(before)) - 1
    assert "ville-autun" not in {v.case_id for v in vignettes(after)}


def test_a_public_vignette_uses_the_neutral_label_and_leaves_out_what_identifies_the_case() -> None:
    everyone, dcol = _dcol(DATA, internal=False)
    labels = neutral_labels(everyone)
    portraits = vignettes(dcol, public=True, everyone=everyone)
    names = {c.authority.name for c in everyone} | {c.authority.official_name for c in everyone}
    for v in portraits:
        case = dcol[v.case_id]
        assert v.public and v.name == labels[v.case_id]
        md = to_markdown(v)
        for name in names - {None}:
            assert name not in md, (name, v.case_id)
        assert case.authority.population is None or f"{case.authority.population.value}" not in md.replace("\u202f", "")
        assert "DCOL " + str(case.dcol_call) not in md and "mission de 20" not in md
        assert "Pays partenaires" not in md and "Entretiens" not in md and not v.interviews
        if case.strategy.partner_countries:
            assert all(code not in md for code in case.strategy.partner_countries if len(code) == 2 and code.isupper())


def test_a_case_without_follow_up_or_recommendation_says_so(good_case_text: str, tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    text = re.sub(r"\n\s+follow_up: \{.*\}", "", good_case_text)
    (folder / "a.yaml").write_text(text, encoding="utf-8")
    case = next(iter(load_cases(tmp_path)))
    v = vignette(case)
    assert case.recommendations
    assert "pas encore renseigné" in v.follow_up
    assert all(status == "Suivi non renseigné" for _, status, _ in v.recommendations)
    single = vignette(case.model_copy(update={"recommendations": load_cases(DATA)["ville-pau"].recommendations[:1]}))
    assert single.follow_up == "La recommandation suivie est engagée totalement ou en partie."
    bare = vignette(case.model_copy(update={"recommendations": ()}))
    assert "pas formulé de recommandation" in bare.follow_up
    assert "**Recommandations et suivi.**" not in to_markdown(bare)
