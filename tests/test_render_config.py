"""Quarto project configuration: profile activation and merging as Quarto does them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cufstudy.core.errors import ArgumentError
from cufstudy.render import (
    SourceError,
    active_profiles,
    deliverables,
    load_config,
    merge_configs,
    profile_names,
)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


BASE = """\
project:
  type: default
  output-dir: _output
lang: fr
toc: false
format:
  html:
    css: [a.css]
    toc: true
profile:
  default: study
  group: [[study, guide]]
"""


def test_merge_maps_recursively_overlay_wins() -> None:
    merged = merge_configs(
        {"format": {"html": {"toc": True, "css": "a.css"}}, "lang": "fr"},
        {"format": {"html": {"toc": False}, "typst": {"papersize": "a4"}}},
    )
    assert merged == {"format": {"html": {"toc": False, "css": "a.css"}, "typst": {"papersize": "a4"}}, "lang": "fr"}


def test_merge_lists_concatenate_without_duplicates_like_quarto() -> None:
    assert merge_configs({"l": [1, 2]}, {"l": [2, 3]}) == {"l": [1, 2, 3]}
    assert merge_configs({"l": "a.css"}, {"l": ["b.css"]}) == {"l": ["a.css", "b.css"]}
    assert merge_configs({"l": [{"x": 1}]}, {"l": [{"x": 1}, {"x": 2}]}) == {"l": [{"x": 1}, {"x": 2}]}


def test_merge_does_not_mutate_inputs() -> None:
    base = {"a": {"b": [1]}}
    merge_configs(base, {"a": {"b": [2]}})
    assert base == {"a": {"b": [1]}}


def test_active_profiles_order_of_sources() -> None:
    base = {"profile": {"default": "study", "group": [["study", "guide"]]}}
    assert active_profiles(base, None, env={}) == ("study",)
    assert active_profiles(base, None, env={"QUARTO_PROFILE": "guide"}) == ("guide",)
    assert active_profiles(base, "guide,print", env={"QUARTO_PROFILE": "study"}) == ("guide", "print")
    # a group adds its first member when none of its members is active
    assert active_profiles(base, "print", env={}) == ("print", "study")


def test_load_config_merges_profile_and_local(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "_quarto.yml": BASE,
            "_quarto-study.yml": "format:\n  html:\n    css: [b.css]\n  typst:\n    papersize: a4\ntoc: true\n",
            "_quarto-print.yml": "toc: false\nlang: en\n",
            "_quarto.yml.local": "lang: fr-FR\n",
        },
    )
    config = load_config(root, "study")
    assert config.profiles == ("study",)
    assert config.get("toc") is True
    assert config.get("format", "html", "css") == ["a.css", "b.css"]
    assert config.get("format", "typst", "papersize") == "a4"
    assert config.get("lang") == "fr-FR"  # _quarto.yml.local is merged last
    assert "profile" not in config.data
    assert config.where("format", "typst", "papersize") == ("_quarto-study.yml", 5)
    assert config.where("lang") == ("_quarto.yml.local", 1)
    # the first listed profile wins
    assert load_config(root, "print,study").get("toc") is False
    assert load_config(root, "study,print").get("toc") is True


def test_profile_names(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {"_quarto.yml": BASE, "_quarto-guide.yml": "{}\n", "_quarto-study.yaml": "{}\n", "_quarto.yml.local": "{}\n"},
    )
    assert profile_names(root) == ["guide", "study"]


PROJECT = {
    "_quarto.yml": "project:\n  type: default\nlang: fr\n",
    "_quarto-study.yml": "project:\n  render: [reports/study.qmd]\nformat:\n  html: default\n  typst:\n    papersize: a4\n",
    "_quarto-brochure.yml": (
        "project:\n  render: [reports/brochure.qmd]\nformat:\n  typst: default\ncufstudy:\n  pages:\n    exact: 4\n"
    ),
    "reports/study.qmd": "# Étude\n",
    "reports/brochure.qmd": "# Brochure\n",
}


def test_deliverables_one_per_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUARTO_PROFILE", raising=False)
    root = _write(tmp_path, PROJECT)
    found = {d.name: d for d in deliverables(root)}
    assert sorted(found) == ["brochure", "study"]
    assert found["study"].formats == ("html", "typst")
    assert found["study"].output_name(found["study"].inputs[0], "typst") == "study.pdf"
    assert found["study"].output_dir == (root / "_output").resolve()
    assert found["brochure"].pages is not None and found["brochure"].pages.exact == 4
    assert found["brochure"].pages.violation("brochure.pdf", 5, "brochure") == (
        "brochure.pdf has 5 pages; the brochure must have exactly 4"
    )
    assert found["study"].notes == ()
    only_pdf = deliverables(root, ["study"], formats=["pdf"])
    assert [d.formats for d in only_pdf] == [("typst",)]
    monkeypatch.setenv("QUARTO_PROFILE", "brochure")
    assert [d.name for d in deliverables(root)] == ["brochure"]


def test_configuration_problems_are_located(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            **PROJECT,
            "_quarto-study.yml": (
                "project:\n  render: [reports/missing.qmd]\n  freeze: auto\n"
                "format:\n  pdf: default\n  typst:\n    grid: {margin-width: 1in}\n"
                "cufstudy-variant: poster\n"
                "shortcodes: [ext/video.lua]\n"
            ),
        },
    )
    with pytest.raises(SourceError) as info:
        deliverables(root, ["study"])
    message = str(info.value)
    assert "_quarto-study.yml:2: project.render: reports/missing.qmd does not exist" in message
    assert "_quarto-study.yml:3: project.freeze: not in the supported subset" in message
    assert "_quarto-study.yml:5: format.pdf: format 'pdf' needs LaTeX; use 'typst'" in message
    assert "_quarto-study.yml:7: format.typst.grid: option 'grid' of format typst" in message
    assert "_quarto-study.yml:8: cufstudy-variant: must be study, guide or brochure" in message
    assert "_quarto-study.yml:9: shortcodes: ext/video.lua does not exist" in message


def test_unknown_profile(tmp_path: Path) -> None:
    root = _write(tmp_path, PROJECT)
    with pytest.raises(ArgumentError, match=r"^unknown profile 'poster'; profiles: brochure, study$"):
        deliverables(root, ["poster"])
    with pytest.raises(ArgumentError, match=r"^unknown profile 'studdy' \(did you mean 'study'\?\); profiles: brochure, study$"):
        deliverables(root, ["brochure,studdy"])


def test_formats_any_case_and_those_a_profile_has(tmp_path: Path) -> None:
    root = _write(tmp_path, PROJECT)
    [study] = deliverables(root, ["study"], ["PDF", "Html"])
    assert study.formats == ("html", "typst")
    assert [d.name for d in deliverables(root, None, [".pdf"])] == ["brochure", "study"]
    # the profiles without the format are left out when they are not named
    assert [d.name for d in deliverables(root, None, ["html"])] == ["study"]
    with pytest.raises(ArgumentError, match=r"^the brochure profile has no html output; its formats: pdf$"):
        deliverables(root, ["brochure"], ["html"])
    with pytest.raises(ArgumentError, match=r"^no profile has the format docx$"):
        deliverables(root, None, ["docx"])
    with pytest.raises(ArgumentError, match=r"^unknown format 'pdfx' \(did you mean 'pdf'\?\); formats: html, pdf, docx$"):
        deliverables(root, ["study"], ["pdfx"])


def test_filters_at_a_quarto_entry_point_and_the_html_heading_shift(tmp_path: Path) -> None:
    """``{path, at}`` filter entries (the cufstudy extension's typography at post-render) and
    ``shift-heading-level-by: 1`` in HTML are accepted; another entry point, a missing extension filter or
    another shift are located problems."""
    head = "project:\n  render: [reports/study.qmd]\nformat:\n  typst: default\n  html:\n    shift-heading-level-by: "
    good = (
        "1\nfilters:\n  - cufstudy/cufstudy\n"
        "  - path: _extensions/cufstudy/filters/typography-fr.lua\n    at: post-render\n"
    )
    root = _write(tmp_path / "good", {**PROJECT, "_quarto-study.yml": head + good})
    (study,) = deliverables(root, ["study"])
    entry = {"path": "_extensions/cufstudy/filters/typography-fr.lua", "at": "post-render"}
    assert study.config.get("filters")[1] == entry
    bad = (
        "2\nfilters:\n"
        "  - path: _extensions/cufstudy/filters/typography-fr.lua\n    at: after-all\n"
        "  - path: _extensions/cufstudy/filters/missing.lua\n    at: post-render\n"
    )
    root = _write(tmp_path / "bad", {**PROJECT, "_quarto-study.yml": head + bad})
    with pytest.raises(SourceError) as info:
        deliverables(root, ["study"])
    message = str(info.value)
    assert "filters: a filter entry is {path: <file>.lua, at: <" in message and "after-all" in message
    assert "_extensions/cufstudy/filters/missing.lua: the cufstudy extension has no such filter" in message
    assert "2: an HTML page has one <h1>, its title, and its chapters as <h2>: use 1" in message
