"""Rendering with real Quarto, when ``quarto`` is on PATH.

``quarto render --profile <p> --output-dir <staging>`` renders the profile's documents in its formats;
the files are then renamed to the deliverable names (``study.pdf``) like those of the embedded engine,
and go through the same guards and atomic publication. The illustrative-data notice is passed as
metadata (``-M cufstudy-notice:...``), which the Typst partials of ``templates/typst/`` print.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from cufstudy.core.errors import RenderError
from cufstudy.core.project import BuildPaths
from cufstudy.render.config import OUTPUT_EXTENSIONS, Deliverable
from cufstudy.render.engine import RenderedFile
from cufstudy.render.shortcodes import embedded_notebooks

__all__ = ["quarto_path", "render_with_quarto"]


def quarto_path() -> str | None:
    """The ``quarto`` executable on PATH, or None."""
    return shutil.which("quarto")


def render_with_quarto(
    deliverable: Deliverable,
    staging: Path,
    notice: str | None = None,
    quarto: str | None = None,
    timeout: float = 900.0,
    env: Mapping[str, str] | None = None,
) -> tuple[list[RenderedFile], float]:
    """Render ``deliverable`` with Quarto into ``staging``; return the files and the seconds taken.

    ``env`` is added to the environment of the Quarto process (and so of its pre- and post-render steps).
    Each file lists the notebooks its document embeds, read with the embedded engine's shortcode parser.
    """
    exe = quarto or quarto_path()
    if exe is None:
        raise RenderError("quarto is not on PATH: install Quarto >= 1.4, or use the embedded engine (--engine pandoc)")
    root = deliverable.root
    out = BuildPaths(root).quarto_output(deliverable.name)
    shutil.rmtree(out, ignore_errors=True)
    rel_out = os.path.relpath(out, root)
    cmd = [exe, "render"]
    if deliverable.config.profiles:
        cmd += ["--profile", ",".join(deliverable.config.profiles)]
    cmd += ["--output-dir", rel_out]
    all_formats = tuple(deliverable.config.get("format", default={}) or ())
    if set(deliverable.formats) != set(all_formats):
        cmd += ["--to", ",".join(deliverable.formats)]
    if notice:
        cmd += ["-M", f"cufstudy-notice:{notice}"]
    environment = {k: v for k, v in os.environ.items() if k != "QUARTO_PROFILE"} | dict(env or {})
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=root, env=environment, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"quarto render of {deliverable.name} took more than {timeout:.0f} s") from exc
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-12:])
        raise RenderError(f"quarto render --profile {deliverable.name} failed:\n{tail}")
    staging.mkdir(parents=True, exist_ok=True)
    files: list[RenderedFile] = []
    for source in deliverable.inputs:
        rel = source.relative_to(root)
        notebooks = embedded_notebooks(source, root)
        for fmt in deliverable.formats:
            ext = OUTPUT_EXTENSIONS[fmt]
            produced = out / rel.with_suffix(f".{ext}")
            if not produced.is_file():
                matches = sorted(out.rglob(f"{source.stem}.{ext}"))
                if not matches:
                    raise RenderError(f"quarto render produced no {ext} for {rel} (looked in {rel_out})")
                produced = matches[0]
            name = deliverable.output_name(source, fmt)
            target = staging / name
            shutil.move(str(produced), target)
            files.append(RenderedFile(deliverable.name, fmt, target, name, notebooks=notebooks))
    shutil.rmtree(out, ignore_errors=True)
    return files, seconds
