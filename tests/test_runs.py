"""Batch execution with Papermill: real executions of tiny notebooks in a project under ``tmp_path``.

One cold run builds a project (4 runs); each test starts from a copy of it.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest
from typer.testing import CliRunner

import cufstudy.pipeline.cache
from cufstudy.cli import app
from cufstudy.core.errors import FactError, LockError, PlanError
from cufstudy.core.project import LOCK, MANIFEST
from cufstudy.notebook.facts import make_fact, merge_facts
from cufstudy.pipeline.lock import project_lock
from cufstudy.pipeline.runs import RunReport, run

PLAN = """\
project:
  type: default
cufstudy:
  data: data
  runs:
    - notebook: notebooks/alpha.ipynb
    - notebook: notebooks/beta.ipynb
      parameters:
        tier: [commune, region]
    - notebook: notebooks/gamma.ipynb
"""

ALPHA = [
    "import pathlib, sys\nfrom cufstudy.notebook.facts import record",
    "n = len(pathlib.Path('data/cases.csv').read_text().splitlines())",
    "record('alpha.n', n, 'Lignes')\nrecord('alpha.python', sys.executable, 'Python du noyau')",
]
BETA = ["from cufstudy.notebook.facts import record", "record(f'beta.{tier}.len', len(tier), 'Longueur')"]
GAMMA = ["x = 1", "y = 2", "z = x + y", "from cufstudy.notebook.facts import record\nrecord('gamma.z', z, 'Somme')"]


def write_notebook(path: Path, cells: list[str], parameters: str = "tier = 'commune'") -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(source) for source in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def make_project(root: Path, plan: str = PLAN) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "cases.csv").write_text("id,tier\nc1,commune\nc2,region\n")
    (root / "data" / ".hidden").write_text("ignored")
    write_notebook(root / "notebooks" / "alpha.ipynb", ALPHA)
    write_notebook(root / "notebooks" / "beta.ipynb", BETA)
    write_notebook(root / "notebooks" / "gamma.ipynb", GAMMA)
    (root / "_quarto.yml").write_text(plan)
    return root


def manifest(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / MANIFEST).read_text())["runs"]
    return data


def facts(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "_build" / "facts.json").read_text())["facts"]
    return data


def statuses(report: RunReport) -> dict[str, tuple[str, str]]:
    return {r.run.output.removeprefix("_build/notebooks/"): (r.status, r.reason) for r in report.results}


@pytest.fixture(scope="module", autouse=True)
def pinned_library() -> Iterator[None]:
    """Pin the hash of the cufstudy source, so that an edit of the library during the session
    (it re-runs every notebook, by design) does not change what these tests expect."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cufstudy.pipeline.cache, "_library_digest", lambda: "pinned")
        yield


@pytest.fixture(scope="module")
def cold(tmp_path_factory: pytest.TempPathFactory, pinned_library: None) -> tuple[Path, RunReport]:
    root = make_project(tmp_path_factory.mktemp("cold"))
    return root, run(root, workers=2, progress=False)


@pytest.fixture
def project(cold: tuple[Path, RunReport], tmp_path: Path) -> Path:
    """A copy of the cold-run project (outputs, manifest and facts included, mtimes kept)."""
    return Path(shutil.copytree(cold[0], tmp_path / "project", symlinks=True))


@pytest.fixture
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("papermill.execute_notebook was called")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


def test_cold_run_executes_every_run_and_merges_facts(cold: tuple[Path, RunReport]) -> None:
    root, report = cold
    assert statuses(report) == {
        "alpha.ipynb": ("ok", "new"),
        "beta-commune.ipynb": ("ok", "new"),
        "beta-region.ipynb": ("ok", "new"),
        "gamma.ipynb": ("ok", "new"),
    }
    assert report.summary() == "4 runs: 4 executed, 0 skipped (unchanged), 0 failed"
    found = facts(root)
    assert found["alpha.n"]["value"] == 3
    assert found["beta.region.len"]["value"] == 6
    # the kernel is the Python of this environment, and runs in the project root
    assert Path(found["alpha.python"]["value"]).parent == Path(sys.executable).parent
    entry = manifest(root)["_build/notebooks/beta-region.ipynb"]
    assert (entry["notebook"], entry["parameters"], entry["status"]) == (
        "notebooks/beta.ipynb",
        {"tier": "region"},
        "ok",
    )
    assert len(entry["key"]) == 64 and entry["duration"] > 0
    # the source notebooks are untouched (no outputs written into them)
    assert all(not c.get("outputs") for c in json.loads((root / "notebooks" / "alpha.ipynb").read_text())["cells"])
    assert not list((root / "_build" / "notebooks").glob(".*"))


def test_second_run_executes_nothing_and_says_so(project: Path, no_kernel: None) -> None:
    result = CliRunner().invoke(app, ["run", "--project", str(project), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "nothing to do: all 4 runs are up to date" in result.output
    assert {e["status"] for e in manifest(project).values()} == {"skipped"}


def test_no_op_ignores_outputs_and_save_metadata_of_the_source(project: Path, no_kernel: None) -> None:
    path = project / "notebooks" / "alpha.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].execution_count = 7
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="stale\n")]
    nb.cells[1].metadata["execution"] = {"iopub.status.busy": "2024-01-01"}
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, path)
    (project / "data" / ".hidden").write_text("changed, but hidden")
    assert run(project, progress=False).summary() == "nothing to do: all 4 runs are up to date"


def test_editing_a_data_file_reruns_every_run(project: Path) -> None:
    with (project / "data" / "cases.csv").open("a") as fh:
        fh.write("c3,epci\n")
    report = run(project, workers=2, progress=False)
    assert {r.status for r in report.results} == {"ok"}
    assert {r.reason for r in report.results} == {"data changed"}
    assert facts(project)["alpha.n"]["value"] == 4


DELTA = [
    "import pathlib\nfrom cufstudy.notebook.facts import record",
    "record('delta.goals', len(pathlib.Path('data/sdg/goals.csv').read_text().splitlines()), 'Objectifs')",
]


def test_a_run_with_inputs_reruns_only_when_they_change(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    plan = (
        PLAN.split("    - notebook: notebooks/beta")[0] + "    - notebook: notebooks/delta.ipynb\n      inputs: [sdg]\n"
    )
    root = make_project(tmp_path, plan)
    (root / "data" / "sdg").mkdir()
    (root / "data" / "sdg" / "goals.csv").write_text("goal\n1\n2\n")
    write_notebook(root / "notebooks" / "delta.ipynb", DELTA)
    assert statuses(run(root, workers=2, progress=False)) == {
        "alpha.ipynb": ("ok", "new"),
        "delta.ipynb": ("ok", "new"),
    }
    parts = {k.removeprefix("_build/notebooks/"): e["parts"] for k, e in manifest(root).items()}
    assert (
        parts["alpha.ipynb"]["data"] == cufstudy.pipeline.cache._data_digest(root / "data", {})[0]
    )  # the whole folder
    assert "inputs" not in parts["alpha.ipynb"] and parts["delta.ipynb"]["inputs"] == '["sdg"]'

    # a file outside the inputs: only the run reading the whole data folder executes
    with (root / "data" / "cases.csv").open("a") as fh:
        fh.write("c3,epci\n")
    assert statuses(run(root, progress=False)) == {
        "alpha.ipynb": ("ok", "data changed"),
        "delta.ipynb": ("skipped", "unchanged"),
    }

    # a file of the inputs: both
    with (root / "data" / "sdg" / "goals.csv").open("a") as fh:
        fh.write("3\n")
    assert statuses(run(root, workers=2, progress=False)) == {
        "alpha.ipynb": ("ok", "data changed"),
        "delta.ipynb": ("ok", "data changed"),
    }
    assert facts(root)["delta.goals"]["value"] == 4

    # declaring other inputs re-runs the run, for that reason only (no kernel: it fails)
    (root / "_quarto.yml").write_text(plan.replace("[sdg]", "[sdg, cases.csv]"))
    request.getfixturevalue("no_kernel")
    assert statuses(run(root, progress=False)) == {
        "alpha.ipynb": ("skipped", "unchanged"),
        "delta.ipynb": ("failed", "inputs changed"),
    }


class CountingExecutor(ProcessPoolExecutor):
    """A process pool (so the work unit must pickle) that counts what it is given."""

    def __init__(self) -> None:
        super().__init__(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
        self.submitted: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted.append(Path(args[1]).name)
        return super().submit(fn, *args, **kwargs)


def test_editing_a_notebook_reruns_only_its_runs_on_a_custom_executor(project: Path) -> None:
    path = project / "notebooks" / "beta.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("record(f'beta.{tier}.upper', tier.upper(), 'Majuscules')"))
    nbformat.write(nb, path)
    with CountingExecutor() as executor:
        report = run(project, executor=executor, progress=False)
    assert sorted(executor.submitted) == ["beta-commune.ipynb", "beta-region.ipynb"]
    assert statuses(report) == {
        "alpha.ipynb": ("skipped", "unchanged"),
        "beta-commune.ipynb": ("ok", "notebook changed"),
        "beta-region.ipynb": ("ok", "notebook changed"),
        "gamma.ipynb": ("skipped", "unchanged"),
    }
    merged = facts(project)
    assert merged["beta.region.upper"]["value"] == "REGION"
    assert merged["alpha.n"]["value"] == 3  # facts of skipped runs are kept


def test_a_failing_run_keeps_the_last_good_output_and_the_others_complete(project: Path) -> None:
    good = project / "_build" / "notebooks" / "gamma.ipynb"
    before = good.read_bytes()
    path = project / "notebooks" / "gamma.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source = "raise ValueError('z is wrong')"  # cell 3 (0-based, the parameters cell is 0)
    nbformat.write(nb, path)

    result = CliRunner().invoke(app, ["run", "--project", str(project), "--force", "-j", "2", "--no-progress"])

    assert result.exit_code == 1
    assert "4 runs: 3 executed, 0 skipped (unchanged), 1 failed" in result.output
    assert "notebooks/gamma.ipynb (no parameters): cell 3 (In [4]): ValueError: z is wrong" in result.output
    entries = manifest(project)
    failure = entries["_build/notebooks/gamma.ipynb"]["failure"]
    assert entries["_build/notebooks/gamma.ipynb"]["status"] == "failed"
    assert (failure["cell_index"], failure["ename"], failure["evalue"]) == (3, "ValueError", "z is wrong")
    assert failure["failed_output"] == "_build/notebooks/gamma.failed.ipynb"
    assert {k: e["status"] for k, e in entries.items() if "gamma" not in k} == dict.fromkeys(
        ["_build/notebooks/alpha.ipynb", "_build/notebooks/beta-commune.ipynb", "_build/notebooks/beta-region.ipynb"],
        "ok",
    )
    assert good.read_bytes() == before
    banner = (project / "_build" / "notebooks" / "gamma.failed.ipynb").read_text()
    assert "An Exception was encountered" in banner and "z is wrong" in banner
    merged = facts(project)
    assert "gamma.z" not in merged and "alpha.n" in merged  # facts of a failed run are not merged

    # a failed run is retried next time even if nothing changed; the others are not
    report = run(project, only=["gamma"], progress=False)
    assert [r.reason for r in report.results] == ["failed last time"]


def test_an_unknown_tier_fails_before_any_kernel_starts(tmp_path: Path, no_kernel: None) -> None:
    root = make_project(tmp_path, PLAN.replace("[commune, region]", "[commune, regoin]"))
    with pytest.raises(PlanError) as info:
        run(root, progress=False)
    (problem,) = info.value.problems
    assert problem.file == str(root / "_quarto.yml")
    assert (problem.line, problem.field) == (9, "cufstudy.runs[1].parameters.tier[1]")
    assert "did you mean 'region'" in problem.message
    result = CliRunner().invoke(app, ["run", "--project", str(root)])
    assert result.exit_code == 1
    assert "_quarto.yml:9: cufstudy.runs[1].parameters.tier[1]: unknown tier 'regoin'" in result.output
    assert not (root / "_build").exists()


def test_an_edit_of_the_library_reruns_everything_and_a_crash_keeps_the_outputs(
    project: Path, no_kernel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = {p: p.read_bytes() for p in (project / "_build" / "notebooks").glob("*.ipynb")}
    monkeypatch.setattr(cufstudy.pipeline.cache, "_library_digest", lambda: "edited")
    report = run(project, progress=False)
    assert {(r.status, r.reason) for r in report.results} == {("failed", "cufstudy changed")}
    assert {r.failure.ename for r in report.results if r.failure} == {"AssertionError"}
    assert {p: p.read_bytes() for p in (project / "_build" / "notebooks").glob("*.ipynb")} == outputs


def test_leftovers_of_a_killed_batch_are_removed(project: Path, no_kernel: None) -> None:
    orphan = project / "_build" / "notebooks" / ".alpha.x1y2.partial.ipynb"
    orphan.write_text("{half")
    run(project, progress=False)
    assert not orphan.exists()


def _hold_lock(root: Path, seconds: float) -> subprocess.Popen[str]:
    code = textwrap.dedent(f"""
        import fcntl, os, sys, time
        fd = os.open({str(root / LOCK)!r}, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0); os.write(fd, str(os.getpid()).encode())
        print("locked", flush=True)
        time.sleep({seconds})
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


def test_a_second_batch_waits_for_the_lock_or_fails_with_no_wait(
    project: Path, no_kernel: None, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = _hold_lock(project, 1.0)
    try:
        with pytest.raises(LockError, match=f"another cufstudy run/build is running \\(pid {holder.pid}\\)"):
            run(project, progress=False, wait=False)
        start = time.perf_counter()
        assert run(project, progress=False).skipped
        assert time.perf_counter() - start > 0.3
        assert f"(pid {holder.pid}); waiting" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    with project_lock(project), project_lock(project):  # re-entrant within one process tree
        pass


def test_the_same_fact_with_two_values_names_both_runs() -> None:
    with pytest.raises(FactError) as info:
        merge_facts(
            [
                ("beta (tier=commune)", [make_fact("n_cas", 3, "Cas")]),
                ("beta (tier=region)", [make_fact("n_cas", 5, "Cas"), make_fact("other", 1, "Autre")]),
            ]
        )
    assert "fact 'n_cas' is '3' in beta (tier=commune) but '5' in beta (tier=region)" in str(info.value)
    assert set(merge_facts([("a", [make_fact("n", 1, "N")]), ("b", [make_fact("n", 1, "N")])])) == {"n"}


CHILD_RUN = """
import sys
import cufstudy.pipeline.cache
cufstudy.pipeline.cache._library_digest = lambda: "pinned"
from cufstudy.pipeline.runs import run
print(run(sys.argv[1], progress=False, wait=False).summary())
"""


def test_only_quartos_pre_render_child_of_the_lock_holder_runs_under_its_lock(project: Path) -> None:
    """The one handshake: ``cufstudy build --engine quarto`` holds the lock while Quarto's pre-render step runs
    ``cufstudy run`` in a child process; the token it passes (and only a true one) lets that child proceed."""
    import os

    from cufstudy.pipeline.lock import LOCK_ENV, child_environment

    def child(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if k != LOCK_ENV}
        return subprocess.run(
            [sys.executable, "-c", CHILD_RUN, str(project)],
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    with project_lock(project):
        token = child_environment(project)
        ok = child(token)
        assert ok.returncode == 0, ok.stderr
        assert "nothing to do: all 4 runs are up to date" in ok.stdout
        for forged in (
            {},  # no token: an ordinary second run
            {LOCK_ENV: "1" + token[LOCK_ENV][token[LOCK_ENV].index(":") :]},  # another process's pid
            {LOCK_ENV: token[LOCK_ENV].replace(str(project.resolve()), str(project.parent))},  # another lock file
        ):
            refused = child(forged)
            assert refused.returncode == 1, forged
            assert f"another cufstudy run/build is running (pid {os.getpid()})" in refused.stderr
    # the lock released, a leftover token in a shell does not let a run skip the lock: it just takes it
    stale = child(token)
    assert stale.returncode == 0 and "nothing to do" in stale.stdout
