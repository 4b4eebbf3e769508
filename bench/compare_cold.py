"""This checkout against an older commit, side by side (ABAB): cold build, edits, no-op, notebook sizes, engines.

Usage::

    .venv/bin/python bench/compare_cold.py                       # against c24980c, 2 repetitions
    .venv/bin/python bench/compare_cold.py --old c24980c --repeat 3 --large 5000 --engines study

The older commit is extracted with ``git archive`` into a temporary folder: its project (``_quarto*.yml``,
``notebooks/``, ``reports/``, ``templates/``, ``data/``) is what it builds, its ``cufstudy/`` is first on
``PYTHONPATH`` (the CLI, and the kernels, which inherit the environment, import it); this checkout's last
commit (``HEAD``, extracted the same way: editing the worktree during the run changes nothing) builds its own
project with its own library. Both use this virtual environment. For each repetition, old and new
alternate (old first in even repetitions, new first in odd ones), each in a fresh copy:

``cold``     ``cufstudy build --engine pandoc`` of every deliverable, no ``_build/`` (the executed notebooks'
             total size is read after it);
``noop``     ``cufstudy build`` again 2.5 s later, nothing changed: the fast answer of
             ``cufstudy.pipeline.uptodate`` where the build that did the work recorded it (this checkout), else
             the full check of contents (which records it, where the library has one);
``again``    ``cufstudy build`` once more, nothing changed: the fast answer, where the library has one;
``case``     one case file's ambition changed, then ``cufstudy build``;
``prose``    a sentence appended to the guide's text, then ``cufstudy build`` (which deliverables were
             rendered again is read from its report);

``--large N``: a synthetic base of N authorities (``bench/generate.py``, seed 1) in both projects, one cold build
each (timed, not repeated) and ``--repeat`` no-op builds each, interleaved. ``--engines P``: on this checkout's
cold copy, the embedded engine's rendering of profile P (no checks) against ``quarto render --profile P``
(``$CUFSTUDY_QUARTO``, default ``/opt/quarto-rig/bin/quarto``) of the same executed notebooks, interleaved.

Every figure is printed with the load average (1 min) when it was taken: the machine may be shared, the ratios
of figures taken side by side are what counts. Raw figures: ``bench/out/compare-<time>.json``.
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
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from profile_build import CLI_CMD, copy_project  # noqa: E402

Samples = dict[str, list[dict[str, Any]]]


def log(message: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return {"seconds": seconds, "load": load, "stdout": proc.stdout}


def build(cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    return timed([*CLI_CMD, "build", "--engine", "pandoc", "--no-progress"], cwd, env)


def rendered_of(stdout: str) -> list[str]:
    """The deliverables a build rendered again (those not listed as up to date)."""
    text = " ".join(stdout.split())
    m = re.search(r"up to date \(inputs unchanged, not rendered again\): ([\w, -]+?)(?: /|$| \S+\.)", text)
    reused = {s.strip() for s in m.group(1).split(",")} if m else set()
    every = {"brochure", "guide", "study", "toolbox"}
    return sorted(every - reused) if "built 0 file(s)" not in text else []


def notebooks_size(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / "_build" / "notebooks").glob("*.ipynb"))


def edit_case(root: Path) -> str:
    files = sorted((root / "data" / "cases").glob("*.yaml"))
    target = next((f for f in files if "commune" in f.name or "ville" in f.name), files[0])
    text = target.read_text(encoding="utf-8")
    old = int(re.search(r"^  ambition: (\d)", text, re.M).group(1))  # type: ignore[union-attr]
    target.write_text(re.sub(r"^  ambition: \d", f"  ambition: {old % 4 + 1}", text, count=1, flags=re.M))
    return target.name


def edit_prose(root: Path, n: int) -> None:
    guide = root / "reports" / "guide" / "guide.qmd"
    # no digit: a number typed in the prose is refused (cite a fact instead)
    guide.write_text(guide.read_text(encoding="utf-8") + "\nUne phrase ajoutée pour la mesure" + ", encore" * n + ".\n")


def summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    xs = [s["seconds"] for s in samples]
    return {
        "median": statistics.median(xs),
        "min": min(xs),
        "max": max(xs),
        "n": len(xs),
        "loads": [round(s["load"], 1) for s in samples],
    }


ENGINES = r"""
import json, os, sys, time
from pathlib import Path
from cufstudy.core.project import project_of
from cufstudy.pipeline.lock import child_environment, project_lock
from cufstudy.render.chart_images import fill_for_quarto
from cufstudy.render.config import deliverables
from cufstudy.render.engine import EmbeddedEngine
from cufstudy.render.quarto import render_with_quarto
project = project_of(Path(sys.argv[1]))
(deliverable,) = deliverables(project, [sys.argv[2]])
repeat = int(sys.argv[3])
out = {"embedded": [], "quarto": []}
with project_lock(project):
    fill_for_quarto(project.root, [deliverable], project.paths.cache / "charts")  # the same notebooks for both
    env = child_environment(project)
    for i in range(repeat):
        for side in (("embedded", "quarto") if i % 2 == 0 else ("quarto", "embedded")):
            work = project.paths.build / f"engines-{i}-{side}"
            load = os.getloadavg()[0]
            started = time.perf_counter()
            if side == "embedded":
                EmbeddedEngine(project.root, work).render(deliverable, work / "staging")
            else:
                render_with_quarto(deliverable, work / "staging", env=env)
            out[side].append({"seconds": time.perf_counter() - started, "load": load})
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="c24980c", help="the commit to compare with (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", default="cold,noop,again,case,prose", help="scenarios (comma-separated)")
    parser.add_argument("--large", type=int, default=0, help="also the no-op at N synthetic authorities")
    parser.add_argument("--engines", default="", help="profile(s) for embedded vs quarto render (comma-separated)")
    parser.add_argument("--engine-repeat", type=int, default=3)
    args = parser.parse_args()
    only = set(args.only.split(","))
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    result: dict[str, Any] = {"old": args.old, "new": _head(), "started": dt.datetime.now(dt.UTC).isoformat()}
    with tempfile.TemporaryDirectory(prefix="cufstudy-compare-") as tmp:
        base = Path(tmp)
        old_tree = base / "old-tree"
        old_tree.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.old], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive.stdout, check=True)
        new_tree = base / "new-tree"  # this checkout's last commit: editing the worktree meanwhile changes nothing
        new_tree.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(new_tree)], input=archive.stdout, check=True)
        clean = {k: v for k, v in os.environ.items() if k not in ("CUFSTUDY_LOCK_HELD", "PYTHONPATH")}
        sides = {
            "old": (old_tree, dict(clean, PYTHONPATH=str(old_tree))),
            "new": (new_tree, dict(clean, PYTHONPATH=str(new_tree))),
        }
        samples: dict[str, Samples] = {s: {} for s in sides}
        sizes: dict[str, list[int]] = {s: [] for s in sides}
        prose_rendered: dict[str, list[list[str]]] = {s: [] for s in sides}
        last_copy: dict[str, Path] = {}
        for rep in range(args.repeat):
            for side in ("old", "new") if rep % 2 == 0 else ("new", "old"):
                source, env = sides[side]
                root = copy_project(source, base / f"{side}-{rep}")
                last_copy[side] = root
                for name in ("cold", "noop", "again", "case", "prose"):
                    if name not in only and name != "cold":
                        continue
                    if name == "noop":  # as an analyst's next command comes: the outputs have settled
                        time.sleep(2.5)
                    if name == "case":
                        edit_case(root)
                    elif name == "prose":
                        edit_prose(root, rep)
                    sample = build(root, env)
                    if name == "prose":
                        prose_rendered[side].append(rendered_of(sample["stdout"]))
                    if name == "cold":
                        sizes[side].append(notebooks_size(root))
                    sample.pop("stdout")
                    samples[side].setdefault(name, []).append(sample)
                    log(f"{side} rep {rep} {name}: {sample['seconds']:.1f} s (load {sample['load']:.1f})")
        result["scenarios"] = {s: {k: summary(v) for k, v in samples[s].items()} for s in sides}
        result["notebooks_bytes"] = sizes
        result["prose_rendered"] = prose_rendered
        path = out / f"compare-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(result, indent=1), encoding="utf-8")  # saved after each stage
        if args.engines and "new" in last_copy:
            result["engines"] = {}
            for profile in args.engines.split(","):
                env = dict(sides["new"][1])
                env.setdefault("CUFSTUDY_QUARTO", "/opt/quarto-rig/bin/quarto")
                proc = subprocess.run(
                    [sys.executable, "-c", ENGINES, str(last_copy["new"]), profile, str(args.engine_repeat)],
                    env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
                data = json.loads(proc.stdout.strip().splitlines()[-1])
                result["engines"][profile] = {k: summary(v) for k, v in data.items()}
                log(f"engines {profile}: {result['engines'][profile]}")
                path.write_text(json.dumps(result, indent=1), encoding="utf-8")
        if args.large:
            result["large"] = _large(args, base, sides)
    result["finished"] = dt.datetime.now(dt.UTC).isoformat()
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print_table(result)
    print(f"\nraw figures: {path}")


def _large(args: argparse.Namespace, base: Path, sides: dict[str, tuple[Path, dict[str, str]]]) -> dict[str, Any]:
    from generate import keep_selected

    roots = {}
    res: dict[str, Any] = {"n": args.large, "cold": {}, "noop": {}}
    for side, (source, env) in sides.items():
        # each side's own generator and library: the reference data a synthetic base carries is the side's
        data = base / f"g{args.large}-{side}"
        generator = source / "bench" / "generate.py"
        subprocess.run(
            [sys.executable, str(generator), "--n", str(args.large), "--seed", "1", "--out", str(data)],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
        root = copy_project(source, base / f"{side}-large")
        shutil.rmtree(root / "data")
        shutil.copytree(data / "data", root / "data")  # generate.py writes OUT/data
        # the comparison cases the fieldwork selection names, which c24980c's generate.py did not copy (its
        # terrain notebook then rejected the base): this checkout's helper, on the side's own data
        keep_selected(source / "data", root / "data" / "cases")
        time.sleep(2.5)  # as an analyst's build comes, not within 2 s of the last save (pipeline.uptodate)
        try:
            sample = build(root, env)
        except SystemExit as exc:  # that side's build fails at this size: said, and the other side measured
            res["cold"][side] = {"failed": str(exc).strip().splitlines()[-1]}
            log(f"{side} N={args.large} cold: failed: {res['cold'][side]['failed']}")
            continue
        sample.pop("stdout")
        res["cold"][side] = sample
        roots[side] = root
        log(f"{side} N={args.large} cold: {sample['seconds']:.1f} s (load {sample['load']:.1f})")
    noop: dict[str, list[dict[str, Any]]] = {s: [] for s in roots}
    time.sleep(2.5)  # the outputs settle: where the cold build recorded nothing, the first no-op checks contents
    for rep in range(max(3, args.repeat)):
        for side in [s for s in (("old", "new") if rep % 2 == 0 else ("new", "old")) if s in roots]:
            sample = build(roots[side], sides[side][1])
            if "built 0 file(s)" not in " ".join(sample["stdout"].split()):
                log(f"{side} N={args.large} no-op rendered something; kept anyway")
            sample.pop("stdout")
            noop[side].append(sample)
            log(f"{side} N={args.large} no-op: {sample['seconds']:.2f} s (load {sample['load']:.1f})")
    res["noop"] = {s: summary(v) for s, v in noop.items()}
    res["first_noop"] = {s: v[0]["seconds"] for s, v in noop.items()}  # right after the cold build
    return res


def _head() -> str:
    proc = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip()


def _cell(s: dict[str, Any]) -> str:
    loads = "-".join(f"{x:.0f}" for x in (min(s["loads"]), max(s["loads"])))
    return f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f}) [load {loads}]"


def print_table(result: dict[str, Any]) -> None:
    old, new = result["scenarios"]["old"], result["scenarios"]["new"]
    print(f"\n| scenario | {result['old']} median (min-max) [load] | {result['new']} (this branch) | ratio new/old |")
    print("|---|---:|---:|---:|")
    for name in ("cold", "noop", "again", "case", "prose"):
        if name in old and name in new:
            ratio = new[name]["median"] / old[name]["median"]
            print(f"| {name} | {_cell(old[name])} | {_cell(new[name])} | {ratio:.2f} |")
    sizes = result["notebooks_bytes"]
    if sizes["old"] and sizes["new"]:
        print(f"| executed notebooks MB | {max(sizes['old']) / 1e6:.2f} | {max(sizes['new']) / 1e6:.2f} | "
              f"{max(sizes['new']) / max(sizes['old']):.2f} |")  # fmt: skip
    print(f"\nprose edit re-rendered: old {result['prose_rendered']['old']}, new {result['prose_rendered']['new']}")
    if "large" in result:
        large = result["large"]
        for side in ("old", "new"):
            cold = large["cold"].get(side, {})
            if "failed" in cold:
                print(f"\nN = {large['n']}, {side}: the cold build failed: {cold['failed']}")
            elif side in large["noop"]:
                print(f"\nN = {large['n']}, {side}: cold {cold['seconds']:.1f} s; first no-op "
                      f"{large['first_noop'][side]:.2f} s; no-op {_cell(large['noop'][side])}")  # fmt: skip
    for profile, data in result.get("engines", {}).items():
        ratio = data["quarto"]["median"] / data["embedded"]["median"]
        print(
            f"\n{profile}: embedded {_cell(data['embedded'])}, quarto {_cell(data['quarto'])}: "
            f"quarto/embedded {ratio:.2f}"
        )


if __name__ == "__main__":
    main()
