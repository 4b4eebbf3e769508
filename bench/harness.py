"""Benchmark harness of ``cufstudy build``: cold build, no-op, one-case edit, scaling with N, runs, conversion.

Usage::

    .venv/bin/python bench/harness.py                          # default data, N = 500 and 5,000
    .venv/bin/python bench/harness.py --sizes default,26,500 --repeat 3 --repeat-large 1
    .venv/bin/python bench/harness.py --sizes 5000 --only cold,render

For each data set (``default`` = the project's own ``data/``; a number = a synthetic base of that many
authorities written by ``bench/generate.py``), every scenario runs ``--repeat`` times (``--repeat-large``
for N >= 2,000) in throw-away copies of the project (``_quarto*.yml``, ``notebooks/``, ``reports/``,
``templates/`` and the data) under a temporary folder; the project's own ``_build/`` and ``_output/``
are never touched. Each measurement is a subprocess (the ``cufstudy`` CLI, or a small Python script for
the conversion step); its wall time is taken around it and its peak memory is the largest sum over its
whole process tree (the CLI, the Jupyter kernels, pandoc) of each process's PSS (resident memory, shared
pages divided among the processes sharing them), sampled every 50 ms with psutil (or ``/proc`` when
psutil is missing). The largest sum of RSS is recorded too (``peak_rss_sum_mb``): an upper bound that
counts shared pages, and a forked child's copy-on-write pages, once per process.

Scenarios (``--only`` picks some):

``cold``     ``cufstudy build --engine pandoc`` of every deliverable in a fresh copy (no ``_build/``). If a
             deliverable fails (e.g. the guide's 30-page limit at large N), the failure is recorded and the
             remaining profiles are measured instead, for this and the following scenarios.
``noop``     ``cufstudy build`` again, nothing changed; and ``cufstudy run`` alone (the run cache's no-op).
``edit``     one case file edited (its ambition changed), then ``cufstudy build``; the manifest says which
             runs re-executed, compared with the runs whose notebook reads the case base.
``runs``     ``cufstudy run --force --workers 1`` vs ``--workers 2`` (interleaved).
``render``   the embedded engine's conversion alone on an already-run project (``cufstudy.render.build``,
             one profile at a time, the study first), with its per-step timings (pandoc per format,
             typst, Vega bundle), to compare with the notebook execution.

Results: a Markdown summary on stdout, JSON in ``bench/out/harness.json`` (and ``harness-<time>.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLI = str(Path(sys.executable).parent / "cufstudy")
PROFILES = sorted(p.stem.removeprefix("_quarto-") for p in REPO.glob("_quarto-*.yml"))
SCENARIOS = ("cold", "noop", "edit", "runs", "render")
LARGE = 2000
MB = 1024 * 1024

sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402


# -- measuring a process tree -------------------------------------------------------------------------
@dataclass
class Sample:
    """One measured subprocess."""

    seconds: float
    peak_pss: int
    """Largest sum of the PSS of the process and all its descendants (bytes): the tree's resident memory,
    each shared page divided among the processes sharing it (a forked child is not counted twice)."""
    peak_rss: int
    """Largest sum of the RSS of the tree (bytes): an upper bound that counts shared pages once per process."""
    peak_top: str
    """The biggest process at the PSS peak: name and RSS."""
    returncode: int
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)


Usage = tuple[str, int, int]  # process name, RSS, PSS (bytes)


def _tree_psutil(pid: int) -> list[Usage]:
    import psutil  # type: ignore[import-untyped]

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    out: list[Usage] = []
    for proc in procs:
        try:
            mem = proc.memory_full_info()
            out.append((proc.name(), mem.rss, getattr(mem, "pss", mem.rss)))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return out


def _tree_proc(pid: int) -> list[Usage]:
    """The same from /proc: VmRSS and Pss of the process and of its children, recursively."""
    out: list[Usage] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        name = re.search(r"^Name:\s*(\S+)", status, re.M)
        rss = re.search(r"^VmRSS:\s*(\d+) kB", status, re.M)
        pss = re.search(r"^Pss:\s*(\d+) kB", rollup, re.M)
        kb_rss = int(rss.group(1)) if rss else 0
        out.append((name.group(1) if name else "?", kb_rss * 1024, (int(pss.group(1)) if pss else kb_rss) * 1024))
    return out


try:
    import psutil  # noqa: F401

    _tree = _tree_psutil
    RSS_METHOD = "psutil (PSS and RSS)"
except ImportError:  # pragma: no cover - psutil is in the venv
    _tree = _tree_proc
    RSS_METHOD = "/proc (Pss from smaps_rollup, VmRSS)"


def measure(cmd: Sequence[str], *, timeout: float = 3600, interval: float = 0.05) -> Sample:
    """Run ``cmd``, timing it and sampling the memory of its process tree."""
    env = {k: v for k, v in os.environ.items() if k != "CUFSTUDY_LOCK_HELD"}
    peak_pss = peak_rss = 0
    top = ""
    done = threading.Event()
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(REPO)
    )

    def sample() -> None:
        nonlocal peak_pss, peak_rss, top
        while not done.is_set():
            tree = _tree(proc.pid)
            peak_rss = max(peak_rss, sum(rss for _, rss, _ in tree))
            total = sum(pss for _, _, pss in tree)
            if total > peak_pss:
                peak_pss = total
                name, rss, _ = max(tree, key=lambda item: item[1])
                top = f"{name} {rss / MB:.0f} MB of {len(tree)} processes"
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return Sample(seconds, peak_pss, peak_rss, top, proc.returncode, stdout, stderr)


# -- projects -----------------------------------------------------------------------------------------
def make_project(target: Path, data: Path) -> Path:
    """A throw-away copy of the project around the data folder ``data``."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for config in REPO.glob("_quarto*.yml"):
        shutil.copy2(config, target / config.name)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for folder in ("notebooks", "reports", "templates"):
        shutil.copytree(REPO / folder, target / folder, ignore=ignore)
    shutil.copytree(data, target / "data", ignore=ignore)
    return target


def cli(project: Path, command: str, *args: str, profiles: Sequence[str] = ()) -> list[str]:
    head = [CLI, command, *profiles] if command == "build" else [CLI, command]
    extra = ["--engine", "pandoc"] if command == "build" else []
    return [*head, "--project", str(project), "--no-progress", *extra, *args]


RENDER_SCRIPT = """
import json, sys, time
from pathlib import Path
from cufstudy.pipeline.build import ILLUSTRATIVE_NOTICE
from cufstudy.model.cases import load_cases
from cufstudy.pipeline.plan import load_plan
from cufstudy.pipeline.publish import render_deliverables as build
root = Path(sys.argv[1])
notice = ILLUSTRATIVE_NOTICE if load_cases(load_plan(root).data_dir).is_illustrative else None
out = {}
for profile in sys.argv[2:]:
    started = time.perf_counter()
    report = build(root, [profile], engine="pandoc", notice=notice, reuse=False)
    out[profile] = {"seconds": time.perf_counter() - started,
                    "timings": {k: round(v, 3) for k, v in report.timings.items()}}
print(json.dumps(out))
"""


def manifest(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / "_build" / "manifest.json").read_text(encoding="utf-8"))
    return data


def cell_seconds(project: Path) -> dict[str, float]:
    """Time spent executing the cells of each executed notebook (Papermill's per-cell durations)."""
    out: dict[str, float] = {}
    for path in manifest(project)["runs"]:
        nb = json.loads((project / path).read_text(encoding="utf-8"))
        cells = nb.get("cells", [])
        out[Path(path).stem] = sum(
            float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0) for c in cells
        )
    return out


def load_cell_seconds(project: Path) -> float:
    """Time spent in the cells that load the case base (``load_cases(...)``), summed over the runs."""
    total = 0.0
    for path in manifest(project)["runs"]:
        nb = json.loads((project / path).read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if "load_cases(" in "".join(cell.get("source", "")):
                total += float(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0)
    return total


def case_readers(project: Path) -> set[str]:
    """Outputs of the runs whose notebook reads the case base: the ones a one-case edit should re-run."""
    readers: set[str] = set()
    for path, entry in manifest(project)["runs"].items():
        source = (project / entry["notebook"]).read_text(encoding="utf-8")
        if "load_cases" in source:
            readers.add(path)
    return readers


_VEGA = re.compile(r'<script type="application/json" data-cufstudy-vega="([^"]+)">(.*?)</script>', re.S)
_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_MODULE = re.compile(r'<script type="module">.*?</script>', re.S)
_IMG = re.compile(r'src="data:image/[^"]*"')


def html_breakdown(page: str) -> dict[str, Any]:
    """Where the bytes of an HTML deliverable go: Vega specs (largest first), tables, the bundle, images."""
    specs = []
    for match in _VEGA.finditer(page):
        before = page[: match.start()]
        label = re.findall(r'id="((?:fig|tbl)-[^"]+)"', before[-5000:])
        specs.append({"chart": label[-1] if label else match.group(1), "bytes": len(match.group(2).encode())})
    specs.sort(key=lambda s: -int(s["bytes"]))
    tables = [len(m.group(0).encode()) for m in _TABLE.finditer(page)]
    return {
        "total": len(page.encode()),
        "vega_specs": sum(int(s["bytes"]) for s in specs),
        "largest_specs": specs[:4],
        "n_charts": len(specs),
        "tables": sum(tables),
        "largest_tables": sorted(tables, reverse=True)[:4],
        "bundle": sum(len(m.group(0).encode()) for m in _MODULE.finditer(page)),
        "images": sum(len(m.group(0)) for m in _IMG.finditer(page)),
    }


def sizes(project: Path) -> dict[str, Any]:
    out = project / "_output"
    files = {p.name: p.stat().st_size for p in sorted(out.glob("*")) if p.is_file()}
    notebooks = sum(p.stat().st_size for p in (project / "_build" / "notebooks").glob("*.ipynb"))
    pages = {}
    for pdf in out.glob("*.pdf"):
        from cufstudy.render import pdf_page_count

        pages[pdf.name] = pdf_page_count(pdf.read_bytes())
    result: dict[str, Any] = {
        "outputs": files,
        "pages": pages,
        "executed_notebooks": notebooks,
        "manifest": (project / "_build" / "manifest.json").stat().st_size,
    }
    if (out / "study.html").is_file():
        result["study_html"] = html_breakdown((out / "study.html").read_text(encoding="utf-8"))
    return result


# -- statistics and reporting -------------------------------------------------------------------------
def stats(samples: Sequence[Sample]) -> dict[str, Any]:
    times = [s.seconds for s in samples]
    best = max(samples, key=lambda s: s.peak_pss)
    return {
        "repeat": len(samples),
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "runs_s": [round(t, 3) for t in times],
        "peak_pss_mb": round(best.peak_pss / MB, 1),
        "peak_rss_sum_mb": round(max(s.peak_rss for s in samples) / MB, 1),
        "peak_top": best.peak_top,
    }


def fail_text(sample: Sample) -> str:
    lines = [line for line in (sample.stderr + sample.stdout).splitlines() if "error" in line.lower()]
    return (lines[-1] if lines else (sample.stderr or sample.stdout).strip()[-300:]).strip()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- one data set -------------------------------------------------------------------------------------
def bench_dataset(name: str, data: Path, work: Path, repeat: int, only: set[str]) -> dict[str, Any]:
    n_cases = len(list((data / "cases").glob("*.yaml")))
    result: dict[str, Any] = {"dataset": name, "n_cases": n_cases, "repeat": repeat, "scenarios": {}}
    scen: dict[str, Any] = result["scenarios"]
    profiles: list[str] = []  # empty: every profile
    built: Path | None = None

    # cold build (always: the other scenarios start from a built project)
    samples: list[Sample] = []
    failures: list[str] = []
    for i in range(repeat):
        project = make_project(work / f"{name}-cold-{i}", data)
        log(f"[{name}] cold build {i + 1}/{repeat} {' '.join(profiles) or '(all profiles)'}")
        sample = measure(cli(project, "build", profiles=profiles))
        while sample.returncode != 0 and i == 0:  # drop the failing deliverable, record why, measure the rest
            failing = re.search(r"error: (\w+)\.(?:pdf|html|docx)", sample.stderr)
            remaining = [p for p in (profiles or PROFILES) if failing is None or p != failing.group(1)]
            if failing is None or not remaining or remaining == (profiles or PROFILES):
                raise SystemExit(f"[{name}] cold build failed:\n{sample.stdout}\n{sample.stderr}")
            failures.append(fail_text(sample))
            if not profiles:
                scen["cold_all_failed"] = {**stats([sample]), "error": fail_text(sample)}
            profiles = remaining
            log(f"[{name}] build failed ({fail_text(sample)}); measuring {' '.join(profiles)} instead")
            project = make_project(work / f"{name}-cold-{i}", data)
            sample = measure(cli(project, "build", profiles=profiles))
        if sample.returncode != 0:
            raise SystemExit(f"[{name}] cold build of {profiles} failed:\n{sample.stdout}\n{sample.stderr}")
        samples.append(sample)
        if built is not None:
            shutil.rmtree(built, ignore_errors=True)
        built = project
    result["failures"] = failures
    assert built is not None
    result["profiles"] = profiles or PROFILES
    scen["cold"] = stats(samples)
    durations = {Path(k).stem: float(v["duration"] or 0) for k, v in manifest(built)["runs"].items()}
    cells = cell_seconds(built)
    result["runs"] = {
        "n_runs": len(durations),
        "run_seconds": {k: round(v, 2) for k, v in sorted(durations.items())},
        "sum_run_seconds": round(sum(durations.values()), 2),
        "cell_seconds": {k: round(v, 2) for k, v in sorted(cells.items())},
        "sum_cell_seconds": round(sum(cells.values()), 2),
        "sum_load_cell_seconds": round(load_cell_seconds(built), 2),
    }
    result["sizes"] = sizes(built)

    if "noop" in only:
        # a sample that executed runs (someone edited the cufstudy library meanwhile: its source is part of
        # every run's cache key) is not a no-op: it is discarded and retried, and counted
        idle = re.compile(r"nothing to do|(?<!\d)0 executed")
        for key, command in (("noop_run", "run"), ("noop_build", "build")):
            kept: list[Sample] = []
            discarded = 0
            for _ in range(4 * max(repeat, 3)):
                sample = measure(cli(built, command, profiles=profiles if command == "build" else ()))
                if sample.returncode != 0:
                    raise SystemExit(f"[{name}] no-op {command} failed:\n{sample.stdout}\n{sample.stderr}")
                if idle.search(sample.stdout):
                    kept.append(sample)
                else:
                    discarded += 1
                if len(kept) == (max(repeat, 3) if command == "run" else repeat):
                    break
            log(f"[{name}] no-op {command}: {statistics.median(s.seconds for s in kept):.2f} s")
            scen[key] = {**stats(kept), "discarded_samples_that_executed_runs": discarded}
            if command == "build":
                scen[key]["reused_all"] = all("built 0 file(s)" in s.stdout for s in kept)

    if "edit" in only:
        readers = case_readers(built)
        files = sorted((built / "data" / "cases").glob("*.yaml"))
        target = next((f for f in files if "commune" in f.name or "ville" in f.name), files[0])
        samples, reexecuted = [], []
        for i in range(repeat):
            before = {k: v["finished"] for k, v in manifest(built)["runs"].items()}
            text = target.read_text(encoding="utf-8")
            old = int(re.search(r"^  ambition: (\d)", text, re.M).group(1))  # type: ignore[union-attr]
            new = old % 4 + 1
            target.write_text(re.sub(r"^  ambition: \d", f"  ambition: {new}", text, count=1, flags=re.M))
            log(f"[{name}] edit {i + 1}/{repeat}: {target.name} ambition {old} -> {new}")
            sample = measure(cli(built, "build", profiles=profiles))
            if sample.returncode != 0:
                raise SystemExit(f"[{name}] build after the edit failed:\n{sample.stdout}\n{sample.stderr}")
            after = manifest(built)["runs"]
            reexecuted.append(sorted(k for k, v in after.items() if v["finished"] != before.get(k)))
            samples.append(sample)
        reasons = sorted({m for s in samples for m in re.findall(r"\((data changed[^)]*)\)", s.stdout)})
        scen["edit_one_case"] = {
            **stats(samples),
            "file": target.name,
            "runs_total": len(manifest(built)["runs"]),
            "runs_reexecuted": len(reexecuted[-1]),
            "runs_reading_cases": len(readers),
            "not_reading_cases_but_reexecuted": sorted(set(reexecuted[-1]) - readers),
            "reasons": reasons,
        }

    if "runs" in only:
        serial: list[Sample] = []
        parallel: list[Sample] = []
        serial_cells: list[float] = []
        for i in range(repeat):  # interleaved: a change of load hits both alike
            log(f"[{name}] runs --force -j 1 / -j 2, {i + 1}/{repeat}")
            serial.append(measure(cli(built, "run", "--force", "--workers", "1")))
            serial_cells.append(sum(cell_seconds(built).values()))
            parallel.append(measure(cli(built, "run", "--force", "--workers", "2")))
        scen["runs_serial"] = stats(serial)
        scen["runs_serial"]["kernel_cells_s"] = round(statistics.median(serial_cells), 2)
        scen["runs_parallel"] = stats(parallel)
        scen["runs_parallel"]["speedup"] = round(scen["runs_serial"]["median_s"] / scen["runs_parallel"]["median_s"], 2)

    if "render" in only:
        order = sorted(profiles or PROFILES, key=lambda p: (p != "study", p))
        samples, details = [], []
        for i in range(repeat):
            log(f"[{name}] render only {i + 1}/{repeat}: {' '.join(order)}")
            sample = measure([sys.executable, "-c", RENDER_SCRIPT, str(built), *order])
            if sample.returncode != 0:
                raise SystemExit(f"[{name}] render failed:\n{sample.stderr}")
            samples.append(sample)
            details.append(json.loads(sample.stdout.strip().splitlines()[-1]))
        scen["render_all"] = stats(samples)
        per: dict[str, Any] = {}
        for profile in order:
            secs = [d[profile]["seconds"] for d in details]
            per[profile] = {
                "median_s": round(statistics.median(secs), 3),
                "min_s": round(min(secs), 3),
                "max_s": round(max(secs), 3),
                "timings": details[-1][profile]["timings"],
            }
        scen["render_profiles"] = per
        if "study" in order:  # the study alone in its own process, for its own peak memory
            study = measure([sys.executable, "-c", RENDER_SCRIPT, str(built), "study"])
            scen["render_study_process"] = stats([study])

    shutil.rmtree(built, ignore_errors=True)
    return result


# -- summary ------------------------------------------------------------------------------------------
def _fmt(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.0f} %"


def overheads(res: dict[str, Any]) -> tuple[float | None, float | None]:
    """Overhead of the cold build on top of kernel work + conversion: with 2 workers, and serially.

    2 workers: cold build / (max(kernel work / 2, longest run's cells) + conversion) - 1.
    Serial: (``run --force -j 1`` + conversion) / (kernel work of that serial batch + conversion) - 1 (no
    parallelism hides the fixed costs of each run: Python and kernel start, Papermill, writing the notebook).
    """
    runs, scen = res["runs"], res["scenarios"]
    conv = scen.get("render_profiles")
    if not conv:
        return None, None
    conversion = sum(p["median_s"] for p in conv.values())
    kernel = runs["sum_cell_seconds"]
    longest = max(runs["cell_seconds"].values(), default=0.0)
    parallel = scen["cold"]["median_s"] / (max(kernel / 2, longest) + conversion) - 1
    serial = None
    if "runs_serial" in scen:
        kernel_serial = scen["runs_serial"].get("kernel_cells_s", kernel)
        serial = (scen["runs_serial"]["median_s"] + conversion) / (kernel_serial + conversion) - 1
    return parallel, serial


def markdown(results: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    names = {
        "cold": "cold build",
        "cold_all_failed": "cold build, all profiles (FAILED)",
        "noop_build": "no-op `cufstudy build`",
        "noop_run": "no-op `cufstudy run`",
        "edit_one_case": "one case edited, `cufstudy build`",
        "runs_serial": "`cufstudy run --force -j 1`",
        "runs_parallel": "`cufstudy run --force -j 2`",
        "render_all": "conversion only (render, every built profile)",
        "render_study_process": "conversion only, study (own process)",
    }
    lines = [
        f"Machine: {machine['cores']} cores, {machine['memory_gb']} GB RAM, Python {machine['python']}; "
        f"commit {machine['commit']} with {machine['modified_files']} modified or new files; "
        f"load average {machine['load_start']} at start, {machine['load_end']} at the end; RSS by {RSS_METHOD}.",
        "",
        "| N | scenario | repeat | median s | min s | max s | peak memory (tree PSS) MB | biggest process at the peak "
        "| notes |",
        "|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for res in results:
        n = f"{res['n_cases']} ({res['dataset']})"
        for key, label in names.items():
            s = res["scenarios"].get(key)
            if not s:
                continue
            note = ""
            if key == "cold" and res["profiles"] != PROFILES:
                note = "profiles: " + ", ".join(res["profiles"])
            elif key == "cold_all_failed":
                note = s["error"][:120]
            elif key == "edit_one_case":
                note = (
                    f"{s['runs_reexecuted']}/{s['runs_total']} runs re-executed; "
                    f"{s['runs_reading_cases']} read the cases"
                )
            elif key == "runs_parallel":
                note = f"speed-up {s['speedup']}x"
            elif key == "noop_build":
                note = "renders nothing (render stamp)" if s.get("reused_all") else "re-renders deliverables"
            if s.get("discarded_samples_that_executed_runs"):
                note += f"; {s['discarded_samples_that_executed_runs']} sample(s) that executed runs discarded"
            lines.append(
                f"| {n} | {label} | {s['repeat']} | {s['median_s']:.2f} | {s['min_s']:.2f} | {s['max_s']:.2f} "
                f"| {s['peak_pss_mb']:.0f} | {s['peak_top'].replace(' processes', '')} | {note} |"
            )
    lines += [
        "",
        "Where the time goes (cold build; kernel work = Papermill's per-cell durations summed over the runs; "
        "conversion = the render step alone, every built profile):",
        "",
        "| N | runs | run durations (sum) s | kernel work (cells) s | of which loading the cases s "
        "| conversion s | study conversion s | cold build s | overhead, 2 workers | overhead, serial |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        runs, scen = res["runs"], res["scenarios"]
        cold = scen["cold"]["median_s"]
        parallel, serial = overheads(res)
        conv = scen.get("render_profiles")
        conversion = sum(p["median_s"] for p in conv.values()) if conv else None
        study = conv["study"]["median_s"] if conv and "study" in conv else None
        lines.append(
            f"| {res['n_cases']} | {runs['n_runs']} | {runs['sum_run_seconds']:.1f} | {runs['sum_cell_seconds']:.1f} "
            f"| {runs['sum_load_cell_seconds']:.1f} | {_fmt(conversion, 1)} | {_fmt(study, 1)} | {cold:.1f} "
            f"| {_pct(parallel)} | {_pct(serial)} |"
        )
    lines += [
        "",
        "Outputs (last cold build):",
        "",
        "| N | study.html | of which Vega specs / tables / bundle | study.pdf | study.docx | guide.html "
        "| guide.pdf | brochure.pdf | executed notebooks | manifest |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        sz = res["sizes"]
        out, pages = sz["outputs"], sz["pages"]

        def f(name: str, out: dict[str, int] = out, pages: dict[str, int] = pages) -> str:
            if name not in out:
                return "–"
            page = f" ({pages[name]} p.)" if name in pages else ""
            return f"{out[name] / MB:.2f} MB{page}"

        br = sz.get("study_html", {})
        split = f"{br['vega_specs'] / MB:.2f} / {br['tables'] / MB:.2f} / {br['bundle'] / MB:.2f} MB" if br else "–"
        lines.append(
            f"| {res['n_cases']} | {f('study.html')} | {split} | {f('study.pdf')} | {f('study.docx')} "
            f"| {f('guide.html')} | {f('guide.pdf')} | {f('brochure.pdf')} | {sz['executed_notebooks'] / MB:.1f} MB "
            f"| {sz['manifest'] / 1024:.0f} KB |"
        )
    return "\n".join(lines)


def targets(results: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    by_n = {r["n_cases"]: r for r in results}
    base = next((r for r in results if r["dataset"] == "default"), None) or min(results, key=lambda r: r["n_cases"])
    for res in results:
        scen = res["scenarios"]
        if "noop_build" in scen:
            noop = scen["noop_build"]["median_s"]
            run = scen["noop_run"]["median_s"]
            out.append(
                f"N={res['n_cases']}: no-op build {noop:.2f} s, no-op run {run:.2f} s (target <= 0.5 s): "
                f"{'met' if noop <= 0.5 else 'MISSED'} for build, {'met' if run <= 0.5 else 'MISSED'} for run"
            )
        if "edit_one_case" in scen:
            e = scen["edit_one_case"]
            ok = e["runs_reexecuted"] <= e["runs_reading_cases"]
            out.append(
                f"N={res['n_cases']}: one-case edit re-executed {e['runs_reexecuted']}/{e['runs_total']} runs, "
                f"{e['runs_reading_cases']} read the case base: {'met' if ok else 'MISSED'} "
                f"(re-executed without reading cases: {', '.join(e['not_reading_cases_but_reexecuted']) or 'none'})"
            )
    big = by_n.get(max(by_n))
    if big is not None and big is not base:
        ratio = big["scenarios"]["cold"]["median_s"] / base["scenarios"]["cold"]["median_s"]
        html = big["sizes"]["outputs"].get("study.html", 0) / MB
        rss = max(s["peak_pss_mb"] for k, s in big["scenarios"].items() if isinstance(s, dict) and "peak_pss_mb" in s)
        failed = "cold_all_failed" in big["scenarios"]
        out += [
            f"N={big['n_cases']}: cold build {ratio:.1f}x the {base['n_cases']}-case build (target <= 2x): "
            f"{'met' if ratio <= 2 else 'MISSED'}"
            + (f"; and the full build FAILED: {big['scenarios']['cold_all_failed']['error']}" if failed else ""),
            f"N={big['n_cases']}: study.html {html:.2f} MB (target <= 5 MB): {'met' if html <= 5 else 'MISSED'}",
            f"N={big['n_cases']}: peak memory (tree PSS) {rss:.0f} MB over all scenarios (target <= 1536 MB): "
            f"{'met' if rss <= 1536 else 'MISSED'}",
        ]
    parallel, serial = overheads(base)
    if parallel is not None:
        worst = max(parallel, serial if serial is not None else parallel)
        out.append(
            f"N={base['n_cases']}: cold build overhead on kernel work + conversion: {_pct(parallel)} with 2 workers, "
            f"{_pct(serial)} serially (target <= 50 %): {'met' if worst <= 0.5 else 'MISSED'}"
        )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="default,500,5000", help="comma-separated: default and/or numbers of cases")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repeat-large", type=int, default=2, help=f"repetitions for N >= {LARGE}")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"scenarios among {', '.join(SCENARIOS)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")

    mem = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    machine: dict[str, Any] = {
        "cores": os.cpu_count(),
        "memory_gb": round(mem / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "load_start": round(os.getloadavg()[0], 2),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "rss_method": RSS_METHOD,
        "commit": git("rev-parse", "--short", "HEAD"),
        "modified_files": len(git("status", "--short").splitlines()),
    }
    results: list[dict[str, Any]] = []
    tmp = tempfile.TemporaryDirectory(prefix="bench-harness-") if args.keep is None else None
    work = Path(tmp.name) if tmp is not None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            if size == "default":
                data, name = REPO / "data", "default"
            else:
                n = int(size)
                name = f"synthetic-{n}"
                started = time.perf_counter()
                data = generate(n, args.seed, work / f"gen-{n}")
                log(f"[{name}] generated in {time.perf_counter() - started:.1f} s")
            n_cases = len(list((data / "cases").glob("*.yaml")))
            repeat = args.repeat_large if n_cases >= LARGE else args.repeat
            started = time.perf_counter()
            results.append(bench_dataset(name, data, work, repeat, only))
            log(f"[{name}] done in {time.perf_counter() - started:.0f} s")
            machine["load_end"] = round(os.getloadavg()[0], 2)
            save(results, machine)  # after each data set: a long run keeps what it measured
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(markdown(results, machine))
    print()
    print("Targets:")
    for line in targets(results):
        print(f"- {line}")


def git(*args: str) -> str:
    """A read-only git query about the measured tree (other engineers may be editing it)."""
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def save(results: list[dict[str, Any]], machine: dict[str, Any]) -> None:
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    payload = json.dumps({"machine": machine, "results": results}, indent=1, ensure_ascii=False)
    (out / "harness.json").write_text(payload, encoding="utf-8")
    stamp = machine["started"].replace(":", "").replace("-", "")
    (out / f"harness-{stamp}.json").write_text(payload, encoding="utf-8")


if __name__ == "__main__":
    main()
