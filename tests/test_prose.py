"""The check of numbers typed in the prose (cufstudy.render.prose) over every report, and the facts of the
documents' own structure (cufstudy.render.structure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cufstudy.core.errors import SourceError
from cufstudy.core.project import project_of
from cufstudy.render.prose import ALLOWED, check_captions, check_prose, raise_for_typed_numbers
from cufstudy.render.structure import document_facts, structure_facts

from .conftest import ROOT

REPORTS = sorted((ROOT / "reports").rglob("*.qmd"))


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_number_is_typed_in_the_prose_of_any_report(path: Path) -> None:
    found = check_prose([path], ROOT)
    assert not found, "\n".join(f"{h.file}:{h.line}: {h.message}" for h in found)


def test_every_report_is_checked() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in REPORTS}
    assert {"reports/study/study.qmd", "reports/guide/guide.qmd", "reports/brochure/brochure.qmd"} <= names
    assert "reports/toolbox/toolbox.qmd" in names and "reports/shared/_avertissement.qmd" in names


def _check(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    doc = tmp_path / "doc.qmd"
    doc.write_text(text, encoding="utf-8")
    return [(h.line, h.number) for h in check_prose([doc], tmp_path)]


def test_a_typed_count_fails_with_its_file_line_and_what_to_do(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Test 2\n---\n\n# Titre\n\n"
        "Le dispositif a financé 26 accompagnements en cinq appels.\n"
        "Six modèles se rencontrent ; la démarche compte sept étapes,\n"
        "et l'effectif passe de 1,7 à 200 000 habitants.\n"
    )
    assert _check(tmp_path, text) == [(7, "26"), (7, "cinq"), (8, "Six"), (8, "sept"), (9, "1,7"), (9, "200 000")]
    with pytest.raises(SourceError) as caught:
        raise_for_typed_numbers(check_prose([tmp_path / "doc.qmd"], tmp_path))
    message = str(caught.value)
    assert message.startswith("6 numbers typed in the prose instead of a fact; nothing was rendered")
    assert "doc.qmd:7: « Le dispositif a financé 26 accompagnements en cinq" in message
    assert "Cite a fact instead: {{< fact key >}}" in message and "cufstudy.render.prose.ALLOWED" in message


def test_a_paragraph_holding_a_pasted_confidential_value_is_left_to_the_leak_check(tmp_path: Path) -> None:
    text = (
        "# Titre\n\nLe service compte 3 agents.\n\n"
        "Comme le dit Zébulon Quatrefages-Météyer, au 12 rue de l'Église,\nles 4 adjoints étaient d'accord.\n"
    )
    asked: list[str] = []

    def pasted(paragraph: str) -> bool:
        asked.append(paragraph)
        return "Quatrefages-Météyer" in paragraph

    doc = tmp_path / "doc.qmd"
    doc.write_text(text, encoding="utf-8")
    # the leak check reports the second paragraph (as a leak); the first still fails as a typed number
    assert [(h.line, h.number) for h in check_prose([doc], tmp_path, pasted)] == [(3, "3")]
    assert len(asked) == 2  # asked only about paragraphs that type a number
    assert [(h.line, h.number) for h in check_prose([doc], tmp_path)] == [(3, "3"), (5, "12"), (6, "4")]


def test_what_the_prose_may_keep(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "# Étape 1 : le diagnostic {#sec-etape}",
            "",
            "Depuis septembre 2018 et le 1^er^ janvier 2020, puis le 15/03/2021 ; l'Agenda 2030, les mandats 2020-2026.",
            "Les missions DCOL 1 à DCOL 5, l'ODD 6, la cible 6.1 et l'indicateur 6.1.1, le Comité 21, le Module 4.",
            "L'article L1115-1 du CGCT ; les séances 2 et 3 sont regroupées.",
            "Au-delà de 200 000 habitants, l'intercommunalité porte l'action [@franceurbaine2021].",
            "Le dispositif « 1 % » eau ; « 8,1 » en nombre ; l'échelle de 0 à 4 ; un progrès sur 100 ; ambition sur 4.",
            "Les deux typologies, à deux, des deux côtés ; un regard neuf.",
            "{{< fact n_dcol.phrase >}} étudiés ; `cufstudy sdg import 2 fichiers` ; [lien](https://x.org/3/4).",
            "",
            "1. Une liste numérotée",
            "2. Un deuxième point",
            "",
            "| Demi-journée | Contenu |",
            "|:--|:--|",
            "| 1 – Les ODD | texte |",
            "",
            "```python",
            "print(42)",
            "```",
            "",
            "$$",
            "x = 100 \\times y",
            "$$",
            "",
            "<!-- 12 commentaires -->",
            "::: {.callout-note}",
            "Une seule note.",
            ":::",
        ]
    )
    assert _check(tmp_path, text) == []


def test_a_number_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "_part.qmd").write_text("Une ligne.\n\nQuatre types.\n", encoding="utf-8")
    (tmp_path / "doc.qmd").write_text("# Titre\n\n{{< include _part.qmd >}}\n", encoding="utf-8")
    [hit] = check_prose([tmp_path / "doc.qmd"], tmp_path)
    assert (hit.file, hit.line, hit.number) == ("_part.qmd", 3, "Quatre")


def test_the_allowlist_is_short_and_says_why() -> None:
    assert len(ALLOWED) <= 8 and all(rule.reason for rule in ALLOWED)


def test_a_typed_number_fails_the_build_before_anything_is_rendered(tmp_path: Path) -> None:
    from cufstudy.pipeline.publish import render_deliverables

    (tmp_path / "_quarto.yml").write_text("project:\n  type: default\n  output-dir: _output\nlang: fr\n", encoding="utf-8")
    (tmp_path / "_quarto-guide.yml").write_text(
        "project:\n  render:\n    - reports/guide.qmd\nformat:\n  html: default\ncufstudy:\n  audience: public\n",
        encoding="utf-8",
    )
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "guide.qmd").write_text("# Le guide\n\nLa démarche compte sept étapes.\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"reports/guide\.qmd:3: « La démarche compte sept étapes\. »"):
        render_deliverables(tmp_path, ["guide"], engine="pandoc", reuse=False)
    assert not (tmp_path / "_output").exists()


def test_the_steps_of_the_guide_are_counted_from_the_guide() -> None:
    facts = {f.key: f for f in document_facts(project_of(ROOT))}
    guide = (ROOT / "reports" / "guide" / "guide.qmd").read_text(encoding="utf-8")
    steps = [line for line in guide.splitlines() if line.startswith("## Étape ")]
    assert facts["doc.guide.etapes.n"].value == len(steps) >= 1
    assert facts["doc.guide.etapes.phrase"].text.endswith(" étapes")
    # a heading inside a callout is no section; a new step is counted
    text = "# Étapes {#sec-etapes}\n\n## Étape 1 : a\n\n::: {.callout-tip}\n## Liste de contrôle\n:::\n\n## Étape 2 : b\n"
    assert [f.text for f in structure_facts("guide", text)] == ["2", "deux étapes"]
    more = text + "\n## Étape 3 : c\n\n# Autre {#sec-autre}\n"
    assert [f.text for f in structure_facts("guide", more)] == ["3", "trois étapes"]
    assert [f.text for f in structure_facts("g", "# A {#sec-a}\n\n## Un\n\n## Deux\n")] == ["2", "deux"]


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _notebook(path: Path, captions: list[str], *, input_path: str | None = None) -> Path:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "Le carnet compte 3 cellules (non imprimé)."},
        *[
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": f"#| label: tbl-x{i}\n#| tbl-cap: \"{cap}\"\nshow_table(frame)\n"}
            for i, cap in enumerate(captions)
        ],
    ]  # fmt: skip
    metadata = {"papermill": {"input_path": input_path}} if input_path else {}
    path.write_text(json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}), "utf-8")
    return path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_number_is_typed_in_a_caption_of_any_notebook(path: Path) -> None:
    found = check_captions([path], ROOT)
    assert not found, "\n".join(str(h.problem()) for h in found)


def test_a_caption_that_counts_fails_with_its_notebook_and_cell(tmp_path: Path) -> None:
    source = tmp_path / "notebooks" / "typologie.ipynb"
    source.parent.mkdir()
    executed = _notebook(
        tmp_path / "typologie-run.ipynb",
        [
            "Trois actions typiques de chaque type de stratégie",
            "Grille de l'aide à la décision (1/2) : plan factoriel (axes 1 et 2), de 0 (référence) à 100 (cible)",
            "Exemples (au plus cinq par type) ; « 1 % » cité",
        ],
        input_path=str(source),
    )
    found = check_captions([executed, executed], tmp_path)  # one notebook, read once
    assert [(h.file, h.field, h.number) for h in found] == [
        ("notebooks/typologie.ipynb", "cell 2, tbl-cap", "Trois"),
        ("notebooks/typologie.ipynb", "cell 4, tbl-cap", "cinq"),
    ]  # the markdown cell is not printed; the parts of a table, the axes, the 0-100 scale may stay
    message = str(found[0].problem())
    assert message.startswith("notebooks/typologie.ipynb: cell 2, tbl-cap: « Trois actions typiques")
    assert "Leave the count out of the caption" in message
    assert check_captions([tmp_path / "missing.ipynb"], tmp_path) == []  # left to the render, which reports it


def test_a_caption_that_counts_fails_the_build_before_anything_is_rendered(tmp_path: Path) -> None:
    from cufstudy.pipeline.publish import render_deliverables

    (tmp_path / "_quarto.yml").write_text("project:\n  type: default\n", encoding="utf-8")
    (tmp_path / "_quarto-guide.yml").write_text(
        "project:\n  render:\n    - reports/guide.qmd\nformat:\n  html: default\ncufstudy:\n  audience: public\n",
        encoding="utf-8",
    )
    (tmp_path / "reports").mkdir()
    (tmp_path / "_build" / "notebooks").mkdir(parents=True)
    _notebook(tmp_path / "_build" / "notebooks" / "t.ipynb", ["Les sept étapes de la démarche"])
    (tmp_path / "reports" / "guide.qmd").write_text(
        "# Le guide\n\n{{< embed ../_build/notebooks/t.ipynb#tbl-x0 >}}\n", encoding="utf-8"
    )
    with pytest.raises(SourceError, match=r"_build/notebooks/t\.ipynb: cell 2, tbl-cap: « Les sept étapes"):
        render_deliverables(tmp_path, ["guide"], engine="pandoc", reuse=False)
    assert not (tmp_path / "_output").exists()
