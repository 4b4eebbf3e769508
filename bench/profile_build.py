"""Where a cold build's time goes: per run (kernel start, each cell, shutdown), per deliverable (each step).

Usage::

    .venv/bin/python bench/profile_build.py                  # this checkout, the default project
    .venv/bin/python bench/profile_build.py --project DIR    # another checkout's project (its cufstudy first
                                                             # on PYTHONPATH, as bench/compare_cold.py does)
    .venv/bin/python bench/profile_build.py --json out.json

The project (``_quarto*.yml``, ``notebooks/``, ``reports/``, ``templates/``, ``data/``) is copied into a
temporary folder; ``cufstudy run --force -j 2`` executes the plan (a subprocess, timed), then each profile is
rendered alone with the embedded engine, checks included (``render_deliverables(reuse=False)``, in a
subprocess so that each starts cold, as a build's rendering does).

Per run, from the executed notebook's Papermill metadata and the run manifest: **start** (from Papermill's
start to the first cell's start: the kernel's launch and connection), **imports** (the first code cell),
**cells** (the others, the slowest named), **shutdown and write** (the run's duration after its last cell).
Per deliverable: the engine's timings (expand, charts drawn, pandoc per format, typst, the Vega bundle), the
checks, and the rest (reading facts, the stamp, the publication). Prints Markdown tables and the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PROJECT_FILES = ("_quarto.yml",)
PROJECT_DIRS = ("notebooks", "reports", "templates", "data")
#: the ``cufstudy`` console script of whichever library is first on PYTHONPATH: an older commit has no
#: ``cufstudy.console`` (this venv's script would fail to import it), so the script's main is found here
CLI_CMD = [
    sys.executable,
    "-c",
    "import sys\nfrom pathlib import Path\nimport cufstudy\n"
    "if (Path(cufstudy.__file__).parent / 'console.py').is_file():\n    from cufstudy.console import main\n"
    "else:\n    from cufstudy.cli import main\nsys.argv[0] = 'cufstudy'\nmain()",
]


def copy_project(source: Path, dest: Path) -> Path:
    """The project's configuration, sources and data at ``dest`` (no ``_build/``, no ``_output/``), with their
    dates: a project saved a while ago (a build trusts for its fast answer only files saved 2 s before it)."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in source.glob("_quarto*.yml"):
        shutil.copy2(path, dest / path.name)
    for name in PROJECT_DIRS:
        if (source / name).is_dir():
            shutil.copytree(source / name, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


def _stamp(value: str | None) -> float | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def run_profile(executed: Path, duration: float | None) -> dict[str, Any]:
    """The phases of one executed notebook (see the module docstring)."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    meta = (nb.get("metadata") or {}).get("papermill") or {}
    begin = _stamp(meta.get("start_time"))
    cells = []
    for cell in nb.get("cells", []):
        pm = (cell.get("metadata") or {}).get("papermill") or {}
        if cell.get("cell_type") != "code" or pm.get("duration") is None:
            continue
        label = ""
        for line in "".join(cell.get("source", "")).splitlines():
            if line.startswith("#| label:"):
                label = line.split(":", 1)[1].strip()
                break
        tags = (cell.get("metadata") or {}).get("tags") or []
        cells.append(
            {
                "label": label,
                "parameters": bool({"parameters", "injected-parameters"} & set(tags)),
                "start": _stamp(pm.get("start_time")),
                "end": _stamp(pm.get("end_time")),
                "duration": float(pm["duration"]),
            }
        )
    first = cells[0]["start"] if cells else None
    last = cells[-1]["end"] if cells else None
    start = first - begin if first is not None and begin is not None else None
    # the parameters cells (the notebook's defaults, Papermill's injected values) are tiny; the first other
    # cell is the notebook's imports and setup
    own = [c for c in cells if not c["parameters"]]
    imports = own[0]["duration"] if own else None
    rest = own[1:]
    shutdown = duration - (last - begin) if duration is not None and last is not None and begin is not None else None
    slowest = sorted(rest, key=lambda c: -c["duration"])[:3]
    return {
        "notebook": executed.name,
        "bytes": executed.stat().st_size,
        "duration": duration,
        "start": start,
        "imports": imports,
        "cells": sum(c["duration"] for c in rest),
        "slowest": [(c["label"] or "?", round(c["duration"], 2)) for c in slowest],
        "shutdown": shutdown,
    }


RENDER = r"""
import json, sys, time
from pathlib import Path
from cufstudy.core.project import project_of
from cufstudy.pipeline.publish import confidential_entries, render_deliverables
project = project_of(Path(sys.argv[1]))
started = time.perf_counter()
report = render_deliverables(project, [sys.argv[2]], engine="pandoc", reuse=False,
                             secrets=lambda: confidential_entries(project))
print(json.dumps({"seconds": time.perf_counter() - started, "timings": dict(report.timings)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=REPO, help="the project to copy (default: this checkout)")
    parser.add_argument("--pythonpath", default=None, help="put this folder first on PYTHONPATH (an older cufstudy)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("CUFSTUDY_LOCK_HELD", "PYTHONPATH")}
    if args.pythonpath:
        env["PYTHONPATH"] = args.pythonpath
    result: dict[str, Any] = {"load_before": os.getloadavg(), "project": str(args.project)}
    with tempfile.TemporaryDirectory(prefix="cufstudy-profile-") as tmp:
        root = copy_project(args.project, Path(tmp) / "p")
        started = time.perf_counter()
        subprocess.run(
            [*CLI_CMD, "run", "--force", "--workers", str(args.workers), "--no-progress"],
            cwd=root, env=env, check=True, capture_output=True,
        )  # fmt: skip
        result["runs_wall"] = time.perf_counter() - started
        manifest = json.loads((root / "_build" / "manifest.json").read_text(encoding="utf-8"))
        runs = []
        for output, entry in sorted(manifest.get("runs", {}).items()):
            runs.append(run_profile(root / output, entry.get("duration")))
        result["runs"] = runs
        profiles = sorted(p.stem.removeprefix("_quarto-") for p in root.glob("_quarto-*.yml"))
        renders = {}
        for profile in profiles:
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", RENDER, str(root), profile],
                cwd=root, env=env, check=True, capture_output=True, text=True,
            )  # fmt: skip
            data = json.loads(out.stdout.strip().splitlines()[-1])
            data["wall"] = time.perf_counter() - started
            renders[profile] = data
        result["renders"] = renders
        result["notebooks_bytes"] = sum(p.stat().st_size for p in (root / "_build" / "notebooks").glob("*.ipynb"))
    result["load_after"] = os.getloadavg()
    print_tables(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")


def _f(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def print_tables(result: dict[str, Any]) -> None:
    before = ", ".join(f"{x:.1f}" for x in result["load_before"])
    after = ", ".join(f"{x:.1f}" for x in result["load_after"])
    print(f"load average before: {before}; after: {after}")
    print(f"cufstudy run --force: {result['runs_wall']:.1f} s wall; executed notebooks "
          f"{result['notebooks_bytes'] / 1e6:.2f} MB")  # fmt: skip
    print()
    print(
        "| run | duration s | kernel start s | imports+setup s | other cells s | slowest (s) | shutdown+write s | MB |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    totals = dict.fromkeys(("duration", "start", "imports", "cells", "shutdown"), 0.0)
    for run in result["runs"]:
        slow = ", ".join(f"{label} {sec}" for label, sec in run["slowest"])
        print(f"| {run['notebook']} | {_f(run['duration'])} | {_f(run['start'])} | {_f(run['imports'])} | "
              f"{_f(run['cells'])} | {slow} | {_f(run['shutdown'])} | {run['bytes'] / 1e6:.2f} |")  # fmt: skip
        for key in totals:
            totals[key] += run[key] or 0.0
    print(f"| **sum** | {totals['duration']:.1f} | {totals['start']:.1f} | {totals['imports']:.1f} | "
          f"{totals['cells']:.1f} | | {totals['shutdown']:.1f} | |")  # fmt: skip
    print()
    keys = sorted({k for r in result["renders"].values() for k in r["timings"]})
    print("| deliverable | wall s | render s | " + " | ".join(keys) + " | rest s (< 0: formats in parallel) |")
    print("|---|---:|---:|" + "---:|" * len(keys) + "---:|")
    for name, data in result["renders"].items():
        timings = data["timings"]
        rest = data["seconds"] - sum(timings.values())
        cols = " | ".join(_f(timings.get(k)) for k in keys)
        print(f"| {name} | {data['wall']:.2f} | {data['seconds']:.2f} | {cols} | {rest:.2f} |")


if __name__ == "__main__":
    main()
