"""The architecture: each layer imports only the layers below it, and there is no import cycle.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and are checked with import-linter:
``cli > pipeline > render > notebook > study | sdg > model > core`` (``study`` and ``sdg`` independent of
each other), and ``acyclic_siblings`` at every depth of the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)} if pythonpath else dict(os.environ)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_package_respects_its_layers_and_has_no_import_cycle() -> None:
    proc = _lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 2 kept, 0 broken." in proc.stdout


def test_a_core_module_importing_the_cli_breaks_both_contracts(tmp_path: Path) -> None:
    # a copy of the package, found before the installed one, with one import against the layers
    shutil.copytree(ROOT / "cufstudy", tmp_path / "cufstudy", ignore=shutil.ignore_patterns("__pycache__"))
    errors = tmp_path / "cufstudy" / "core" / "errors.py"
    errors.write_text(errors.read_text(encoding="utf-8") + "\nfrom cufstudy import cli  # noqa\n", encoding="utf-8")
    proc = _lint(tmp_path, pythonpath=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cufstudy.core is not allowed to import cufstudy.cli" in proc.stdout
    assert "No cycles are allowed in cufstudy" in proc.stdout
