"""Benchmark of ``cufstudy preview``: the time from saving a file to the refreshed page.

Usage::

    .venv/bin/python bench/bench_preview.py                    # the study and the guide, 5 edits of each kind
    .venv/bin/python bench/bench_preview.py --profiles guide --repeat 10

For each profile, ``cufstudy preview PROFILE --port 0`` runs as a subprocess (the command an analyst types) in a
throw-away copy of the project (``_quarto*.yml``, ``notebooks/``, ``reports/``, ``templates/`` when the project
has one, ``data/``); the project's own ``_build/`` is never touched. Once the first page is served, a client
holds the page's event stream open (what the page's script does in the browser), and for each edit:

``prose``  a sentence appended to the deliverable's ``.qmd``;
``case``   one case file's ``ambition`` changed (the notebook runs that read the case base re-execute).

The time measured runs from just before the file is written to the moment the new page has been read back
over HTTP and contains the edit (for a case edit: a page of a newer version), i.e. the save, the watcher's
debounce, the rebuild, the ``reload`` event and the page download; the browser's own parse and paint are not
in it. The rebuild time the preview reports (``/__cufstudy/status``) is recorded beside it, with its processor
time (the preview process and its finished children: Pandoc, the kernels), which is what the rebuild takes on an
idle machine when the shared one is loaded; the load average is recorded with every edit.

Results: a Markdown summary on stdout, JSON in ``bench/out/preview.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLI = str(Path(sys.executable).parent / "cufstudy")
EVENTS = "/__cufstudy/events"
STATUS = "/__cufstudy/status"


def make_project(target: Path) -> Path:
    """A throw-away copy of the project's sources and data."""
    target.mkdir(parents=True)
    for config in REPO.glob("_quarto*.yml"):
        shutil.copy2(config, target / config.name)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for folder in ("notebooks", "reports", "templates", "data", "_extensions"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, target / folder, ignore=ignore)
    return target


class Stream:
    """The page's event stream, read in a thread: the versions announced by ``reload`` events."""

    def __init__(self, port: int, version: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.conn.request("GET", f"{EVENTS}?v={version}")
        self.response = self.conn.getresponse()
        self.reloads: list[tuple[float, int]] = []
        self.problems: list[str] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name = ""
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    with self.cond:
                        if name == "reload":
                            self.reloads.append((time.perf_counter(), int(line[6:])))
                        elif name == "problem":
                            self.problems.append(line[6:])
                        self.cond.notify_all()
        except (OSError, ValueError):
            return

    def wait_reload(self, after: int, timeout: float = 600) -> tuple[float, int]:
        with self.cond:
            ok = self.cond.wait_for(lambda: any(v > after for _, v in self.reloads) or self.problems, timeout)
            if self.problems:
                raise SystemExit(f"the preview reported an error: {self.problems[-1]}")
            if not ok:
                raise SystemExit("no reload within the timeout")
            return next((t, v) for t, v in self.reloads if v > after)


def get(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=600) as response:
        return bytes(response.read())


def bench_profile(profile: str, work: Path, repeat: int) -> dict[str, Any]:
    root = make_project(work / profile)
    # Ctrl-C as in a terminal, even when this script runs in the background (``cmd &``, nohup), where the shell
    # starts it with SIGINT ignored and the preview would inherit that: the Ctrl-C column would say "NOT clean"
    proc = subprocess.Popen(
        [CLI, "preview", profile, "--project", str(root), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert proc.stdout is not None
    started = time.perf_counter()
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(("rendered ", "error: ")):
            break
    first = time.perf_counter() - started
    match = re.search(r"http://127\.0\.0\.1:(\d+)/(\S+\.html)", "".join(lines))
    if not match or lines[-1].startswith("error: "):
        proc.kill()
        raise SystemExit("".join(lines))
    port, page = int(match.group(1)), "/" + match.group(2)
    threading.Thread(target=lambda: [lines.append(x) for x in proc.stdout or ()], daemon=True).start()
    qmd = next(p for p in (root / "reports").rglob(f"{profile}.qmd"))
    cases = sorted((root / "data" / "cases").glob("*.yaml"))
    target = next((f for f in cases if "ville" in f.name or "commune" in f.name), cases[0])
    version = json.loads(get(port, STATUS))["version"]
    stream = Stream(port, version)
    result: dict[str, Any] = {"profile": profile, "first_page_s": round(first, 2), "prose": [], "case": []}
    try:
        for i in range(repeat):
            for kind in ("prose", "case"):
                time.sleep(0.6)  # let the watcher's debounce window of the previous edit close
                if kind == "prose":
                    marker = f"Phrase de mesure numéro {i} ({os.getpid()})."
                    text = qmd.read_text(encoding="utf-8")
                    t0 = time.perf_counter()
                    qmd.write_text(text + f"\n{marker}\n", encoding="utf-8")
                else:
                    marker = None
                    text = target.read_text(encoding="utf-8")
                    old = int(re.search(r"^  ambition: (\d)", text, re.M).group(1))  # type: ignore[union-attr]
                    t0 = time.perf_counter()
                    target.write_text(re.sub(r"^  ambition: \d", f"  ambition: {old % 4 + 1}", text, count=1,
                                             flags=re.M), encoding="utf-8")  # fmt: skip
                _, version = stream.wait_reload(version)
                body = get(port, page).decode("utf-8")
                t1 = time.perf_counter()
                if marker is not None and marker not in body:
                    raise SystemExit(f"the reloaded page lacks the edit {marker!r}")
                status = json.loads(get(port, STATUS))
                result[kind].append(
                    {
                        "save_to_page_s": round(t1 - t0, 3),
                        "rebuild_s": round(status["seconds"], 3),
                        "rebuild_cpu_s": round(status["cpu_seconds"], 3),
                        "load": os.getloadavg()[0],
                    }
                )
                took = f"rebuild {status['seconds']:.2f} s, cpu {status['cpu_seconds']:.2f} s"
                print(f"[{profile}] {kind} {i + 1}/{repeat}: {t1 - t0:.2f} s ({took})", file=sys.stderr)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    result["stopped_cleanly"] = proc.returncode == 0 and "preview stopped" in "".join(lines[-3:])
    result["page_kib"] = round(len(body.encode("utf-8")) / 1024)
    return result


def summary(results: list[dict[str, Any]]) -> str:
    rows = ["| profile | first page | prose edit: median (min-max) | its rebuild | case edit: median (min-max) "
            "| its rebuild | page | Ctrl-C |", "|---|---:|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for r in results:
        cells = []
        for kind in ("prose", "case"):
            times = [s["save_to_page_s"] for s in r[kind]]
            cells.append(f"{statistics.median(times):.2f} s ({min(times):.2f}-{max(times):.2f})")
            rebuild = statistics.median(s["rebuild_s"] for s in r[kind])
            cpu = statistics.median(s["rebuild_cpu_s"] for s in r[kind])
            cells.append(f"{rebuild:.2f} s (cpu {cpu:.2f} s)")
        rows.append(
            f"| {r['profile']} | {r['first_page_s']:.1f} s | {' | '.join(cells)} | {r['page_kib']} KiB "
            f"| {'clean' if r['stopped_cleanly'] else 'NOT clean'} |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", default="study,guide", help="comma-separated profiles with HTML")
    parser.add_argument("--repeat", type=int, default=5, help="edits of each kind per profile")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as work:
        for profile in args.profiles.split(","):
            results.append(bench_profile(profile, Path(work), args.repeat))
    machine = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
               "load": os.getloadavg(), "python": sys.version.split()[0]}  # fmt: skip
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "preview.json").write_text(json.dumps({"machine": machine, "results": results}, indent=2), "utf-8")
    print(summary(results))
    print(
        f"\nload average {machine['load'][0]:.2f} {machine['load'][1]:.2f} {machine['load'][2]:.2f}, "
        f"{machine['cpus']} cpus"
    )


if __name__ == "__main__":
    main()
