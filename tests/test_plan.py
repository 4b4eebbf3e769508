"""The run plan under ``cufstudy:`` in ``_quarto.yml``: expansion, located errors (no kernel starts)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cufstudy.core.errors import ArgumentError, PlanError
from cufstudy.pipeline.plan import Plan, load_plan


def make_project(root: Path, plan: str, notebooks: tuple[str, ...] = ("a", "b")) -> Path:
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    for name in notebooks:
        (root / "notebooks" / f"{name}.ipynb").write_text("{}")
    (root / "_quarto.yml").write_text(textwrap.dedent(plan).lstrip())
    return root


def plan_error(root: Path) -> PlanError:
    with pytest.raises(PlanError) as info:
        load_plan(root)
    return info.value


def test_cartesian_product_of_lists_in_declaration_order(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              parameters:
                tier: [commune, region]
                year: [2023, 2024]
                draft: true
              output: "_build/nb/{notebook}-{tier}-{year}.ipynb"
        """,
    )
    plan = load_plan(tmp_path)
    assert [r.output for r in plan.runs] == [
        "_build/nb/a-commune-2023.ipynb",
        "_build/nb/a-commune-2024.ipynb",
        "_build/nb/a-region-2023.ipynb",
        "_build/nb/a-region-2024.ipynb",
    ]
    assert plan.runs[1].parameters == {"tier": "commune", "year": 2024, "draft": True}
    assert plan.runs[1].label == "a (tier=commune, year=2024, draft=True)"
    assert plan.runs[1].failed_output == "_build/nb/a-commune-2024.failed.ipynb"


def test_default_output_names_the_varying_parameters(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
            - notebook: notebooks/b.ipynb
              parameters: {tier: [commune, epci], year: 2024}
        """,
    )
    plan = load_plan(tmp_path)
    assert [r.output for r in plan.runs] == [
        "_build/notebooks/a.ipynb",
        "_build/notebooks/b-commune.ipynb",
        "_build/notebooks/b-epci.ipynb",
    ]
    assert plan.data == "data" and plan.warnings == ()


def test_tier_every_expands_to_all_tier_groups(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              parameters: {tier: every}
        """,
    )
    assert [r.parameters["tier"] for r in load_plan(tmp_path).runs] == [
        "commune",
        "epci",
        "departement",
        "region",
        "statut_particulier",
    ]


def test_unknown_tier_is_located_with_a_suggestion(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        project:
          type: default
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
            - notebook: notebooks/b.ipynb
              parameters:
                tier:
                  - commune
                  - regoin
                  - metropole
        """,
    )
    error = plan_error(tmp_path)
    first, second = error.problems
    assert first.file == str(tmp_path / "_quarto.yml")
    assert (first.line, first.field) == (10, "cufstudy.runs[1].parameters.tier[1]")
    assert first.message == "unknown tier 'regoin' (did you mean 'region'?)"
    assert (second.line, second.field) == (11, "cufstudy.runs[1].parameters.tier[2]")
    assert second.message == (
        "unknown tier 'metropole': 'metropole' is a kind of authority; runs compare tier groups, use 'epci'"
    )


def test_error_message_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              parameters: {tier: [regoin]}
        """,
    )
    monkeypatch.chdir(tmp_path)
    assert str(plan_error(tmp_path)) == (
        "the run plan in _quarto.yml has 1 problem\n"
        "  _quarto.yml:4: cufstudy.runs[0].parameters.tier[0]: unknown tier 'regoin' (did you mean 'region'?)"
    )


def test_all_problems_are_collected(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/missing.ipynb
            - notebook: notebooks/a.ipynb
              paramters: {tier: commune}
            - notebook: notebooks/b.ipynb
              parameters: {tier: [], 2x: 1, mode: every}
        """,
    )
    problems = {p.field: (p.line, p.message) for p in plan_error(tmp_path).problems}
    assert problems["cufstudy.runs[0].notebook"] == (
        3,
        f"notebook 'notebooks/missing.ipynb' does not exist (in {tmp_path.resolve()})",
    )
    assert problems["cufstudy.runs[1].paramters"] == (5, "unknown key 'paramters' (did you mean 'parameters'?)")
    assert problems["cufstudy.runs[2].parameters.tier"][1] == "parameter 'tier': empty list; give at least one value"
    assert "must be a Python identifier" in problems["cufstudy.runs[2].parameters.2x"][1]
    assert problems["cufstudy.runs[2].parameters.mode"][1] == (
        "'every' needs a parameter with a vocabulary (known: partnership, tier)"
    )


def test_output_placeholder_must_be_a_parameter(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              parameters: {tier: [commune, region]}
              output: "_build/notebooks/{notebook}-{tiers}.ipynb"
        """,
    )
    (problem,) = plan_error(tmp_path).problems
    assert (problem.line, problem.field) == (5, "cufstudy.runs[0].output")
    assert problem.message.startswith("output placeholder {tiers} is not a parameter of this run (did you mean {tier}?")


def test_output_template_must_name_each_varying_parameter(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              parameters: {tier: [commune, region]}
              output: "_build/notebooks/{notebook}.ipynb"
        """,
    )
    (problem,) = plan_error(tmp_path).problems
    assert "has no {tier} placeholder, so the 2 runs of tier would all write the same file" in problem.message


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("../out/{notebook}.ipynb", "must be a path relative to the project root"),
        ("_build/{notebook}.html", "must end with .ipynb"),
        ("notebooks/{notebook}.ipynb", "would overwrite the source notebook"),
        ("_build/{notebook}.failed.ipynb", "reserved for failed and partial runs"),
        ("_build/{notebook", "invalid output template"),
        ("_build/{0}.ipynb", "must be a plain name"),
    ],
)
def test_bad_output_paths(tmp_path: Path, output: str, expected: str) -> None:
    make_project(
        tmp_path,
        f"""
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              output: "{output}"
        """,
    )
    (problem,) = plan_error(tmp_path).problems
    assert expected in problem.message


def test_two_runs_never_write_the_same_output(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              parameters: {tier: commune}
            - notebook: notebooks/a.ipynb
              parameters: {tier: region}
        """,
    )
    (problem,) = plan_error(tmp_path).problems
    assert (problem.line, problem.field) == (5, "cufstudy.runs[1]")
    assert problem.message.startswith(
        "two runs write '_build/notebooks/a.ipynb': a (tier=commune) (cufstudy.runs[0]) and a (tier=region)"
    )


def test_partnership_every_without_partnerships_makes_no_run_and_warns(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
            - notebook: notebooks/b.ipynb
              parameters: {partnership: every}
        """,
    )
    plan = load_plan(tmp_path)
    assert [r.stem for r in plan.runs] == ["a"]
    (warning,) = plan.warnings
    assert "cufstudy.runs[1].parameters.partnership: 'every' found no partnership; this entry makes no run" in warning


def test_partnership_every_lists_the_partnership_files(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              parameters: {partnership: every}
        """,
    )
    (tmp_path / "data" / "partnerships").mkdir()
    for name in ("rennes-sahel", "lyon-ouaga", ".hidden"):
        (tmp_path / "data" / "partnerships" / f"{name}.yaml").write_text("{}")
    plan = load_plan(tmp_path)
    assert [r.output for r in plan.runs] == [
        "_build/notebooks/a-lyon-ouaga.ipynb",
        "_build/notebooks/a-rennes-sahel.ipynb",
    ]


def test_a_resolver_can_be_passed_in(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              parameters: {partnership: [p1, p3]}
        """,
    )
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path, resolvers={"partnership": lambda data: ["p1", "p2"]})
    assert info.value.problems[0].message == "unknown partnership 'p3' (expected one of: p1, p2)"
    assert len(load_plan(tmp_path, resolvers={"partnership": lambda data: ["p1", "p3"]}).runs) == 2


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              notebook: notebooks/b.ipynb
        """,
    )
    (problem,) = plan_error(tmp_path).problems
    assert problem.line == 4 and "duplicate key 'notebook'" in problem.message


def test_a_project_without_plan(tmp_path: Path) -> None:
    make_project(tmp_path / "project", "project:\n  type: default\n")
    assert "no run plan" in str(plan_error(tmp_path / "project"))
    with pytest.raises(PlanError, match="not a cufstudy project"):
        load_plan(tmp_path)


def test_found_from_a_subfolder_and_other_cufstudy_keys_are_ignored(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          render: {engine: embedded}
          runs:
            - notebook: notebooks/a.ipynb
        """,
    )
    assert load_plan(tmp_path / "notebooks").root == tmp_path.resolve()


def test_select_by_notebook_stem(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
            - notebook: notebooks/b.ipynb
              parameters: {tier: [commune, epci]}
        """,
    )
    plan: Plan = load_plan(tmp_path)
    assert [r.output for r in plan.select(["b"]).runs] == [
        "_build/notebooks/b-commune.ipynb",
        "_build/notebooks/b-epci.ipynb",
    ]
    assert plan.select(None) is plan
    with pytest.raises(ArgumentError, match=r"^no notebook of the plan is named 'bb' \(did you mean 'b'\?\); notebooks: a, b$"):
        plan.select(["bb"])


def test_inputs_are_normalised_and_default_to_the_whole_data_folder(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              parameters: {tier: [commune, region]}
              inputs: [sdg/, ./partnerships/p1.yaml]
            - notebook: notebooks/b.ipynb
              inputs: []
        """,
        notebooks=("a", "b"),
    )
    (tmp_path / "data" / "sdg").mkdir()
    (tmp_path / "data" / "partnerships").mkdir()
    (tmp_path / "data" / "partnerships" / "p1.yaml").write_text("{}")
    plan = load_plan(tmp_path)
    assert [r.inputs for r in plan.runs] == [("sdg", "partnerships/p1.yaml")] * 2 + [()]
    make_project(tmp_path, "cufstudy:\n  runs:\n    - notebook: notebooks/a.ipynb\n")
    assert load_plan(tmp_path).runs[0].inputs is None


def test_bad_inputs_are_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          data: data
          runs:
            - notebook: notebooks/a.ipynb
              inputs:
                - ../secrets
                - /etc/passwd
                - sdgs
                - sdg
                - sdg/
                - .cache
                - sdg/../cases
            - notebook: notebooks/b.ipynb
              inputs: sdg
        """,
    )
    (tmp_path / "data" / "sdg").mkdir()
    monkeypatch.chdir(tmp_path)
    assert str(plan_error(tmp_path)) == (
        "the run plan in _quarto.yml has 7 problems\n"
        "  _quarto.yml:6: cufstudy.runs[0].inputs[0]: input '../secrets' must be a path relative to the data "
        "folder 'data', inside it\n"
        "  _quarto.yml:7: cufstudy.runs[0].inputs[1]: input '/etc/passwd' must be a path relative to the data "
        "folder 'data', inside it\n"
        "  _quarto.yml:8: cufstudy.runs[0].inputs[2]: input 'sdgs' does not exist in the data folder 'data' "
        "(did you mean 'sdg'?)\n"
        "  _quarto.yml:10: cufstudy.runs[0].inputs[4]: input 'sdg/' is listed twice\n"
        "  _quarto.yml:11: cufstudy.runs[0].inputs[5]: input '.cache' is hidden (a name starting with '.'): "
        "hidden files are never hashed\n"
        "  _quarto.yml:12: cufstudy.runs[0].inputs[6]: input 'sdg/../cases' must be a path relative to the data "
        "folder 'data', inside it\n"
        "  _quarto.yml:14: cufstudy.runs[1].inputs: expected a list of paths relative to the data folder, "
        "e.g. [sdg, partnerships]"
    )


def test_an_input_may_not_lead_outside_the_data_folder_through_a_link(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              inputs: [elsewhere, [sdg]]
        """,
    )
    (tmp_path / "outside").mkdir()
    (tmp_path / "data" / "elsewhere").symlink_to(tmp_path / "outside")
    (problem,) = plan_error(tmp_path).problems
    assert (problem.line, problem.field) == (4, "cufstudy.runs[0].inputs[1]")
    assert problem.message == "expected a path relative to the data folder (text)"
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              inputs: [elsewhere]
        """,
    )
    (problem,) = plan_error(tmp_path).problems
    assert (problem.line, problem.field) == (4, "cufstudy.runs[0].inputs[0]")
    assert problem.message == "input 'elsewhere' leads outside the data folder 'data' (a symbolic link)"


def test_an_input_may_be_a_packaged_default_the_project_does_not_override(tmp_path: Path) -> None:
    """typology.yaml of cufstudy's packaged data stands for the project's own until it has one."""
    make_project(
        tmp_path,
        """
        cufstudy:
          runs:
            - notebook: notebooks/a.ipynb
              inputs: [typology.yaml, organisation.yaml, typologie.yaml]
        """,
    )
    (problem,) = plan_error(tmp_path).problems
    assert problem.field == "cufstudy.runs[0].inputs[2]"
    assert problem.message.startswith("input 'typologie.yaml' does not exist in the data folder 'data'")
    (tmp_path / "data" / "typology.yaml").write_text("{}\n", encoding="utf-8")  # the project's own wins
    make_project(tmp_path, "cufstudy:\n  runs:\n    - notebook: notebooks/a.ipynb\n      inputs: [typology.yaml]\n")
    assert load_plan(tmp_path).runs[0].inputs == ("typology.yaml",)
