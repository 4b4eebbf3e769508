"""The study notebooks run unchanged with the plain papermill CLI, one run per tier, with correct figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cufstudy.model.cases import load_cases
from cufstudy.model.vocab import TierGroup
from cufstudy.notebook.facts import facts_from_notebook

from .conftest import DATA, ROOT

TIERS = ["commune", "epci", "departement", "region"]


def test_profil_niveau_per_tier_with_papermill_cli(tmp_path: Path) -> None:
    papermill = Path(sys.executable).with_name("papermill")
    procs = {}
    for tier in TIERS:
        env = {**os.environ, "CUFSTUDY_FACTS": str(tmp_path / f"facts-{tier}.json")}
        out = tmp_path / f"profil_niveau-{tier}.ipynb"
        cmd = [str(papermill), "notebooks/profil_niveau.ipynb", str(out), "-p", "tier", tier, "--no-progress-bar"]
        procs[tier] = (subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT), out)
    base = load_cases(DATA)
    seen = set()
    for tier, (proc, out) in procs.items():
        log = proc.communicate(timeout=300)[0].decode()
        assert proc.returncode == 0, log
        recorded = {f.key: f for f in facts_from_notebook(json.loads(out.read_text(encoding="utf-8")))}
        # a tier's profile is that of its DCOL strategy missions (the analysis population)
        cases = [c for c in base.population("dcol") if c.authority.group is TierGroup(tier)]
        assert recorded[f"niveau.{tier}.n_cases"].value == len(cases)
        expected = round(sum(int(c.strategy.ambition) for c in cases) / len(cases), 1)
        assert recorded[f"niveau.{tier}.mean_ambition"].value == expected
        assessed = [r for c in cases for r in c.recommendations if r.follow_up]
        rate = round(
            100 * sum(r.follow_up.status.value == "implemented" for r in assessed if r.follow_up) / len(assessed), 1
        )
        assert recorded[f"niveau.{tier}.share_implemented"].value == rate
        # the store the notebook wrote live holds the same facts
        store = json.loads((tmp_path / f"facts-{tier}.json").read_text(encoding="utf-8"))["facts"]
        assert store[f"niveau.{tier}.n_cases"]["value"] == len(cases)
        seen.add((len(cases), expected))
    assert len(seen) > 1  # the tiers really differ


def test_source_notebooks_are_stored_without_outputs() -> None:
    with_outputs, without_parameters = [], []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        if any(c.get("outputs") or c.get("execution_count") is not None for c in code):
            with_outputs.append(f"notebooks/{path.name}")
        if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in code):
            without_parameters.append(f"notebooks/{path.name}")
    assert not with_outputs, (
        f"{', '.join(with_outputs)}: saved with outputs (a run in JupyterLab); strip them with "
        f"`make strip` (or .venv/bin/nbstripout {' '.join(with_outputs)}), and run `make hooks` once so that "
        "git strips them on every commit"
    )
    assert not without_parameters, f"{', '.join(without_parameters)}: no cell tagged 'parameters'"
