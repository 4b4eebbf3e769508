"""Notebooks that behave wherever they run: the project found from the data folder or the working folder, one
clear error outside it, no stray file, typed parameters for ``papermill --help-notebook``, invalid values
named with the valid ones; and a manual run that does not force re-rendering what did not change."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cufstudy.core.errors import ArgumentError, DataError
from cufstudy.model.vocab import TierGroup
from cufstudy.notebook import _root, choice, data_folder
from cufstudy.notebook.facts import facts_path, record
from cufstudy.pipeline.publish import render_deliverables

from .conftest import ROOT
from .fieldwork_helpers import copy_project
from .test_render import make_project

PAPERMILL = Path(sys.executable).with_name("papermill")
TIERS = "commune, epci, departement, region, statut_particulier"


@pytest.fixture(autouse=True)
def no_active_project() -> Any:
    saved = list(_root._active)
    _root._active.clear()
    yield
    _root._active[:] = saved


def _papermill(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CUFSTUDY_FACTS"}
    return subprocess.run(
        [str(PAPERMILL), *args, "--no-progress-bar"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_papermill_from_another_folder_without_the_project_says_how(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = _papermill(str(ROOT / "notebooks" / "suivi.ipynb"), "out.ipynb", cwd=elsewhere)
    assert proc.returncode != 0
    log = " ".join((proc.stdout + proc.stderr).split())
    assert "DataError: the notebook runs outside its cufstudy project" in log
    assert "papermill --cwd /path/to/project" in log and "-p data /path/to/project/data" in log
    assert sorted(p.name for p in elsewhere.iterdir()) == ["out.ipynb"]  # no stray _build/


def test_papermill_from_another_folder_with_the_data_folder(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "projet d'étude", dirs=["data", "notebooks"])
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    proc = _papermill(
        str(project / "notebooks" / "profil_niveau.ipynb"), "out.ipynb", "-p", "data", str(project / "data"),
        "-p", "tier", "region", cwd=elsewhere,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["out.ipynb"]  # no stray _build/facts.json here
    facts = json.loads((project / "_build" / "facts.json").read_text(encoding="utf-8"))["facts"]
    assert facts["niveau.region.n_cases"]["value"] >= 1  # written into the data folder's project


def test_papermill_invalid_parameter_names_the_valid_values(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p", dirs=["data", "notebooks"])
    proc = _papermill(str(project / "notebooks" / "profil_niveau.ipynb"), str(tmp_path / "o.ipynb"),
                      "-p", "tier", "regoin", cwd=project)  # fmt: skip
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert f"ArgumentError: parameter tier: got 'regoin', expected one of: {TIERS} (did you mean 'region'?)" in log
    assert "is not a valid TierGroup" not in log


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_help_notebook_shows_types_and_values(path: Path) -> None:
    proc = _papermill(str(path), "--help-notebook", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    shown = proc.stdout.split("Parameters inferred for notebook", 1)[1]
    assert "Unknown type" not in shown
    assert re.search(r'^  data: str \(default "data"\)\s+the data folder', shown, re.M), shown
    if path.stem == "profil_niveau":
        assert "tier: str (default \"commune\")" in shown and f"one of: {TIERS}" in shown


def test_choice() -> None:
    assert choice("tier", "epci", TierGroup) is TierGroup.EPCI
    assert choice("format", "pdf", ["html", "pdf"]) == "pdf"
    with pytest.raises(ArgumentError, match=r"^parameter tier: got 'Région', expected one of: " + TIERS) as info:
        choice("tier", "Région", TierGroup)
    assert info.value.param == "tier"
    with pytest.raises(ArgumentError, match=r"got 3, expected one of: html, pdf$"):
        choice("format", 3, ["html", "pdf"])


def test_data_folder_and_facts_follow_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUFSTUDY_FACTS", raising=False)
    project = copy_project(tmp_path / "Ville d'Aix-en-Provence", dirs=["data"])
    outside = tmp_path / "dehors"
    outside.mkdir()
    monkeypatch.chdir(outside)
    with pytest.raises(DataError, match="the notebook runs outside its cufstudy project"):
        facts_path()
    with pytest.raises(DataError, match=r"-p data /path/to/project/data"):
        data_folder("data")
    assert data_folder(project / "data") == project / "data"
    assert facts_path() == project.resolve() / "_build" / "facts.json"
    record("essai.n", 3, "Essai", display=False)
    assert not (outside / "_build").exists()
    monkeypatch.chdir(project / "data")  # JupyterLab: the kernel runs in a folder of the project
    _root._active.clear()
    assert data_folder("data") == project.resolve() / "data"


# -- a manual run keeps the render stamp --------------------------------------------------------------
def _rerun(notebook: Path, *, outputs_changed: bool = False) -> None:
    """What executing a notebook again to the same result changes: timings, timestamps, counts."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb["metadata"]["papermill"] = {"start_time": "2031-01-01T00:00:00", "duration": 9.9, "parameters": {}}
    for n, cell in enumerate(nb["cells"]):
        cell["metadata"]["execution"] = {"iopub.execute_input": f"2031-01-01T00:00:{n:02d}Z"}
        cell["metadata"]["papermill"] = {"duration": 0.01 * n, "status": "completed"}
        if cell["cell_type"] == "code":
            cell["execution_count"] = 40 + n
        if outputs_changed and cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "autre résultat\n"}]
    notebook.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")


def test_a_manual_run_to_the_same_result_keeps_the_deliverables(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    executed = root / "_build" / "notebooks" / "demo.ipynb"
    source = root / "notebooks" / "demo.ipynb"  # its source, stored without outputs
    source.parent.mkdir()
    nb = json.loads(executed.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    source.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    render_deliverables(root, ["study"], engine="pandoc", formats=["html"])

    _rerun(executed)  # cufstudy run --force, or papermill by hand, to the same result
    store = root / "_build" / "facts.json"
    facts = json.loads(store.read_text(encoding="utf-8"))
    store.write_text(json.dumps({"generated": "2031-01-01T00:00:00+00:00", **facts}), encoding="utf-8")
    assert render_deliverables(root, ["study"], engine="pandoc", formats=["html"]).reused == ("study",)
    _rerun(source, outputs_changed=True)  # "Run all" and save in JupyterLab: not what the deliverable embeds
    assert render_deliverables(root, ["study"], engine="pandoc", formats=["html"]).reused == ("study",)
    executed.write_bytes(executed.read_bytes().replace(b"| 12 |", b"| 13 |"))  # another result: rendered again
    assert render_deliverables(root, ["study"], engine="pandoc", formats=["html"]).reused == ()


def test_outputs_are_stripped_on_commit(tmp_path: Path) -> None:
    """What `make hooks` sets up: nbstripout as the clone's git filter, declared in .gitattributes."""
    nbstripout = Path(sys.executable).with_name("nbstripout")
    repo = tmp_path / "clone"
    (repo / "notebooks").mkdir(parents=True)
    git = ["git", "-C", str(repo), "-c", "user.name=Analyste", "-c", "user.email=analyste@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / ".gitattributes").write_text((ROOT / ".gitattributes").read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run([str(nbstripout), "--install", "--attributes", ".gitattributes"], cwd=repo, check=True)
    nb = json.loads((ROOT / "notebooks" / "suivi.ipynb").read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", []))
    code["execution_count"] = 3
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "4 MB of charts\n"}]
    (repo / "notebooks" / "suivi.ipynb").write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "suivi"], check=True)
    committed = json.loads(subprocess.run([*git, "show", "HEAD:notebooks/suivi.ipynb"], check=True,
                                          capture_output=True, text=True).stdout)  # fmt: skip
    cells = [c for c in committed["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in cells)
    assert [c["source"] for c in committed["cells"]] == [c["source"] for c in nb["cells"]]
    # the working copy keeps what the analyst saw
    assert "4 MB of charts" in (repo / "notebooks" / "suivi.ipynb").read_text(encoding="utf-8")
