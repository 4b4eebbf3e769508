"""Neutral labels of the cases in public deliverables, and the pairing rule of the leak check: no real
authority printed beside its illustrative coding (cufstudy.study.pseudonyms, cufstudy.pipeline.leaks)."""

from __future__ import annotations

import re
from pathlib import Path

from cufstudy.core.errors import LeakError
from cufstudy.model.cases import load_cases
from cufstudy.pipeline.checks import Requirements, check_files, raise_for
from cufstudy.pipeline.leaks import PAIRING_WINDOW, find_pairings
from cufstudy.study.pseudonyms import coded_labels, illustrative_pairings, neutral_labels, pairings_of, public_names
from cufstudy.study.typology import classify, load_typology

from .conftest import DATA


def test_neutral_labels_are_stable_per_tier_and_not_alphabetical() -> None:
    base = load_cases(DATA)
    labels = neutral_labels(base)
    real = [c for c in base if not c.authority.fictional]
    assert set(labels) == {c.id for c in real}  # every real authority with illustrative coding, no fictional one
    for case in real:
        word = {"commune": "Commune", "epci": "Intercommunalité", "departement": "Département", "region": "Région"}
        assert re.fullmatch(rf"{word[case.authority.group.value]} [A-Z]", labels[case.id]), labels[case.id]
    assert len(set(labels.values())) == len(labels)
    # the same labels whatever the order of the cases or the subset of other tiers given
    assert neutral_labels(reversed(list(base))) == labels
    communes = [c for c in real if c.authority.group.value == "commune"]
    assert neutral_labels(communes) == {c.id: labels[c.id] for c in communes}
    # not the order of the public list of missions (the names sorted)
    by_name = sorted(communes, key=lambda c: c.authority.name)
    assert [labels[c.id] for c in by_name] != sorted(labels[c.id] for c in communes)
    names = public_names(base)
    assert names["comparaison-ville-fictive-a"] == base["comparaison-ville-fictive-a"].authority.name
    assert names["ville-caen"] == labels["ville-caen"]


def test_the_coding_of_a_case_lists_its_type_organisation_and_follow_up() -> None:
    case = load_cases(DATA)["ville-caen"]
    typology = load_typology(DATA)
    labels = coded_labels(case, classify(case, typology).type_name)
    assert labels[0] == "Jumelages hérités"
    assert "Cabinet du maire ou du président" in labels and "Direction générale ou mission transversale" in labels
    assert "Contexte sécuritaire chez le partenaire" in labels and "Mise en œuvre" in labels
    pairing = next(p for p in pairings_of(DATA) if p.case_id == "ville-caen")
    assert pairing.names == ("Ville de Caen", "Caen") and pairing.labels == labels


def test_a_real_name_beside_its_coding_is_found_as_the_guide_would_print_it(tmp_path: Path) -> None:
    pairings = pairings_of(DATA)
    guide = tmp_path / "guide.html"
    guide.write_text(
        "<p>Les exemples :</p><table><tr><td>Ville de Caen</td><td>Jumelages hérités</td><td>DCOL 4</td></tr></table>",
        encoding="utf-8",
    )
    [hit] = find_pairings([guide], pairings)
    assert hit.name == "Ville de Caen" and hit.label == "Jumelages hérités" and "neutral label" in str(hit)
    # the neutral label beside the coding, the real name beside public facts only: no finding
    ok = tmp_path / "ok.html"
    ok.write_text(
        "<table><tr><td>Commune C</td><td>Jumelages hérités</td></tr></table>"
        + "<p>" + "x " * PAIRING_WINDOW + "</p><p>Ville de Caen, commune, DCOL 4, 105 354 habitants.</p>",
        encoding="utf-8",
    )
    assert find_pairings([ok], pairings) == []
    # whole words only: "Caennais" is not "Caen"; another case's coding beside a name is not that case's
    (tmp_path / "words.txt").write_text("Les Caennais et le cabinet du maire ou du président.", encoding="utf-8")
    assert find_pairings([tmp_path / "words.txt"], pairings) == []


def test_a_real_name_beside_its_coding_is_found_however_it_is_typeset(tmp_path: Path) -> None:
    """The pairing rule folds text as the leak search does (spaces, hyphens, apostrophes, format characters,
    case and accents), keeping word boundaries: a no-break space, a soft hyphen inside the name, a line broken
    at a hyphen, capitals without accents do not hide the pair; a longer word is still not the name."""
    pairings = pairings_of(DATA)
    typeset = tmp_path / "typeset.txt"
    typeset.write_text("VILLE\u00a0DE CA\u00adEN : JUME-\nLAGES HERITES", encoding="utf-8")
    [hit] = find_pairings([typeset], pairings)
    assert hit.name == "Ville de Caen" and hit.label == "Jumelages hérités"
    pages = {typeset: ["Ville de Caen, page 3", "Jumelages\u202fhérités, page 4"]}  # across two PDF pages
    assert [h.name for h in find_pairings([typeset], pairings, pages)] == ["Ville de Caen"]
    words = tmp_path / "words.txt"
    words.write_text("Les Caen\u00adnais : jumelages hérités.", encoding="utf-8")
    assert find_pairings([words], pairings) == []


def test_the_pairing_rule_fails_a_public_deliverable_and_names_the_file(tmp_path: Path) -> None:
    page = tmp_path / "guide.html"
    page.write_text("<p>Ville de Caen — Jumelages hérités</p>", encoding="utf-8")
    pairings = illustrative_pairings(load_cases(DATA), {"ville-caen": "Jumelages hérités"})
    report = check_files([page], Requirements("guide", pairings=lambda: pairings, offline=False))
    [violation] = report.violations
    assert violation.rule == "pairing" and violation.file == page
    try:
        raise_for(report.violations, "guide")
    except LeakError as exc:
        message = str(exc)
    else:  # pragma: no cover - raise_for must raise
        raise AssertionError("no error")
    assert "the public deliverable 'guide' prints a real authority beside its illustrative coding" in message
    assert "'Ville de Caen' beside its illustrative coding 'Jumelages hérités'" in message
    # an internal deliverable is not checked (Requirements without pairings)
    assert check_files([page], Requirements("study", offline=False)).violations == []
