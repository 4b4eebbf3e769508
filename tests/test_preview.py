"""``cufstudy preview``: the page served on localhost, reloaded after a save (the reload signal read on the
event stream by a real HTTP client), errors over the page without stopping the server, only what a change
needs re-run, nothing written to ``_output/``, a clean stop that frees the port."""

from __future__ import annotations

import http.client
import io
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cufstudy.cli import EXIT_USAGE, app
from cufstudy.core.errors import ArgumentError
from cufstudy.pipeline._livereload import EVENTS_PATH, STATUS_PATH
from cufstudy.pipeline.preview import PreviewSession

from .test_render import make_project as make_render_project
from .test_runs import write_notebook

TIMEOUT = 60


class Events:
    """A browser tab's event stream: a real HTTP connection to the running server, read in a thread."""

    def __init__(self, port: int, version: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.conn.request("GET", f"{EVENTS_PATH}?v={version}")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")
        self.events: list[tuple[str, str]] = []
        self.arrived = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        name, data = "message", ""
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    with self.arrived:
                        self.events.append((name, data))
                        self.arrived.notify_all()
                    name, data = "message", ""
        except (OSError, ValueError):
            return

    def wait(self, name: str, count: int = 1) -> list[str]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: sum(n == name for n, _ in self.events) >= count, TIMEOUT), self.events
            return [d for n, d in self.events if n == name]

    def close(self) -> None:
        self.conn.close()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        return str(response.read().decode("utf-8"))


def _status(session: PreviewSession) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_get(f"http://127.0.0.1:{session.server.port}{STATUS_PATH}"))
    return data


@pytest.fixture
def running(tmp_path: Path) -> Iterator[PreviewSession]:
    root = make_render_project(tmp_path / "projet")
    session = PreviewSession(root, "study", port=0)
    session.start()
    loop = threading.Thread(target=session.serve_forever, daemon=True)
    loop.start()
    yield session
    session.stop()
    loop.join(timeout=10)
    assert not loop.is_alive()


def test_serves_the_page_and_reloads_after_a_qmd_edit(running: PreviewSession) -> None:
    root = running.project.root
    page = _get(running.url)
    assert "Étude" in page or "tude" in page
    assert '<script id="cufstudy-preview">' in page and "new EventSource(" in page
    assert "http://" not in page.split('<script id="cufstudy-preview">')[1]  # the script is inline, local
    assert _status(running)["version"] == 1
    tab = Events(running.server.port, version=1)
    try:
        qmd = root / "reports" / "study.qmd"
        qmd.write_text(qmd.read_text(encoding="utf-8") + "\nUn paragraphe écrit pendant la prévisualisation.\n",
                       encoding="utf-8")  # fmt: skip
        assert tab.wait("reload") == ["2"]
        assert "Un paragraphe écrit pendant la prévisualisation." in _get(running.url)
        status = _status(running)
        assert status["seconds"] > 0 and status["cpu_seconds"] > 0
        assert status | {"seconds": None, "cpu_seconds": None} == {
            "name": "study.html", "version": 2, "ok": True, "error": None, "seconds": None, "cpu_seconds": None,
            "serial": 2,
        }  # fmt: skip
    finally:
        tab.close()
    assert running.rebuilds[-1].changes == frozenset({"source"})
    assert (root / "_build" / "preview" / "study.html").is_file()
    assert not (root / "_output").exists(), "the preview publishes nothing"


def test_an_error_is_shown_over_the_page_and_the_server_goes_on(running: PreviewSession) -> None:
    qmd = running.project.root / "reports" / "study.qmd"
    good = qmd.read_text(encoding="utf-8")
    tab = Events(running.server.port, version=1)
    try:
        qmd.write_text(good + "\nLe total est {{< fact total_inexistant >}}.\n", encoding="utf-8")
        [problem] = tab.wait("problem")
        assert "unknown fact 'total_inexistant'" in json.loads(problem)["error"]
        page = _get(running.url)  # the previous page, with the error over it
        assert 'id="cufstudy-preview-error"' in page and "total_inexistant" in page
        assert _status(running)["ok"] is False and _status(running)["version"] == 1
        qmd.write_text(good + "\nCorrigé.\n", encoding="utf-8")
        assert tab.wait("reload") == ["2"]
        page = _get(running.url)
        assert "Corrigé." in page and 'id="cufstudy-preview-error"' not in page
    finally:
        tab.close()


def test_a_tab_opened_before_a_rebuild_reloads_at_once(running: PreviewSession) -> None:
    qmd = running.project.root / "reports" / "study.qmd"
    qmd.write_text(qmd.read_text(encoding="utf-8") + "\nEncore.\n", encoding="utf-8")
    deadline = time.monotonic() + TIMEOUT
    while _status(running)["version"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    tab = Events(running.server.port, version=1)  # the tab still shows version 1
    try:
        assert tab.wait("reload") == ["2"]
    finally:
        tab.close()


def test_a_tab_left_open_from_an_earlier_preview_reloads_at_once(running: PreviewSession) -> None:
    """The preview stopped and started again counts its pages from 1: a tab still open on page 7 of the
    earlier run reconnects (the browser's EventSource does it by itself) and must reload, not wait for page 8."""
    tab = Events(running.server.port, version=7)
    try:
        assert tab.wait("reload") == ["1"]
    finally:
        tab.close()


def test_an_editors_temporary_file_is_not_reported_as_a_change(tmp_path: Path) -> None:
    """``sed -i`` (and editors that save atomically) write a temporary file beside the source and rename it
    over it: the terminal names the source, not the temporary file."""
    root = make_render_project(tmp_path / "projet d'Aix-en-Provence")
    log = io.StringIO()
    session = PreviewSession(root, "study", port=0, log=log)
    session.start()
    loop = threading.Thread(target=session.serve_forever, daemon=True)
    loop.start()
    tab = Events(session.server.port, version=1)
    try:
        qmd = root / "reports" / "study.qmd"
        temporary = qmd.with_name("sedZ4ébK")
        temporary.write_text(qmd.read_text(encoding="utf-8") + "\nRelu par Zébulon Quatrefages-Météyer.\n",
                             encoding="utf-8")  # fmt: skip
        temporary.replace(qmd)
        assert tab.wait("reload") == ["2"]
        assert "Relu par Zébulon Quatrefages-Météyer." in _get(session.url)
    finally:
        tab.close()
        session.stop()
        loop.join(timeout=10)
    changed = [line for line in log.getvalue().splitlines() if line.startswith("changed:")]
    assert changed == ["changed: reports/study.qmd"], log.getvalue()


def test_stop_frees_the_port_and_ends_the_streams(tmp_path: Path) -> None:
    root = make_render_project(tmp_path / "projet")
    session = PreviewSession(root, "study", port=0)
    session.start()
    port = session.server.port
    tab = Events(port, version=1)
    session.stop()
    tab.thread.join(timeout=10)
    assert not tab.thread.is_alive(), "the event stream ended"
    tab.close()
    with socket.socket() as again:  # a new preview on the same port (servers set SO_REUSEADDR)
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
    assert not list((root / "_build" / "preview").glob("work-*")), "no work folder left"


def test_arguments_checked_before_serving(tmp_path: Path) -> None:
    root = make_render_project(tmp_path / "projet")
    with pytest.raises(ArgumentError, match=r"the brochure profile has no html output.*profiles with HTML: study"):
        PreviewSession(root, "brochure", port=0)
    busy = PreviewSession(root, "study", port=0)
    try:
        result = CliRunner().invoke(app, ["preview", "study", "--project", str(root), "--port", str(busy.server.port)])
        assert result.exit_code == EXIT_USAGE
        assert f"port {busy.server.port} is in use" in result.output
        result = CliRunner().invoke(app, ["preview", "studyy", "--project", str(root)])
        assert result.exit_code == EXIT_USAGE and "did you mean 'study'?" in result.output
    finally:
        busy.server.stop()


# -- a data edit re-runs the runs that read it, then the page; a prose edit runs nothing -------------------
PLAN = """\
project:
  type: default
cufstudy:
  data: data
  runs:
    - notebook: notebooks/compte.ipynb
      inputs: [cas.csv]
    - notebook: notebooks/autre.ipynb
      inputs: [autre.txt]
"""
NOTE = """\
project:
  render: [reports/note.qmd]
format:
  html: default
"""


def _plan_project(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "cas.csv").write_text("id\nville-d-aix\nville-de-pau\n", encoding="utf-8")
    (root / "data" / "autre.txt").write_text("rien\n", encoding="utf-8")
    record = "from cufstudy.notebook.facts import record"
    write_notebook(root / "notebooks" / "compte.ipynb", [
        f"import pathlib\n{record}",
        "record('cas.n', len(pathlib.Path('data/cas.csv').read_text().splitlines()) - 1, 'Collectivités')",
    ], parameters="x = 1")  # fmt: skip
    write_notebook(root / "notebooks" / "autre.ipynb", [f"{record}\nrecord('autre.n', 7, 'Autre')"], parameters="x = 1")
    (root / "_quarto.yml").write_text(PLAN, encoding="utf-8")
    (root / "_quarto-note.yml").write_text(NOTE, encoding="utf-8")
    (root / "reports").mkdir()
    (root / "reports" / "note.qmd").write_text("# Note\n\nCas étudiés : {{< fact cas.n >}}.\n", encoding="utf-8")
    return root


def test_a_data_edit_reruns_what_reads_it(tmp_path: Path) -> None:
    root = _plan_project(tmp_path / "projet")
    session = PreviewSession(root, None, port=0)  # the first profile with HTML: note
    session.start()
    loop = threading.Thread(target=session.serve_forever, daemon=True)
    loop.start()
    try:
        assert session.rebuilds[0].executed == 2 and session.rebuilds[0].error is None
        assert "Cas étudiés : 2." in _get(session.url).replace("\u202f", " ").replace("\u00a0", " ")
        manifest = root / "_build" / "manifest.json"
        tab = Events(session.server.port, version=1)
        (root / "data" / "cas.csv").write_text("id\nville-d-aix\nville-de-pau\nville-d-angers\n", encoding="utf-8")
        tab.wait("reload")
        assert session.rebuilds[-1].changes == frozenset({"data"}) and session.rebuilds[-1].executed == 1
        assert "Cas étudiés : 3." in _get(session.url).replace("\u202f", " ").replace("\u00a0", " ")
        runs = json.loads(manifest.read_text(encoding="utf-8"))["runs"]
        assert runs["_build/notebooks/autre.ipynb"]["status"] == "skipped"  # its inputs did not change
        before = manifest.read_bytes()
        (root / "reports" / "note.qmd").write_text("# Note\n\nTotal : {{< fact cas.n >}} cas.\n", encoding="utf-8")
        tab.wait("reload", 2)
        assert session.rebuilds[-1].changes == frozenset({"source"}) and session.rebuilds[-1].executed == 0
        assert manifest.read_bytes() == before, "a prose edit runs no notebook"
        tab.close()
    finally:
        session.stop()
        loop.join(timeout=10)


def test_ctrl_c_stops_the_cli_cleanly(tmp_path: Path) -> None:
    """The command as an analyst runs it: the URL printed, the page served, Ctrl-C (SIGINT) ends it with
    exit code 0, "preview stopped", no traceback, no work folder left."""
    root = make_render_project(tmp_path / "projet")
    cli = str(Path(sys.executable).parent / "cufstudy")
    # as from a terminal: a test run started in the background (a shell without job control) ignores SIGINT,
    # and a child inherits that; the preview must then be started with Ctrl-C's default restored
    proc = subprocess.Popen(
        [cli, "preview", "study", "--project", str(root), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("rendered study.html"):
                break
        url = re.search(r"http://127\.0\.0\.1:\d+/study\.html", "".join(lines))
        assert url, lines
        assert '<script id="cufstudy-preview">' in _get(url.group(0))
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert output.rstrip().endswith("preview stopped") and "Traceback" not in output, output
    assert not list((root / "_build" / "preview").glob("work-*"))
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", int(url.group(0).split(":")[2].split("/")[0])))
