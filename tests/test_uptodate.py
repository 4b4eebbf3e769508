"""The fast answer of a build with nothing to do (cufstudy.pipeline.uptodate): anything changed, and it stands aside."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from cufstudy.pipeline import uptodate
from cufstudy.pipeline.uptodate import RECORD_NAME, SETTLE_NS, answer, record

from .conftest import copy_project

ARGV = ["build", "--no-progress"]
REPORT = "nothing to do: all 2 runs are up to date\n  _output/étude d’été.pdf (10 KiB, 4 pages, unchanged)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "Étude de l’Aude-Hauts"
    for name, text in {
        "_quarto.yml": "project:\n  type: default\n",
        "data/cases/ville-d-aix.yaml": "name: Ville d’Aix-en-Provence\n",
        "reports/study.qmd": "# Étude\n",
        "_output/study.pdf": "%PDF-1.7 fake\n",
        "_build/manifest.json": "{}",
        "../library/cufstudy/__init__.py": "",
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    old = time.time_ns() - 10 * SETTLE_NS
    for path in tmp_path.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(old, old))
    monkeypatch.setattr(uptodate, "_LIBRARY", tmp_path / "library" / "cufstudy")  # not this checkout's
    monkeypatch.chdir(root)
    return root


def _answer(argv: list[str] = ARGV) -> tuple[bool, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return answer(argv, out, err), out.getvalue(), err.getvalue()


def _recorded(root: Path, argv: list[str] = ARGV) -> None:
    assert record(argv, root, REPORT, time.time_ns())
    assert (root / "_build" / RECORD_NAME).is_file()


def test_an_unchanged_project_is_answered_with_the_recorded_report(project: Path) -> None:
    _recorded(project)
    ok, out, err = _answer()
    assert ok
    assert out.startswith(REPORT) and "build finished in" in out.splitlines()[-1]
    assert "nothing changed since the last build" in err
    # the display options change nothing built; from a folder below the project too
    assert _answer(["build"])[0]
    os.chdir(project / "reports")
    assert _answer(["build", "--no-wait"])[0]


@pytest.mark.parametrize(
    "change",
    [
        "a case edited, same size, one nanosecond later",
        "a case added",
        "a case removed",
        "a published output deleted",
        "a notebook added in a hidden-looking folder name",
        "a setting of the environment",
        "PATH",
        "the library",
    ],
)
def test_any_change_lets_the_build_run(project: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    _recorded(project)
    case = project / "data/cases/ville-d-aix.yaml"
    if change.startswith("a case edited"):
        st = case.stat()
        case.write_text("name: Ville d’Aix-en-Provencf\n", encoding="utf-8")
        os.utime(case, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
        assert case.stat().st_size == st.st_size
    elif change == "a case added":
        (project / "data/cases/saint-étienne.yaml").write_text("name: Saint-Étienne\n", encoding="utf-8")
    elif change == "a case removed":
        case.unlink()
    elif change == "a published output deleted":
        (project / "_output/study.pdf").unlink()
    elif change.startswith("a notebook added"):
        (project / "notebooks").mkdir()
        (project / "notebooks/.draft.ipynb").write_text("{}", encoding="utf-8")
    elif change == "a setting of the environment":
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    elif change == "PATH":
        monkeypatch.setenv("PATH", f"/opt/another-quarto/bin:{os.environ.get('PATH', '')}")
    else:
        (project.parent / "library/cufstudy/__init__.py").write_text('"""Édition 2"""\n', encoding="utf-8")
    assert _answer() == (False, "", "")


@pytest.mark.parametrize("argv", [["build", "study"], ["build", "--force"], ["build", "--to", "pdf"], ["run"]])
def test_another_command_line_is_not_answered(project: Path, argv: list[str]) -> None:
    _recorded(project)
    assert _answer(argv) == (False, "", "")


def test_what_happens_in_the_build_folder_does_not_count(project: Path) -> None:
    _recorded(project)
    (project / "_build/manifest.json").write_text('{"runs": {}}', encoding="utf-8")
    assert _answer()[0]


def test_a_file_modified_just_before_the_build_started_is_not_trusted(project: Path) -> None:
    case = project / "data/cases/ville-d-aix.yaml"
    started = time.time_ns()
    os.utime(case, ns=(started - SETTLE_NS // 2, started - SETTLE_NS // 2))
    assert not record(ARGV, project, REPORT, started)
    assert not (project / "_build" / RECORD_NAME).exists()
    assert _answer() == (False, "", "")


def test_a_build_holding_the_lock_is_waited_for(project: Path) -> None:
    _recorded(project)
    with FileLock(str(project / "_build" / ".lock")):
        assert _answer() == (False, "", "")
    assert _answer()[0]


def test_a_damaged_record_is_ignored(project: Path) -> None:
    _recorded(project)
    (project / "_build" / RECORD_NAME).write_text('{"version": 1, "stdout": ', encoding="utf-8")
    assert _answer() == (False, "", "")
    uptodate.forget(project)
    assert not (project / "_build" / RECORD_NAME).exists()


def test_the_console_script_answers_without_loading_the_library(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uptodate, "_LIBRARY", Path(uptodate.__file__).resolve().parents[1])  # the child's
    _recorded(project)
    probe = (
        "import sys; sys.argv = ['cufstudy', 'build', '--no-progress']; from cufstudy.cli import main; main(); "
        "print('cufstudy.pipeline.build' in sys.modules, 'pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, check=True)
    assert done.stdout.startswith(REPORT)
    assert done.stdout.splitlines()[-1] == "False False"


def test_a_data_folder_outside_the_project_is_watched_too(project: Path) -> None:
    data = project.parent / "données partagées"
    (data / "cases").mkdir(parents=True)
    case = data / "cases" / "l-haÿ-les-roses.yaml"
    case.write_text("name: L’Haÿ-les-Roses\n", encoding="utf-8")
    old = time.time_ns() - 10 * SETTLE_NS
    os.utime(case, ns=(old, old))
    assert record(ARGV, project, REPORT, time.time_ns(), extra=[data])
    assert _answer()[0]
    case.write_text("name: L’Haÿ-les-Roses (94)\n", encoding="utf-8")
    assert _answer() == (False, "", "")


def test_what_the_build_wrote_is_trusted_and_what_it_read_is_not(project: Path) -> None:
    started = time.time_ns()
    # the build published its output and installed its extension a moment ago: its own dates
    (project / "_extensions/cufstudy").mkdir(parents=True)
    (project / "_extensions/cufstudy/_extension.yml").write_text("title: cufstudy\n", encoding="utf-8")
    (project / "_output/study.pdf").write_text("%PDF-1.7 rendered again\n", encoding="utf-8")
    written = [project / "_output", project / "_extensions/cufstudy"]
    assert record(ARGV, project, REPORT, started, written=written)
    assert _answer()[0]
    # a case saved while the build ran: the build may have read it before, or in the middle of the edit
    case = project / "data/cases/ville-d-aix.yaml"
    os.utime(case, ns=(started + 1, started + 1))
    assert not record(ARGV, project, REPORT, started, written=written)
    assert not (project / "_build" / RECORD_NAME).exists()
    assert _answer() == (False, "", "")


def test_a_forced_build_records_for_the_next_plain_one(project: Path) -> None:
    assert record(["build", "--force", "--no-progress"], project, REPORT, time.time_ns())
    assert _answer(["build"])[0]
    assert _answer(["build", "--force"]) == (False, "", "")  # --force always builds


def _cli(root: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; sys.argv[0] = 'cufstudy'; from cufstudy.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=root, capture_output=True, text=True, check=True)


def test_a_build_that_did_something_records_what_it_prints_when_run_again(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "Étude d’été")
    old = time.time_ns() - 10 * SETTLE_NS
    for path in root.rglob("*"):
        os.utime(path, ns=(old, old))
    argv = ["build", "brochure", "--to", "pdf", "--no-progress"]
    built = _cli(root, argv)
    assert "built 1 file(s) with the pandoc engine in" in built.stdout
    recorded = json.loads((root / "_build" / RECORD_NAME).read_text(encoding="utf-8"))["stdout"]
    assert "up to date" in recorded and "brochure.pdf" in recorded and "in 0." not in recorded
    # the same build with the record removed checks contents: it prints what was recorded (and records it)
    (root / "_build" / RECORD_NAME).unlink()
    full = _cli(root, argv)
    assert "nothing changed since the last build" not in full.stderr
    assert full.stdout.startswith(recorded) and full.stdout.removeprefix(recorded).startswith("build finished in")
    fast = _cli(root, argv)
    assert "nothing changed since the last build" in fast.stderr
    assert fast.stdout.startswith(recorded)
