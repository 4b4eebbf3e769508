"""Rendering with real Quarto.

``quarto render --profile <p> --output-dir <staging>`` renders the profile's documents in its formats,
with the project's own ``pre-render`` (``cufstudy run``) and ``post-render`` (``cufstudy check``) steps.
The files are then named after the deliverable (``study.pdf``), like those of the embedded engine, and go
through the same checks and atomic publication. The notice, the French typography, the Typst partials and
the DOCX charts come from the project's ``_extensions/cufstudy/`` (:mod:`cufstudy.render.extension`), as
for a plain ``quarto render``. Under ``cufstudy build`` the post-render step leaves checking and publishing
to the build (it sees the build's lock handshake, :mod:`cufstudy.pipeline.lock`, in its environment).

Quarto is found through ``$CUFSTUDY_QUARTO`` (the path of a ``quarto`` executable), else on ``PATH``.
When Quarto fails, the error names the profile and quotes Quarto's own error lines (a Typst or Lua
error, a missing file), not the stack trace that follows them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cufstudy.core.errors import RenderError
from cufstudy.core.project import BuildPaths
from cufstudy.render.config import OUTPUT_EXTENSIONS, Deliverable
from cufstudy.render.engine import RenderedFile
from cufstudy.render.shortcodes import embedded_notebooks

__all__ = [
    "QUARTO_ENV",
    "QuartoRender",
    "quarto_error",
    "quarto_outputs",
    "quarto_path",
    "quarto_warnings",
    "render_with_quarto",
]

#: the environment variable naming the ``quarto`` executable to use (else ``quarto`` on PATH)
QUARTO_ENV = "CUFSTUDY_QUARTO"

# the lines that start an error message: "error: ..." (Typst, after its progress line), "ERROR: ..." (Quarto),
# "Error running filter X:" (pandoc, the Lua message follows), "FATAL (file:line) An error occurred:" (Quarto's Lua)
_ERROR_START = re.compile(
    r"(?:^|\.\.\.)\s*(?:(?:ERROR|error)(?:\s*\[[^\]]*\])?:\s*(?P<msg>.*)"
    r"|(?P<filter>Error running filter \S+:)|FATAL \([^)]*\)\s*(?P<fatal>.*))$"
)
_STACK = re.compile(r"^\s+at\s|^\s*stack traceback:|^\s*\[C\]:|^\s*\S+\.lua:\d+: in ")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WARNING = re.compile(r"^\s*(?:\[WARNING\]|WARNING(?: \([^)]*\))?:|warning:)\s*(.*)$")


def quarto_path() -> str | None:
    """The Quarto executable: ``$CUFSTUDY_QUARTO`` if set (and executable), else ``quarto`` on PATH, else None."""
    env = os.environ.get(QUARTO_ENV)
    if env:
        found = shutil.which(env)
        return found
    return shutil.which("quarto")


def quarto_error(output: str, limit: int = 12) -> str:
    """Quarto's own error lines in its output (the root cause), without stack traces.

    Examples
    --------
    >>> quarto_error("[typst]: Compiling x.typ...error: unknown variable: foo\\n  = hint: …\\n"
    ...              "ERROR: Error\\n    at Object.complete (file:///q/output-typst.ts:80:13)\\n")
    'error: unknown variable: foo\\n  = hint: …'
    """
    lines = [_ANSI.sub("", line).rstrip() for line in output.splitlines()]
    found: list[str] = []
    i = 0
    while i < len(lines) and len(found) < limit:
        match = _ERROR_START.search(lines[i])
        head = None
        if match and match.group("msg") is not None and match.group("msg").strip() not in ("", "Error"):
            head = f"error: {match.group('msg').strip()}"
        elif match and (match.group("filter") or match.group("fatal")):
            head = (match.group("filter") or match.group("fatal")).strip()
        if head is None:
            i += 1
            continue
        found.append(head)
        i += 1
        while i < len(lines) and lines[i].strip() and not _STACK.search(lines[i]):
            if _ERROR_START.search(lines[i]) or _WARNING.match(lines[i]):
                break
            found.append(lines[i])
            i += 1
    if found:
        return "\n".join(dict.fromkeys(found[:limit]))
    kept = [ln.rstrip() for ln in lines if ln.strip() and not _STACK.search(ln) and ln.strip() != "ERROR: Error"]
    return "\n".join(kept[-limit:]) or "no error message"


def quarto_warnings(output: str) -> list[str]:
    """The warnings in Quarto's output (pandoc's ``[WARNING]``, Typst's ``warning:``, Quarto's ``WARNING:``)."""
    found = []
    for line in output.splitlines():
        # Typst's warnings follow the progress line on the same line: "...Compiling x.typ...warning: ..."
        tail = line.split("...")[-1] if "...warning:" in line else line
        match = _WARNING.match(tail)
        if match and match.group(1).strip():
            found.append(match.group(1).strip())
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class QuartoRender:
    """The outcome of one ``quarto render``: the staged files, the seconds it took, Quarto's warnings."""

    files: tuple[RenderedFile, ...]
    seconds: float
    warnings: tuple[str, ...]


def _environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Quarto's environment: ``QUARTO_PROFILE`` removed (the profile is passed explicitly), this Python's
    scripts first on PATH (the pre- and post-render steps run this cufstudy), then ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "QUARTO_PROFILE"}
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([scripts, *(p for p in env.get("PATH", "").split(os.pathsep) if p and p != scripts)])
    return env | dict(extra or {})


def quarto_outputs(
    deliverable: Deliverable, rendered: Sequence[Path], output_dir: Path, *, every_format: bool = True
) -> dict[Path, tuple[Path, str]]:
    """Which file Quarto rendered for each source and format of ``deliverable``.

    Parameters
    ----------
    deliverable
        The profile's deliverable.
    rendered
        The files Quarto rendered, absolute or relative to the project.
    output_dir
        The folder Quarto rendered into (``project: output-dir:`` or ``--output-dir``).
    every_format
        Every format of the deliverable must have been rendered (False: ``quarto render --to pdf``, say).

    Returns
    -------
    dict
        Rendered file -> (its source document, its format), for the formats the deliverable has.

    Raises
    ------
    RenderError
        ``every_format`` and a format of the deliverable has no rendered file.
    """
    root = deliverable.root
    files = [(p if p.is_absolute() else root / p).resolve() for p in rendered]
    found: dict[Path, tuple[Path, str]] = {}
    for source in deliverable.inputs:
        rel = source.resolve().relative_to(root)
        for fmt in deliverable.formats:
            ext = OUTPUT_EXTENSIONS[fmt]
            expected = (output_dir / rel.with_suffix(f".{ext}")).resolve()
            same = [f for f in files if f == expected] or [f for f in files if f.name == expected.name]
            if same and same[0].is_file():
                found[same[0]] = (source, fmt)
            elif every_format:
                shown = os.path.relpath(expected, root)
                raise RenderError(f"quarto render --profile {deliverable.name} produced no {ext} ({shown} is missing)")
    return found


def render_with_quarto(
    deliverable: Deliverable,
    staging: Path,
    quarto: str | None = None,
    timeout: float = 1800.0,
    env: Mapping[str, str] | None = None,
) -> QuartoRender:
    """Render ``deliverable`` with Quarto into ``staging`` (files named after the deliverable).

    ``env`` is added to the environment of the Quarto process (and so of its pre- and post-render steps).
    Each file lists the notebooks its document embeds, read with the embedded engine's shortcode parser.

    Raises
    ------
    RenderError
        Quarto is not found, fails (its own error lines are quoted) or produces no file for a format.
    """
    exe = quarto or quarto_path()
    if exe is None:
        raise RenderError(
            f"quarto is not on PATH (nor named by ${QUARTO_ENV}): install Quarto >= 1.7, or use the embedded "
            "engine (--engine pandoc)"
        )
    root = deliverable.root
    out = BuildPaths(root).quarto_output(deliverable.name)
    shutil.rmtree(out, ignore_errors=True)
    cmd = [exe, "render"]
    if deliverable.config.profiles:
        cmd += ["--profile", ",".join(deliverable.config.profiles)]
    cmd += ["--output-dir", os.path.relpath(out, root)]
    all_formats = tuple(deliverable.config.get("format", default={}) or ())
    if set(deliverable.formats) != set(all_formats):
        cmd += ["--to", ",".join(deliverable.formats)]
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=root, env=_environment(env), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"quarto render --profile {deliverable.name} took more than {timeout:.0f} s") from exc
    except OSError as exc:
        raise RenderError(f"cannot run {exe}: {exc}") from exc
    seconds = time.perf_counter() - started
    output = "\n".join(part for part in (proc.stdout, proc.stderr) if part)
    if proc.returncode != 0:
        raise RenderError(f"quarto render --profile {deliverable.name} failed:\n{quarto_error(output)}")
    produced = [p for p in out.rglob("*") if p.is_file()]
    staging.mkdir(parents=True, exist_ok=True)
    files = []
    for path, (source, fmt) in quarto_outputs(deliverable, produced, out).items():
        name = deliverable.output_name(source, fmt)
        target = staging / name
        shutil.move(str(path), target)
        notebooks = embedded_notebooks(source, root)
        files.append(RenderedFile(deliverable.name, fmt, target, name, notebooks=notebooks))
    shutil.rmtree(out, ignore_errors=True)
    return QuartoRender(tuple(files), seconds, tuple(quarto_warnings(output)))
