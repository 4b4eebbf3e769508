"""A build killed with SIGKILL at any point keeps the previous deliverables and a consistent cache.

A copy of the default project is built once (the guide and the brochure). Builds are then started in a
new session and killed, with their whole process group, after 1 s (starting up, notebooks starting), after
5 s (notebooks executing) and during rendering (before and after the first deliverable is staged). After
each kill: the previous outputs are byte-identical, nothing half-written is left in ``_output/``, the
manifest and the facts store parse, and no kernel survives. The next build then succeeds and prints the same
documents. Two builds started at once do not interleave: one waits for the lock (and says so), or, with
``wait=False``, fails at once with :class:`~cufstudy.core.errors.LockError`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from cufstudy.cli import app
from cufstudy.core.errors import LockError
from cufstudy.core.project import FACTS, LOCK, MANIFEST
from cufstudy.pipeline.build import build
from cufstudy.pipeline.leaks import extract_text, normalise
from cufstudy.pipeline.manifest import Manifest
from cufstudy.render import pdf_page_count

from .conftest import copy_project

PROFILES = ["brochure", "guide"]
# the builds below pin the hash of the cufstudy source, so that someone editing the library meanwhile
# does not make every notebook run again (by design) and shift the kill points
BUILD = """
import sys
from pathlib import Path
import cufstudy.pipeline.cache
cufstudy.pipeline.cache._library_digest = lambda: "pinned"
from cufstudy.pipeline.build import build
build(Path(sys.argv[1]), {profiles!r}, engine="pandoc", workers=2, progress=False, force={force}, wait={wait})
print("built", flush=True)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, pinned_library: None) -> Path:
    root = copy_project(tmp_path_factory.mktemp("kill") / "project")
    build(root, PROFILES, engine="pandoc", workers=2, progress=False)
    return root


def start(root: Path, *, force: bool = False, wait: bool = True) -> subprocess.Popen[str]:
    code = BUILD.format(profiles=PROFILES, force=force, wait=wait)
    return subprocess.Popen(
        [sys.executable, "-c", code, str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: killed as a whole
    )


def kernels_of(pid: int) -> list[int]:
    """Jupyter kernels started by process ``pid`` (they run in their own session, outside its group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"JPY_PARENT_PID={pid}".encode() in environ:
            found.append(int(entry.name))
    return found


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the build's whole process group; its kernels must then exit on their own."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while kernels_of(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)  # a kernel polls its parent every second, and exits when it is gone
    survivors = kernels_of(proc.pid)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"kernels survived the killed build: {survivors}"


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the build ended before the kill point: {proc.communicate()}"
        assert time.monotonic() < deadline, "the kill point was never reached"
        time.sleep(0.02)


def outputs(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "_output").rglob("*")) if p.is_file()}


def check_consistent(root: Path, previous: dict[str, bytes]) -> None:
    assert outputs(root) == previous, "the previous deliverables changed"
    Manifest.model_validate_json((root / MANIFEST).read_text(encoding="utf-8"))
    assert json.loads((root / FACTS).read_text(encoding="utf-8"))["facts"]


def pdf_text(data: bytes, tmp: Path) -> str:
    tmp.write_bytes(data)
    return normalise(extract_text(tmp))


def test_a_killed_build_keeps_the_outputs_and_the_next_build_is_correct(project: Path, tmp_path: Path) -> None:
    previous = outputs(project)
    assert {"_output/brochure.pdf", "_output/guide.pdf", "_output/guide.html"} <= set(previous)
    facts = json.loads((project / FACTS).read_text(encoding="utf-8"))["facts"]
    render = project / "_build" / "render"

    def rendering() -> bool:
        return any(render.glob("build-*"))

    def staged() -> bool:
        return any(render.glob("build-*/staging/*/*"))

    points: list[tuple[str, bool, Callable[[], bool] | float]] = [
        ("after 1 s, starting", True, 1.0),
        ("after 5 s, notebooks executing", True, 5.0),
        # forced as well: after the kills above, an unforced build may find every notebook and every render stamp
        # unchanged (a notebook killed before it finished changes nothing) and end without rendering at all
        ("rendering", True, rendering),
        ("a deliverable staged", True, staged),
    ]
    for name, force, point in points:
        for folder in render.glob("build-*"):  # leftovers of the previous kill: not a kill point
            folder.rename(tmp_path / f"{folder.name}-{name[:5]}")
        proc = start(project, force=force)
        if isinstance(point, float):
            time.sleep(point)
            assert proc.poll() is None, f"{name}: the build ended before the kill"
        else:
            wait_for(point, proc, timeout=300)  # a forced build runs every notebook first
        kill(proc)
        check_consistent(project, previous)

    result = subprocess.run(
        [sys.executable, "-c", BUILD.format(profiles=PROFILES, force=False, wait=True), str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not list((project / "_output").rglob("*.tmp")) and not list((project / "_output").rglob(".*"))
    assert not list((project / "_build" / "notebooks").glob(".*.partial.ipynb"))  # cleaned by the next batch
    assert not any(render.glob("build-*")), "the work folder of the killed render is removed by the next build"
    assert json.loads((project / FACTS).read_text(encoding="utf-8"))["facts"] == facts
    Manifest.model_validate_json((project / MANIFEST).read_text(encoding="utf-8"))
    now = outputs(project)
    assert set(now) == set(previous)
    for name in ("_output/brochure.pdf", "_output/guide.pdf"):  # the same documents (only dates may differ)
        assert pdf_page_count(now[name]) == pdf_page_count(previous[name]), name
        assert pdf_text(now[name], tmp_path / "now.pdf") == pdf_text(previous[name], tmp_path / "before.pdf"), name


def test_two_builds_at_once_take_turns(project: Path) -> None:
    # forced: an up-to-date build is over in a second, and the two might not overlap at all
    first, second = start(project, force=True), start(project, force=True)
    results = [proc.communicate(timeout=300) for proc in (first, second)]
    assert [proc.returncode for proc in (first, second)] == [0, 0], results
    waited = [err for _, err in results if "another cufstudy run/build is running" in err]
    assert len(waited) == 1, results
    assert "; waiting" in waited[0]
    assert all(out.strip() == "built" for out, _ in results)
    assert len(PdfReader(project / "_output" / "brochure.pdf").pages) == 4
    Manifest.model_validate_json((project / MANIFEST).read_text(encoding="utf-8"))


def test_a_build_that_must_not_wait_fails_at_once(project: Path) -> None:
    holder = start(project, force=True)  # forced: it holds the lock long enough for both attempts
    try:
        lock = project / LOCK
        wait_for(lambda: lock.is_file() and lock.read_text().strip() == str(holder.pid), holder)
        started = time.perf_counter()
        with pytest.raises(LockError, match=rf"another cufstudy run/build is running \(pid {holder.pid}\)"):
            build(project, PROFILES, engine="pandoc", progress=False, wait=False)
        result = CliRunner().invoke(app, ["build", "--project", str(project), "--no-wait", "--no-progress"])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
        assert f"another cufstudy run/build is running (pid {holder.pid}); lock file" in result.stderr
        assert time.perf_counter() - started < 5
    finally:
        _, err = holder.communicate(timeout=300)
    assert holder.returncode == 0, err


SWAP_BUILD = """
import sys, time
from pathlib import Path
import cufstudy.pipeline.cache
cufstudy.pipeline.cache._library_digest = lambda: "pinned"
import cufstudy.pipeline._swap as swap
real = swap._replace
done = []
def replace(src, dst):  # the first rename of the swap, then a pause the test kills the build in
    real(src, dst)
    done.append(dst)
    if len(done) == 1:
        Path(sys.argv[2]).write_text(str(dst))
        time.sleep(120)
swap._replace = replace
from cufstudy.pipeline.build import build
build(Path(sys.argv[1]), {profiles!r}, engine="pandoc", workers=2, progress=False)
"""
ADDED = "Une phrase ajoutée pour reconnaître la nouvelle version."


def test_a_kill_between_the_files_of_a_deliverable_leaves_one_set(project: Path, tmp_path: Path) -> None:
    """Killed between two renames of the publication: the next build finishes the swap from the journal, so
    every file of the deliverable is new (none old beside a new one); killed before it, all stay old."""
    from cufstudy.pipeline._swap import JOURNAL
    from cufstudy.pipeline.publish import recover_publication

    main = project / "reports" / "guide" / "guide.qmd"
    original = main.read_text(encoding="utf-8")
    previous = outputs(project)
    marker = tmp_path / "swapped"
    try:
        # inside the first chapter's first paragraph: a paragraph of its own before the chapter would make a
        # page of its own (a page under-filled for the preflight, and one page too many for the guide's rule)
        assert "\nCe guide s'adresse aux élus" in original
        main.write_text(original.replace("\nCe guide s'adresse aux élus", f"\n{ADDED} Ce guide s'adresse aux élus", 1), encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-c", SWAP_BUILD.format(profiles=["guide"]), str(project), str(marker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        wait_for(lambda: marker.exists() and bool(marker.read_text()), proc, timeout=240)
        kill(proc)
        first = Path(marker.read_text())
        now = outputs(project)
        changed = sorted(name for name in now if now[name] != previous.get(name) and not Path(name).name.startswith("."))
        assert changed == [str(first.relative_to(project))], changed  # one file swapped: the state to repair
        staged = sorted(Path(name).name for name in now if Path(name).name.startswith("."))
        assert staged == [JOURNAL, *sorted(f".guide.{ext}.new" for ext in ("html", "pdf", "docx") if ext != first.suffix[1:])]
        assert (project / "_output" / JOURNAL).is_file()

        assert recover_publication(project) is True  # what the next build (or cufstudy check) does first
        assert not (project / "_output" / JOURNAL).exists()
        assert not [p for p in (project / "_output").rglob(".*")]
        now = outputs(project)
        for ext in ("html", "pdf", "docx"):
            name = f"_output/guide.{ext}"
            assert now[name] != previous[name], f"{name} is still the old one"
            text = " ".join(normalise(extract_text(project / name)).split())
            assert normalise(ADDED) in text, name
        assert {k: v for k, v in now.items() if "guide" not in k} == {
            k: v for k, v in previous.items() if "guide" not in k
        }
    finally:
        main.write_text(original, encoding="utf-8")
