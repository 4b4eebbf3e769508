"""The import cell of some notebooks in a fresh interpreter: an older commit against this checkout, ABAB.

Usage::

    .venv/bin/python bench/bench_imports.py                 # against main's a9bfd7f, 6 repetitions
    .venv/bin/python bench/bench_imports.py --old c24980c --repeat 10

The older commit's ``cufstudy/`` is extracted (``git archive``) into a temporary folder put first on
``PYTHONPATH``; each sample is one interpreter running the notebook's own import lines (what its first code
cell imports before ``setup``), interleaved old/new so a change of machine load hits both alike. Prints the
median, min and max per notebook and the load average before and after, and which heavy modules each side
loaded.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("typologie", "guide_ressources", "methode", "entretiens", "terrain")
HEAVY = ("prince", "scipy", "sklearn", "altair", "openpyxl", "vl_convert")


def import_lines(notebook: Path) -> str:
    """The top-level import statements of the notebook's first code cell that imports anything."""
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        nodes = [n for n in ast.parse(source).body if isinstance(n, ast.Import | ast.ImportFrom)]
        if nodes:
            return "\n".join(ast.unparse(n) for n in nodes)
    return ""


def sample(code: str, env: dict[str, str], cwd: str) -> tuple[float, list[str]]:
    probe = f"import sys, time\n_t = time.perf_counter()\n{code}\n_d = time.perf_counter() - _t\n"
    probe += f"print(_d, *[m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=cwd, capture_output=True, text=True, check=True)
    first, *mods = out.stdout.split()
    return float(first), mods


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="a9bfd7f", help="the commit to compare with (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp, "old")
        old.mkdir()
        git = ["git", "-C", str(REPO), "archive", args.old, "cufstudy"]
        archive = subprocess.run(git, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        neutral = Path(tmp, "cwd")  # `python -c` puts the working folder first on sys.path
        neutral.mkdir()
        envs = {"old": dict(os.environ, PYTHONPATH=str(old)), "new": dict(os.environ)}
        envs["new"].pop("PYTHONPATH", None)
        cells = {name: import_lines(REPO / "notebooks" / f"{name}.ipynb") for name in NOTEBOOKS}
        times: dict[tuple[str, str], list[float]] = {(n, v): [] for n in cells for v in envs}
        loaded: dict[tuple[str, str], list[str]] = {}
        print("load average before:", os.getloadavg())
        for rep in range(args.repeat):
            for name, code in cells.items():
                for side in ("old", "new") if rep % 2 == 0 else ("new", "old"):
                    seconds, mods = sample(code, envs[side], str(neutral))
                    times[name, side].append(seconds)
                    loaded[name, side] = mods
        print("load average after: ", os.getloadavg())
        for (name, side), xs in times.items():
            label = args.old if side == "old" else "this checkout"
            print(
                f"{name:18} {label:14} median {statistics.median(xs):5.2f} s  min {min(xs):5.2f}  max {max(xs):5.2f}"
                f"  loads {' '.join(loaded[name, side]) or '-'}"
            )


if __name__ == "__main__":
    main()
