"""cProfile of the parts of the pipeline that grow with the number of cases.

Usage::

    .venv/bin/python bench/profile_hotspots.py --n 5000 [--top 25] [--steps load,notebooks,render,leak]

Generates a synthetic base of N cases (``bench/generate.py``) in a throw-away copy of the project, then
profiles, in this process:

``load``       what the first cell of every study notebook does: ``load_cases(data).public()``, ``.frame``
               and ``.recommendations_frame()`` (every notebook but one repeats it);
``notebooks``  every code cell of each notebook of the plan, executed in-process (a namespace per run,
               with its parameters), timed cell by cell; the slowest cells are listed;
``render``     ``cufstudy.render.build(profiles=["study"])`` after ``cufstudy run``: the embedded engine's
               per-step timings (pandoc per format runs as a subprocess: its time shows as waiting);
``leak``       the leak check of the public deliverables (``cufstudy.pipeline.leaks.find_leaks``).

Profiles go to ``bench/out/profile-<step>-<n>.pstats`` (open with ``python -m pstats`` or snakeviz);
the top functions by own time and by cumulative time are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402
from harness import CLI, make_project  # noqa: E402

OUT = HERE / "out"


def profiled(name: str, n: int, func: Callable[[], Any], top: int) -> Any:
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    try:
        result = func()
    finally:
        profiler.disable()
    took = time.perf_counter() - started
    OUT.mkdir(exist_ok=True)
    path = OUT / f"profile-{name}-{n}.pstats"
    profiler.dump_stats(path)
    for order in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(order).print_stats(top)
        text = buffer.getvalue()
        body = text[text.find("   ncalls") :] if "   ncalls" in text else text
        print(f"\n## {name} (N={n}): {took:.2f} s, top {top} by {order} ({path.name})\n{body}")
    return result


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def step_load(project: Path, n: int, top: int) -> None:
    from cufstudy.model.cases import load_cases

    def work() -> None:
        base = load_cases(project / "data").public()
        _ = base.frame
        base.recommendations_frame()

    profiled("load", n, work, top)
    started = time.perf_counter()
    base = load_cases(project / "data")
    t_load = time.perf_counter() - started
    started = time.perf_counter()
    public = base.public()
    t_public = time.perf_counter() - started
    started = time.perf_counter()
    _ = public.frame
    t_frame = time.perf_counter() - started
    print(f"load_cases {t_load:.2f} s, .public() {t_public:.2f} s, .frame {t_frame:.2f} s (N={n})")


def step_notebooks(project: Path, n: int, top: int) -> None:
    """Run each notebook's cells in-process (no kernel), timing each cell."""
    import nbformat

    from cufstudy.pipeline.plan import load_plan

    plan = load_plan(project)
    timings: list[tuple[float, str, int, str]] = []

    def work() -> None:
        for run in plan.runs:
            nb: Any = nbformat.read(project / run.notebook, as_version=4)  # type: ignore[no-untyped-call]
            namespace: dict[str, Any] = {"__name__": "__main__"}
            with chdir(project), contextlib.redirect_stdout(io.StringIO()):
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    source = "\n".join(
                        line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
                    )
                    started = time.perf_counter()
                    exec(compile(source, f"{run.notebook}#{index}", "exec"), namespace)
                    if "parameters" in cell.metadata.get("tags", []):
                        namespace.update(run.parameters)
                    first = next((line for line in cell.source.splitlines() if line.strip()), "")
                    timings.append((time.perf_counter() - started, Path(run.output).stem, index, first[:70]))

    profiled("notebooks", n, work, top)
    print(f"\nslowest cells (N={n}), in-process, one run after the other:")
    for seconds, run_name, index, first in sorted(timings, reverse=True)[:15]:
        print(f"  {seconds:6.2f} s  {run_name} cell {index}: {first}")
    print(f"  total {sum(t for t, *_ in timings):.1f} s over {len(timings)} cells")


def step_render(project: Path, n: int, top: int) -> None:
    from cufstudy.pipeline.checks import ILLUSTRATIVE_NOTICE
    from cufstudy.pipeline.publish import render_deliverables as build

    subprocess.run([CLI, "run", "--project", str(project), "--no-progress"], check=True, capture_output=True)
    report = profiled(
        "render",
        n,
        lambda: build(project, ["study"], engine="pandoc", notice=ILLUSTRATIVE_NOTICE, reuse=False),
        top,
    )
    print(json.dumps({k: round(v, 2) for k, v in report.timings.items()}))
    print(report.summary())


def step_leak(project: Path, n: int, top: int) -> None:
    from cufstudy.core.errors import CufstudyError
    from cufstudy.model.cases import load_cases
    from cufstudy.pipeline.checks import ILLUSTRATIVE_NOTICE
    from cufstudy.pipeline.leaks import find_leaks
    from cufstudy.pipeline.publish import render_deliverables as build
    from cufstudy.render import deliverables
    from cufstudy.render.shortcodes import embedded_notebooks

    if not (project / "_build" / "manifest.json").is_file():
        subprocess.run([CLI, "run", "--project", str(project), "--no-progress"], check=True, capture_output=True)
    secrets = load_cases(project / "data").confidential_values()
    files: list[Path] = []
    for deliverable in deliverables(project, None, None):
        if not deliverable.public:
            continue
        try:  # rendered without the build's leak check, which is what is profiled here
            report = build(project, [deliverable.name], engine="pandoc", notice=ILLUSTRATIVE_NOTICE, reuse=False)
        except CufstudyError as exc:
            print(f"{deliverable.name}: not rendered ({str(exc).splitlines()[0]}); left out of the leak check")
            continue
        files += [out.path for out in report.outputs]
        files += [nb for src in deliverable.inputs for nb in embedded_notebooks(src, project) if nb.is_file()]
    print(f"leak check: {len(secrets)} confidential values, {len(files)} files")
    profiled("leak", n, lambda: find_leaks(files, secrets), top)


STEPS: dict[str, Callable[[Path, int, int], None]] = {
    "load": step_load,
    "notebooks": step_notebooks,
    "render": step_render,
    "leak": step_leak,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--steps", default="load,notebooks,render,leak")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        data = generate(args.n, args.seed, Path(tmp) / "gen")
        project = make_project(Path(tmp) / "project", data)
        shutil.rmtree(Path(tmp) / "gen")
        for step in args.steps.split(","):
            STEPS[step.strip()](project, args.n, args.top)


if __name__ == "__main__":
    main()
