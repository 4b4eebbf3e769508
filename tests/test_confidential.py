"""Confidential fields: the data model's marker alone decides what the public view drops and what the leak check
looks for; the leak check reads every place of an output where text can hide, and skips only our own library code."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field

from cufstudy.model.cases import CONFIDENTIAL, Case, CaseBase, Recommendation
from cufstudy.model.confidential import confidential_fields, confidential_values, public_view
from cufstudy.pipeline.leaks import find_leaks

from .conftest import TEST_DATA

SECRET = "Marie-Claire Dupont, directrice"


def page(body: str) -> str:
    return f"<!doctype html><html><body>{body}</body></html>"


def leaks(tmp_path: Path, name: str, content: str) -> list[str]:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return [leak.value for leak in find_leaks([path], [SECRET, "abc"])]


def test_text_attributes_scripts_and_entities_are_searched(tmp_path: Path) -> None:
    assert leaks(tmp_path, "a.html", page("<p>MARIE-CLAIRE   <b>Dupont</b>,\n directrice</p>")) == [SECRET]
    assert leaks(tmp_path, "b.html", page('<img alt="Marie-Claire Dupont, directrice">')) == [SECRET]
    assert leaks(
        tmp_path, "c.html", page('<script type="application/json">{"n":"Marie-Claire Dupont, directrice"}</script>')
    ) == [SECRET]
    assert leaks(tmp_path, "d.html", page("<p>Marie&#8209;Claire&#8239;Dupont, directrice</p>")) == [SECRET]
    assert leaks(tmp_path, "e.html", page("<p>Marie&#45;Claire&nbsp;Dupont, directrice</p>")) == [SECRET]
    # a hyphen, a space, a comma dropped or changed on the way: the same name to a reader, the same leak
    assert leaks(tmp_path, "f.txt", "MarieClaire Dupont,directrice") == [SECRET]
    assert leaks(tmp_path, "g.txt", "Marie-ClaireDupont,directrice") == [SECRET]  # spaces lost by extraction
    assert leaks(tmp_path, "h.txt", "Marie-Claire Dupond, directrice") == []  # another name


def test_only_the_genuine_vega_bundle_is_skipped(tmp_path: Path) -> None:
    code = 'const data = "Marie-Claire Dupont, directrice";'
    good = hashlib.sha256(code.encode()).hexdigest()
    bundle = f'<script type="module" data-cufstudy-bundle="{good}">{code}</script>'
    assert leaks(tmp_path, "a.html", page(bundle)) == []
    forged = bundle.replace(good, "0" * 64)
    assert leaks(tmp_path, "b.html", page(forged)) == [SECRET]
    assert leaks(tmp_path, "c.html", page(bundle.replace(code, code + " "))) == [SECRET]  # content changed


# --- the marker ------------------------------------------------------------------------------------------


class Note(BaseModel):
    model_config = ConfigDict(frozen=True)

    topic: str
    author: str | None = Field(default=None, json_schema_extra=CONFIDENTIAL)


class Visit(BaseModel):
    model_config = ConfigDict(frozen=True)

    place: str
    host: str | None = Field(default=None, json_schema_extra=CONFIDENTIAL)
    notes: tuple[Note, ...] = ()


def test_a_field_marked_confidential_is_dropped_and_listed_at_any_depth() -> None:
    visit = Visit(
        place="Ville d'Aix-en-Provence",
        host="Zébulon Quatrefages-Météyer",
        notes=(Note(topic="jumelage", author="Marie-Claire Dupont"), Note(topic="budget")),
    )
    assert confidential_fields(Visit) == ["host", "notes.author"]
    assert confidential_values(visit) == ["Zébulon Quatrefages-Météyer", "Marie-Claire Dupont"]
    public = public_view(visit)
    assert public == Visit(place="Ville d'Aix-en-Provence", notes=(Note(topic="jumelage"), Note(topic="budget")))
    assert confidential_values(public) == []
    assert visit.host == "Zébulon Quatrefages-Météyer"  # the internal view is left as it was


class ReviewedRecommendation(Recommendation):
    reviewer: str | None = Field(default=None, max_length=200, json_schema_extra=CONFIDENTIAL)


class ReviewedCase(Case):
    """A case whose data model marks one more field confidential, and nothing else changes."""

    internal_memo: str | None = Field(default=None, max_length=2000, json_schema_extra=CONFIDENTIAL)
    recommendations: tuple[ReviewedRecommendation, ...] = ()


def test_marking_a_new_case_field_is_enough_for_the_public_view_and_the_leak_check() -> None:
    data = yaml.safe_load((TEST_DATA / "good_case.yaml").read_text(encoding="utf-8"))
    data["internal_memo"] = "Mémo interne : l'élu d'Aix-en-Provence hésite"
    data["recommendations"][0]["reviewer"] = "Zébulon Quatrefages-Météyer"
    case = ReviewedCase.model_validate(data)
    base = CaseBase([case], TEST_DATA)
    assert sorted(base.confidential_values()) == [
        "Mémo interne : l'élu d'Aix-en-Provence hésite",
        "Notes confidentielles",
        "Personne fictive",
        "Zébulon Quatrefages-Météyer",
    ]
    public = case.public()
    assert public.internal_memo is None
    assert public.recommendations[0].reviewer is None
    assert public.recommendations[0].text == case.recommendations[0].text
    assert public.interviews[0].interviewee is None and public.interviews[0].notes is None
    assert public.interviews[0].role == case.interviews[0].role
    assert base.public().confidential_values() == []


def test_a_confidential_field_must_be_optional() -> None:
    class Bad(BaseModel):
        name: str = Field(json_schema_extra=CONFIDENTIAL)

    with pytest.raises(TypeError, match=r"Bad.name must be optional with the default None"):
        public_view(Bad(name="Marie-Claire Dupont"))
