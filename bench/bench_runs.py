"""Benchmark of ``cufstudy run``: cold batch serial vs parallel, and a no-op re-run.

Usage::

    .venv/bin/python bench/bench_runs.py [PROJECT] [--repeat 3] [--synthetic]

PROJECT defaults to the repository root. It is copied to a temporary folder first (its ``_build``
is never touched). With ``--synthetic``, or when PROJECT has no valid run plan, a synthetic
project of 8 runs (5 notebooks importing pandas and altair, one run per tier for one of them) is
measured instead.

Each figure is the median of ``--repeat`` runs of the ``cufstudy`` CLI as a subprocess, so Python
start-up is included: ``run --force -j 1`` (cold, serial), ``run --force -j 2`` (cold, parallel),
``run`` after a complete batch (no-op). The in-process thread pool (the default) is also compared
with a process pool through the executor seam. Results go to stdout and ``bench/out/bench_runs.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLI = Path(sys.executable).parent / "cufstudy"
IGNORE = shutil.ignore_patterns(".git", ".venv", "_build", "_output", "__pycache__", "*.egg-info", "out", ".*cache")

SYNTHETIC_PLAN = """\
project:
  type: default
cufstudy:
  data: data
  runs:
    - notebook: notebooks/panorama.ipynb
    - notebook: notebooks/typologie.ipynb
    - notebook: notebooks/organisation.ipynb
    - notebook: notebooks/suivi.ipynb
    - notebook: notebooks/profil_niveau.ipynb
      parameters:
        tier: [commune, epci, departement, region]
      output: "_build/notebooks/{notebook}-{tier}.ipynb"
"""

SYNTHETIC_BODY = [
    "import altair as alt\nimport pandas as pd\nfrom cufstudy.notebook.facts import record",
    "cases = pd.read_csv('data/cases.csv')\nsub = cases if tier == 'all' else cases[cases.tier == tier]",
    "by_year = sub.groupby('year', as_index=False)['budget'].sum()\nby_year",
    "alt.Chart(by_year).mark_bar().encode(x='year:O', y='budget:Q').properties(width=300)",
    "record(f'{name}.{tier}.n', len(sub), 'Collectivités')\n"
    "record(f'{name}.{tier}.budget', float(sub.budget.sum()), 'Budget', 'EUR')",
]


def synthetic_project(root: Path) -> Path:
    """A project of 8 runs over a small CSV, with notebooks that import pandas and altair."""
    (root / "data").mkdir(parents=True)
    tiers = ["commune", "epci", "departement", "region"]
    rows = ["id,tier,year,budget"] + [f"c{i},{tiers[i % 4]},{2018 + i % 6},{1000 + 37 * i}" for i in range(60)]
    (root / "data" / "cases.csv").write_text("\n".join(rows) + "\n")
    (root / "_quarto.yml").write_text(SYNTHETIC_PLAN)
    for name in ("panorama", "typologie", "organisation", "suivi", "profil_niveau"):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell(f"tier = 'all'\nname = '{name}'")
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, *(nbformat.v4.new_code_cell(src) for src in SYNTHETIC_BODY)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        (root / "notebooks").mkdir(exist_ok=True)
        nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")
    return root


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def cli(project: Path, *args: str) -> str:
    done = subprocess.run(
        [str(CLI), "run", "--project", str(project), "--no-progress", *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"cufstudy run failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def noop_median(project: Path, repeat: int) -> tuple[float, list[float]]:
    """Median of no-op re-runs; a sample that executed something (e.g. the library source changed
    under a concurrent edit, which re-runs every notebook by design) is discarded and retried."""
    times: list[float] = []
    for _ in range(repeat * 4):
        start = time.perf_counter()
        out = cli(project)
        took = time.perf_counter() - start
        if out.startswith("nothing to do"):
            times.append(took)
        else:
            print(f"  (discarded a no-op sample that executed runs: {out.strip()})")
        if len(times) == repeat:
            break
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", type=Path, default=REPO)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synthetic", action="store_true", help="measure the synthetic 8-run project")
    args = parser.parse_args()

    from cufstudy.core.errors import CufstudyError
    from cufstudy.pipeline.plan import load_plan
    from cufstudy.pipeline.runs import run

    with tempfile.TemporaryDirectory(prefix="bench-runs-") as tmp:
        work = Path(tmp) / "project"
        kind = "synthetic"
        if not args.synthetic:
            try:
                load_plan(args.project)
                shutil.copytree(args.project, work, ignore=IGNORE)
                kind = str(args.project)
            except CufstudyError as exc:
                reason = str(exc).splitlines()[-1].strip()
                print(f"{args.project}: no valid run plan ({reason}); using the synthetic project")
        if kind == "synthetic":
            synthetic_project(work)
        n_runs = len(load_plan(work).runs)
        load = os.getloadavg()[0]
        print(f"project: {kind} ({n_runs} runs), repeat {args.repeat}, cores: {os.cpu_count()}, load: {load:.2f}")

        results: dict[str, dict[str, object]] = {}

        def record(name: str, value: tuple[float, list[float]]) -> None:
            results[name] = {"median_s": round(value[0], 3), "runs_s": [round(t, 3) for t in value[1]]}
            print(f"  {name:<34} {value[0]:6.2f} s   {' '.join(f'{t:.2f}' for t in value[1])}")

        def processes() -> None:
            with ProcessPoolExecutor(max_workers=2) as pool:
                run(work, force=True, executor=pool, progress=False)

        cold: dict[str, Callable[[], object]] = {
            "cold, serial (cli -j 1)": lambda: cli(work, "--force", "-j", "1"),
            "cold, 2 workers (cli -j 2)": lambda: cli(work, "--force", "-j", "2"),
            "cold, 2 threads (in-process)": lambda: run(work, force=True, workers=2, progress=False),
            "cold, 2 processes (in-process)": processes,
        }
        cli(work, "--force", "-j", "2")  # warm-up: file system cache, compiled bytecode
        samples: dict[str, list[float]] = {name: [] for name in cold}
        for _ in range(args.repeat):  # interleaved, so that a change of load hits every variant alike
            for name, func in cold.items():
                samples[name].append(timed(func))
        for name, times in samples.items():
            record(name, (statistics.median(times), times))
        record("no-op re-run (cli)", noop_median(work, max(args.repeat, 5)))

        serial = float(results["cold, serial (cli -j 1)"]["median_s"])  # type: ignore[arg-type]
        parallel = float(results["cold, 2 workers (cli -j 2)"]["median_s"])  # type: ignore[arg-type]
        noop = float(results["no-op re-run (cli)"]["median_s"])  # type: ignore[arg-type]
        print(f"load average at the end: {os.getloadavg()[0]:.2f} (other processes skew the 2-worker figures)")
        print(
            f"speed-up with 2 workers: {serial / parallel:.2f}x (target >= 1.5x); no-op {noop:.2f} s (target <= 0.5 s)"
        )
        out = HERE / "out"
        out.mkdir(exist_ok=True)
        (out / "bench_runs.json").write_text(
            json.dumps(
                {"project": kind, "runs": n_runs, "load": load, "results": results, "speedup": serial / parallel},
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
