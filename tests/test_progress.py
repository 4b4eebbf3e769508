"""Progress through the whole build: every file of every deliverable reported rendered, checked and published
(or up to date, or failed) to one observer; the plain log has one line per step; the live display counts."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from cufstudy.core.errors import LayoutError
from cufstudy.pipeline.manifest import RunResult
from cufstudy.pipeline.plan import Run
from cufstudy.pipeline.progress import FileState, LiveTable, PlainLog, Progress
from cufstudy.pipeline.publish import render_deliverables

from .test_render import make_project


class Recorder(Progress):
    def __init__(self) -> None:
        self.events: list[tuple[str, str, FileState]] = []

    def file(
        self, deliverable: str, name: str, state: FileState, seconds: float | None = None, detail: str = ""
    ) -> None:
        self.events.append((deliverable, name, state))

    def states(self, name: str) -> list[FileState]:
        return [state for _, n, state in self.events if n == name]


def test_every_file_is_rendered_checked_and_published(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    seen = Recorder()
    render_deliverables(root, ["brochure", "study"], engine="pandoc", observer=seen)
    for name in ("study.html", "study.pdf", "study.docx", "brochure.pdf"):
        assert seen.states(name) == ["queued", "rendering", "rendered", "checking", "checked", "published"], name
    # the formats of a deliverable are reported one by one, as each is rendered
    assert {d for d, _, _ in seen.events} == {"brochure", "study"}

    again = Recorder()
    render_deliverables(root, ["brochure", "study"], engine="pandoc", observer=again)
    assert sorted(again.events) == sorted(
        [("brochure", "brochure.pdf", "reused")] + [("study", f"study.{e}", "reused") for e in ("html", "pdf", "docx")]
    )


def test_a_failed_check_is_reported_failed(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    rule = root / "_quarto-brochure.yml"
    rule.write_text(rule.read_text(encoding="utf-8").replace("exact: 1", "exact: 9"), encoding="utf-8")
    seen = Recorder()
    with pytest.raises(LayoutError):
        render_deliverables(root, ["brochure"], engine="pandoc", observer=seen)
    assert seen.states("brochure.pdf")[-1] == "failed"
    assert "published" not in seen.states("brochure.pdf")


def test_plain_log_one_line_per_step(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    stream = io.StringIO()
    render_deliverables(root, ["study"], engine="pandoc", formats=["html", "pdf"], observer=PlainLog(stream))
    lines = stream.getvalue().splitlines()
    for name in ("study.html", "study.pdf"):
        steps = [line.split()[0] for line in lines if line.endswith(name) or f"{name}  " in line]
        assert steps == ["rendered", "checked", "published"], lines
    assert any(line.startswith("published") and "_output/study.html" in line for line in lines)


def _run(n: int) -> Run:
    return Run(index=0, notebook="nb.ipynb", parameters={"tier": f"t{n}"}, output=f"_build/notebooks/nb-{n}.ipynb")


def test_live_table_counts_runs_and_files() -> None:
    table = LiveTable(io.StringIO())
    runs = [_run(n) for n in range(3)]
    for run in runs:
        table.queued(run)
    table.running(runs[0])
    table.finished(RunResult(runs[0], "ok", "new", 1.5))
    table.finished(RunResult(runs[1], "skipped", "unchanged", 1.0))
    table.file("guide", "guide.html", "queued")
    table.file("guide", "guide.pdf", "reused")
    table.file("guide", "guide.html", "rendering")
    assert table.summary(now=table.started + 12.34) == "runs 2/3 · files 1/2 · 12.3 s"
    table.file("guide", "guide.html", "rendered", 0.8)
    table.file("guide", "guide.html", "published")
    assert table.summary(now=table.started + 20).startswith("runs 2/3 · files 2/2")
    rendered: Any = table.__rich__()
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=100).print(rendered)
    text = out.getvalue()
    assert "guide.html" in text and "up to date" in text and "runs 2/3 · files 2/2" in text
