"""Static images of the notebooks' charts: drawn outside the kernels, once, for the formats being built.

A notebook records a chart as its Vega-Lite specification only (:func:`cufstudy.notebook.charts.mime_bundle`):
JupyterLab draws it, the embedded engine's HTML draws it in the page. A PDF needs an SVG, a DOCX a PNG,
Quarto an SVG (and the PNG its DOCX and HTML filter puts in place of it). :class:`ChartImages` draws them
after the runs, for the formats being built only, in parallel, and keeps every image in
``_build/cache/charts/`` under the hash of what it is drawn from (:func:`image_key`: the specification, the
kind, the pixel density, the vl-convert version, the fonts and the exporter's code), so the same chart in two
deliverables, or unchanged since the last build, is drawn once.

The images are those of :func:`cufstudy.notebook.charts.vega.spec_to_svg` / :func:`spec_to_png`: the same
locale, fonts and renumbered clip-path ids, so the same spec gives the same bytes in any process, in any order.
vl-convert draws one chart at a time in a process (one JavaScript worker; its rasteriser holds the GIL: two
threads draw no faster than one), so :meth:`ChartImages.prepare` draws in fresh interpreters.

:func:`fill_notebooks` writes the images into the executed notebooks a Quarto render embeds (Quarto reads the
cells' outputs itself and cannot put a Vega-Lite spec in a PDF).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import hashlib
import json
import os
import queue
import re
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from cufstudy.core.atomic import atomic_write_bytes

__all__ = [
    "PNG_SCALE",
    "ChartDrawer",
    "ChartImage",
    "ChartImages",
    "Kind",
    "chart_cells",
    "chart_renderer",
    "chart_requests",
    "fill_for_quarto",
    "fill_notebook",
    "fill_notebooks",
    "image_key",
    "kinds_for",
    "notebook_requests",
    "spec_of",
    "vegalite_outputs",
]

Kind = Literal["svg", "png"]
PNG_SCALE: float = 4.0
"""Pixels a CSS pixel of a chart's PNG: 384 dpi at the chart's natural size, print grade in a DOCX."""
_Task = tuple[dict[str, Any], list[Kind], float, bytes | None]
"""A drawing: the spec, the kinds wanted, the PNG scale, and its SVG when drawn already."""
_VEGALITE = re.compile(r"^application/vnd\.vegalite\.v(\d+)[+.]json$")
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"')


@dataclass(frozen=True)
class ChartImage:
    """A chart drawn as ``kind``, and its natural size in CSS pixels."""

    kind: Kind
    data: bytes
    width: float | None
    height: float | None

    @classmethod
    def of(cls, kind: Kind, data: bytes, scale: float = PNG_SCALE) -> ChartImage:
        if kind == "png":
            if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
                w, h = struct.unpack(">II", data[16:24])
                return cls(kind, data, w / scale, h / scale)
            return cls(kind, data, None, None)
        m = _SVG_SIZE.search(data[:2000].decode("utf-8", errors="replace"))
        return cls(kind, data, float(m.group(1)), float(m.group(2))) if m else cls(kind, data, None, None)


def kinds_for(fmt: str, engine: str = "pandoc") -> tuple[Kind, ...]:
    """The images a format needs of each chart: the embedded engine's PDF an SVG, its DOCX a PNG, its HTML
    none (the page draws the spec); Quarto an SVG for every format, and the PNG its filter puts in place of
    the SVG in a DOCX or an HTML page."""
    if engine == "quarto":
        return ("svg",) if fmt == "typst" else ("svg", "png")
    needs: dict[str, tuple[Kind, ...]] = {"typst": ("svg",), "docx": ("png",)}
    return needs.get(fmt, ())


@cache
def chart_renderer() -> str:
    """What a chart image depends on besides its spec: the vl-convert version and the exporter's code.

    Cheap (vl-convert is not imported): part of every image's key and of every deliverable's render stamp
    (:func:`cufstudy.render._stamp.deliverable_digest`), so a new vl-convert draws and renders again.
    """
    from importlib import metadata

    try:
        version = metadata.version("vl-convert-python")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        version = "absent"
    code = hashlib.sha256()
    from cufstudy.notebook.charts import vega

    for module in (vega.__file__, __file__):
        with contextlib.suppress(OSError, TypeError):
            code.update(Path(str(module)).read_bytes())
    return f"vl-convert-python {version} {code.hexdigest()[:16]}"


def _font_folders() -> tuple[Path, ...]:
    from cufstudy.notebook.charts.vega import _FONT_FOLDERS, font_dir

    shipped = font_dir()
    return tuple(dict.fromkeys([*([shipped] if shipped is not None else []), *_FONT_FOLDERS]))


@cache
def _font_files(folders: tuple[Path, ...]) -> str:
    parts = []
    for folder in folders:
        if folder.is_dir():
            parts += [f"{p.name}:{p.stat().st_size}" for p in sorted(folder.rglob("*")) if p.is_file()]
    return "|".join(parts)


def _fonts() -> str:
    """The font files vl-convert draws with (the shipped font, the project's folders): names and sizes."""
    return _font_files(_font_folders())


def image_key(spec: Mapping[str, Any], kind: Kind, scale: float = PNG_SCALE) -> str:
    """The cache key of ``spec`` drawn as ``kind``: a hash of the spec (canonical JSON), the kind, the pixel
    density (PNG only), the renderer (:func:`chart_renderer`) and the fonts."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    density = f"{scale:g}" if kind == "png" else ""
    head = f"{kind}\0{density}\0{chart_renderer()}\0{_fonts()}\0"
    return hashlib.sha256(head.encode("utf-8") + text.encode("utf-8")).hexdigest()


def _draw(spec: dict[str, Any], kinds: Sequence[Kind], scale: float, svg: bytes | None = None) -> dict[Kind, bytes]:
    """``spec`` drawn as each of ``kinds``. The PNG is the SVG rasterised (the same bytes as vl-convert's own
    PNG, without drawing the chart a second time); ``svg`` is the SVG when it was drawn already."""
    from cufstudy.notebook.charts.vega import _ensure_fonts, spec_to_svg

    _ensure_fonts()
    if svg is None:
        svg = spec_to_svg(spec).encode("utf-8")
    out: dict[Kind, bytes] = {"svg": svg}
    if "png" in kinds:
        import vl_convert

        out["png"] = bytes(vl_convert.svg_to_png(svg.decode("utf-8"), scale=scale))
    return {k: v for k, v in out.items() if k in kinds or k == "svg"}


def _draw_elsewhere(tasks: Sequence[_Task], workers: int) -> list[dict[Kind, bytes]]:
    """Each task drawn by one of ``workers`` fresh interpreters (``python -m cufstudy.render.chart_images JOB``),
    with this process's fonts. Not :mod:`multiprocessing`: its ``spawn`` children import the caller's main
    script again (a script calling :func:`cufstudy.build` without ``if __name__ == "__main__"`` would run in
    every child), and a ``fork`` would copy this process's threads' locks. A task that fails is left empty."""
    folders = [str(f) for f in _font_folders()]
    results: list[dict[Kind, bytes]] = [{} for _ in tasks]
    with tempfile.TemporaryDirectory(prefix="cufstudy-charts-") as tmp:
        procs = []
        for n in range(workers):
            mine = list(range(n, len(tasks), workers))
            if not mine:
                continue
            job = Path(tmp) / f"job-{n}.json"
            items = []
            for i in mine:
                spec, kinds, scale, svg = tasks[i]
                text = svg.decode("utf-8") if svg is not None else None
                items.append({"spec": spec, "kinds": kinds, "scale": scale, "svg": text, "out": f"{tmp}/{i}"})
            job.write_text(json.dumps({"fonts": folders, "tasks": items}, ensure_ascii=False), encoding="utf-8")
            cmd = [sys.executable, "-m", "cufstudy.render.chart_images", str(job)]
            quiet = subprocess.DEVNULL  # a failed drawing is drawn again, and reported, by the parent
            procs.append(subprocess.Popen(cmd, stdin=quiet, stdout=quiet, stderr=quiet))
        for proc in procs:
            proc.wait()
        for i, (_, kinds, _, _) in enumerate(tasks):
            for kind in ("svg", *kinds):
                path = Path(tmp) / f"{i}.{kind}"
                if path.is_file():
                    results[i][kind] = path.read_bytes()
    return results


def _draw_task(task: Mapping[str, Any]) -> None:
    """Draw one task of a drawing process into its files (``<out>.svg``, ``<out>.png``); a task vl-convert
    cannot draw writes nothing (the parent draws it again where it is embedded, and reports the error)."""
    svg = task["svg"].encode("utf-8") if task["svg"] is not None else None
    try:
        drawn = _draw(task["spec"], task["kinds"], task["scale"], svg)
    except Exception:
        return
    for kind, content in drawn.items():
        Path(f"{task['out']}.{kind}").write_bytes(content)


def _worker(job: Path) -> None:
    """The drawing process of :func:`_draw_elsewhere`: draws the job's tasks into their files."""
    from cufstudy.notebook.charts.vega import register_fonts

    data = json.loads(job.read_text(encoding="utf-8"))
    for folder in data["fonts"]:
        register_fonts(Path(folder))
    for task in data["tasks"]:
        _draw_task(task)


def _serve() -> None:
    """The drawing process of :class:`ChartDrawer`: the first line of its input names the font folders, each
    next line is a task (a drawing, or the pages' Vega bundle), answered by an empty line once its files are
    written; it ends with its input. vl-convert's JavaScript runtime is started at once, by a drawing of one
    point (0.3-0.8 s, which the first task would otherwise pay): a process started ahead of its work
    (:meth:`ChartDrawer.widen`) is ready when it comes."""
    from cufstudy.notebook.charts.vega import register_fonts, spec_to_svg

    lines = iter(sys.stdin.buffer.readline, b"")
    first = next(lines, b"")
    for folder in json.loads(first or b"{}").get("fonts", []):
        register_fonts(Path(folder))
    with contextlib.suppress(Exception):  # a runtime that cannot start fails the first task, which says why
        spec_to_svg({"mark": "point", "data": {"values": [{"x": 1}]}, "encoding": {"x": {"field": "x"}}})
    for line in lines:
        task = json.loads(line)
        if "bundle" in task:
            from cufstudy.render._vega import vega_bundle

            with contextlib.suppress(Exception):  # the renderer makes it, and reports its error
                vega_bundle(Path(task["bundle"]))
        else:
            _draw_task(task)
        sys.stdout.write("\n")
        sys.stdout.flush()


class ChartImages:
    """Chart images by spec: from memory, else ``folder`` (``_build/cache/charts/``), else drawn.

    Parameters
    ----------
    folder
        Where images are kept between builds; None: in memory only.
    workers
        Processes drawing at once in :meth:`prepare` (default: the processors, at most 4). vl-convert draws
        one chart at a time in a process (one JavaScript worker; the rasteriser holds the GIL), so the
        parallel drawing uses fresh interpreters (:func:`_draw_elsewhere`).
    """

    def __init__(self, folder: Path | None, workers: int | None = None) -> None:
        self.folder = folder
        self.workers = workers or max(1, min(4, os.cpu_count() or 1))
        self._memory: dict[str, ChartImage] = {}
        self.drawn = 0
        """Images drawn by this object (not found in the cache)."""

    def _path(self, key: str, kind: Kind) -> Path | None:
        return self.folder / f"{key[:32]}.{kind}" if self.folder is not None else None

    def cached(self, spec: Mapping[str, Any], kind: Kind, scale: float = PNG_SCALE) -> ChartImage | None:
        """The image if it was drawn already (in this build or an earlier one), else None."""
        key = image_key(spec, kind, scale)
        if key in self._memory:
            return self._memory[key]
        path = self._path(key, kind)
        if path is not None and path.is_file():
            with contextlib.suppress(OSError):
                image = ChartImage.of(kind, path.read_bytes(), scale)
                self._memory[key] = image
                return image
        return None

    def _store(self, spec: Mapping[str, Any], drawn: Mapping[Kind, bytes], scale: float) -> None:
        for kind, data in drawn.items():
            key = image_key(spec, kind, scale)
            if key in self._memory:
                continue
            self._memory[key] = ChartImage.of(kind, data, scale)
            self.drawn += 1
            path = self._path(key, kind)
            if path is not None:
                with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
                    atomic_write_bytes(path, data)

    def get(self, spec: Mapping[str, Any], kind: Kind, scale: float = PNG_SCALE) -> ChartImage:
        """The image of ``spec`` as ``kind``, drawn if it is not in the cache.

        Raises
        ------
        ValueError, RuntimeError
            vl-convert cannot draw the spec (its message).
        """
        found = self.cached(spec, kind, scale)
        if found is not None:
            return found
        svg = self.cached(spec, "svg", scale) if kind == "png" else None
        self._store(spec, _draw(dict(spec), [kind], scale, svg.data if svg else None), scale)
        image = self.cached(spec, kind, scale)
        assert image is not None  # stored just above
        return image

    def prepare(self, requests: Iterable[tuple[Mapping[str, Any], Kind]], scale: float = PNG_SCALE) -> int:
        """Draw every requested image not yet cached, in parallel processes; returns how many were drawn.

        A spec vl-convert cannot draw is left out here: :meth:`get` raises its error where it is embedded,
        which names the cell.
        """
        tasks = self.tasks(requests, scale)
        if not tasks:
            return 0
        before = self.drawn
        if len(tasks) < 2 or self.workers < 2:
            for task in tasks:
                with contextlib.suppress(Exception):
                    self._store(task[0], _draw(*task), scale)
            return self.drawn - before
        for task, drawn in zip(tasks, _draw_elsewhere(tasks, min(self.workers, len(tasks))), strict=True):
            if drawn:  # else get() draws it again where it is used, and reports vl-convert's error
                self._store(task[0], drawn, scale)
        return self.drawn - before

    def tasks(self, requests: Iterable[tuple[Mapping[str, Any], Kind]], scale: float = PNG_SCALE) -> list[_Task]:
        """The drawings ``requests`` need: one per spec not cached as every kind asked for, the biggest first
        (the maps: one mark per point), so that no long drawing starts last; with its SVG when it has one."""
        groups: dict[str, tuple[Mapping[str, Any], set[Kind]]] = {}
        for spec, kind in requests:
            if self.cached(spec, kind, scale) is not None:
                continue
            text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            groups.setdefault(text, (spec, set()))[1].add(kind)
        tasks: list[_Task] = []
        for _, (spec, wanted) in sorted(groups.items(), key=lambda item: -len(item[0])):
            svg = self.cached(spec, "svg", scale)
            tasks.append((dict(spec), sorted(wanted), scale, svg.data if svg else None))
        return tasks


@dataclass(frozen=True)
class _Bundle:
    folder: Path


class ChartDrawer:
    """Charts drawn in the background while other work goes on (a build's runs), by drawing processes.

    :meth:`add` queues requests (``(spec, kind)``, as :func:`chart_requests` gives them); each image drawn
    is stored in ``images``' folder, where the renderer's :meth:`ChartImages.prepare` finds it. Nothing
    depends on the drawer: a drawing that fails or is not reached is drawn, or reported, by the renderer.

    While the runs go on, one process draws beside them (the kernels have the processors); once the last
    run has started, :meth:`widen` starts up to ``workers - 1`` more, which share what is left (the last
    runs' charts, the maps among them). :meth:`close` draws what is queued (with those processes, started
    there if the drawer was not widened and more than one drawing is left), then ends the drawing
    processes; ``wait=False`` stops at once (a failed build). A spec queued twice is drawn once.
    """

    def __init__(self, images: ChartImages, workers: int | None = None) -> None:
        self.images = images
        self.drawn = 0
        """Images drawn and stored by this drawer."""
        self.error: Exception | None = None
        """What stopped the drawing early, if anything (the renderer draws the rest)."""
        self.workers = max(1, min(images.workers, workers or images.workers))
        self._queue: queue.SimpleQueue[Iterable[tuple[Mapping[str, Any], Kind]] | _Bundle | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._ready = threading.Condition()  # guards what follows, and the images' store
        self._pending: collections.deque[_Task | _Bundle] = collections.deque()
        self._claimed: set[tuple[str, Kind, float]] = set()  # (canonical JSON, kind, scale) queued already
        self._reading = False  # a lane is reading the next batch
        self._read_all = False  # every batch is read (close() queued its end)
        self._lanes: list[_Lane] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="cufstudy-charts-")
        self._add_lane()

    def add(self, requests: Iterable[tuple[Mapping[str, Any], Kind]]) -> None:
        """Queue the drawing of ``requests``, read in a drawing thread (a generator that reads a notebook
        reads it there), each skipped if cached already when its turn comes."""
        self._queue.put(requests)

    def bundle(self, folder: Path) -> None:
        """Queue the making of the script that draws the charts of an HTML page (about 1.5 s, once per
        vl-convert version), into the cache ``folder`` where :func:`cufstudy.render._vega.vega_bundle` finds it."""
        self._queue.put(_Bundle(folder))

    def widen(self) -> None:
        """Draw with up to ``workers`` processes from now on (the caller's other work is ending: the last
        run of a batch has started), each started now, not when :meth:`close` waits."""
        if self._stop.is_set():
            return
        for lane in self._lanes:
            lane.start()
        while len(self._lanes) < self.workers:
            self._add_lane(warm=True)

    def close(self, wait: bool = True) -> None:
        """Draw what is queued (``wait``), with more processes if it is more than one drawing, or stop at
        once; the drawing processes are gone on return."""
        self._queue.put(None)
        if wait:
            with self._ready:
                todo = 0 if self._stop.is_set() else len(self._pending) + self._queue.qsize() - 1
            while len(self._lanes) < min(self.workers, todo):
                self._add_lane()
        else:
            self._stop.set()
            for lane in self._lanes:
                lane.kill()
        with self._ready:
            self._ready.notify_all()
        for lane in self._lanes:
            lane.thread.join()
        self._tmp.cleanup()

    def _add_lane(self, warm: bool = False) -> None:
        lane = _Lane(f"{self._tmp.name}/{len(self._lanes)}-")
        if warm:  # its interpreter and vl-convert loaded before its first drawing
            lane.start()
        lane.thread = threading.Thread(target=self._work, args=(lane,), name="cufstudy-charts", daemon=True)
        self._lanes.append(lane)
        lane.thread.start()

    def _next(self) -> _Task | _Bundle | None:
        """The next drawing (or bundle), reading the next batch when none is pending; None at the end."""
        while True:
            with self._ready:
                while not self._stop.is_set() and not self._pending and not self._read_all and self._reading:
                    self._ready.wait()
                if self._stop.is_set():
                    return None
                if self._pending:
                    return self._pending.popleft()
                if self._read_all:
                    return None
                self._reading = True
            batch = self._queue.get()
            found: list[_Task | _Bundle] = []
            try:
                if isinstance(batch, _Bundle):
                    found = [batch]
                elif batch is not None:
                    found = list(self.images.tasks(batch))
            finally:
                with self._ready:
                    for task in found:
                        kept = task if isinstance(task, _Bundle) else self._unclaimed(task)
                        if kept is not None:
                            self._pending.append(kept)
                    self._read_all = batch is None
                    self._reading = False
                    self._ready.notify_all()

    def _unclaimed(self, task: _Task) -> _Task | None:
        """``task`` with only the kinds no lane has taken yet (None if none is left); those are now taken."""
        spec, kinds, scale, svg = task
        text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        left = [k for k in kinds if (text, k, scale) not in self._claimed]
        self._claimed.update((text, k, scale) for k in left)
        return (spec, left, scale, svg) if left else None

    def _work(self, lane: _Lane) -> None:
        try:
            n = 0
            while (task := self._next()) is not None:
                if isinstance(task, _Bundle):
                    done = lane.send({"bundle": str(task.folder)})
                else:
                    done = self._draw(lane, task, f"{lane.prefix}{n}")
                    n += 1
                if not done:
                    return
        except Exception as exc:  # a notebook unread, a drawing process gone: only time is lost
            self.error = exc
        finally:
            lane.end()

    def _draw(self, lane: _Lane, task: _Task, out: str) -> bool:
        spec, kinds, scale, svg = task
        text = svg.decode("utf-8") if svg is not None else None
        if not lane.send({"spec": spec, "kinds": kinds, "scale": scale, "svg": text, "out": out}):
            return False
        drawn: dict[Kind, bytes] = {}
        for kind in ("svg", *kinds):
            path = Path(f"{out}.{kind}")
            if path.is_file():
                drawn[kind] = path.read_bytes()
                path.unlink()
        if drawn:
            with self._ready:
                before = self.images.drawn
                self.images._store(spec, drawn, scale)
                self.drawn += self.images.drawn - before
        return True


class _Lane:
    """One drawing process of a :class:`ChartDrawer` and the thread that feeds it (started at its first item,
    or ahead of it)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.proc: subprocess.Popen[bytes] | None = None
        self.thread: threading.Thread
        self._starting = threading.Lock()  # its thread, and ChartDrawer.widen, may start the process
        self._ended = False

    def start(self) -> None:
        """Start the drawing process ahead of its work (:meth:`ChartDrawer.widen`), unless it has ended."""
        with self._starting:
            if not self._ended:
                self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        """The drawing process, started (with the fonts to register) if it was not."""
        if self.proc is None:
            cmd = [sys.executable, "-m", "cufstudy.render.chart_images", "--serve"]
            quiet = subprocess.DEVNULL
            proc = self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=quiet)
            assert proc.stdin is not None
            fonts = {"fonts": [str(f) for f in _font_folders()]}
            proc.stdin.write(json.dumps(fonts, ensure_ascii=False).encode("utf-8") + b"\n")
            proc.stdin.flush()
        return self.proc

    def send(self, item: Mapping[str, Any]) -> bool:
        """``item`` done by the drawing process; False when that process is gone (or was stopped)."""
        with self._starting:
            proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(item, ensure_ascii=False).encode("utf-8") + b"\n")
        proc.stdin.flush()
        return bool(proc.stdout.readline())  # empty: the process died (or was stopped by close)

    def kill(self) -> None:
        proc = self.proc
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()

    def end(self) -> None:
        with self._starting:
            self._ended = True
            proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()  # the drawing process ends at the end of its input
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def vegalite_outputs(notebook: Mapping[str, Any], labels: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The outputs of ``notebook`` holding a Vega-Lite spec (of the cells labelled ``labels``, else all)."""
    from cufstudy.render._notebook import cell_options

    found: list[dict[str, Any]] = []
    wanted = set(labels) if labels is not None else None
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if wanted is not None:
            source = cell.get("source", "")
            opts = cell_options("".join(source) if isinstance(source, list) else str(source))
            label = opts.get("label") or (cell.get("metadata") or {}).get("label")
            if label not in wanted:
                continue
        for output in cell.get("outputs") or []:
            data = output.get("data") or {}
            if any(_VEGALITE.match(m) for m in data):
                found.append(output)
    return found


def spec_of(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Vega-Lite spec of an output's ``data``, as a renderer draws it (French typography applied)."""
    from cufstudy.notebook.charts.vega import typeset_spec

    mime = next((m for m in data if _VEGALITE.match(m)), None)
    if mime is None:
        return None
    spec = data[mime]
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError:
            return None
    return typeset_spec(spec) if isinstance(spec, dict) else None


def fill_notebook(path: Path, kinds: Sequence[Kind], images: ChartImages) -> bool:
    """Write the ``kinds`` images of every chart of an executed notebook into its outputs (``image/svg+xml``,
    ``image/png`` with its natural size in ``metadata``), for a renderer that reads the outputs itself
    (Quarto). Returns whether the file changed; an output that has them already is left as it is."""
    try:
        nb = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    outputs = vegalite_outputs(nb)
    wanted = {"svg": "image/svg+xml", "png": "image/png"}
    missing = [(o, k) for o in outputs for k in kinds if wanted[k] not in (o.get("data") or {})]
    if not missing:
        return False
    specs = [(spec_of(o["data"]), k) for o, k in missing]
    images.prepare((s, k) for s, k in specs if s is not None)
    changed = False
    for (output, kind), (spec, _) in zip(missing, specs, strict=True):
        if spec is None:
            continue
        try:
            image = images.get(spec, kind)
        except Exception:
            continue
        data = output.setdefault("data", {})
        if kind == "png":
            data["image/png"] = base64.b64encode(image.data).decode("ascii")
            if image.width is not None and image.height is not None:
                meta = output.setdefault("metadata", {})
                meta["image/png"] = {"width": round(image.width), "height": round(image.height)}
        else:
            data["image/svg+xml"] = image.data.decode("utf-8")
        changed = True
    if changed:
        from cufstudy.core.notebooks import write_executed

        write_executed(path, nb)
    return changed


def fill_notebooks(paths: Iterable[Path], kinds: Sequence[Kind], images: ChartImages) -> list[Path]:
    """:func:`fill_notebook` for each notebook, every chart of all of them drawn in one parallel batch."""
    notebooks = [p for p in dict.fromkeys(paths) if p.is_file()]
    wanted = {"svg": "image/svg+xml", "png": "image/png"}
    requests: list[tuple[dict[str, Any], Kind]] = []
    for path in notebooks:
        with contextlib.suppress(OSError, ValueError):
            for output in vegalite_outputs(json.loads(path.read_bytes())):
                spec = spec_of(output["data"])
                if spec is not None:
                    requests += [(spec, k) for k in kinds if wanted[k] not in output["data"]]
    images.prepare(requests)
    return [p for p in notebooks if fill_notebook(p, kinds, images)]


def chart_cells(todo: Iterable[Any], root: Path, engine: str = "pandoc") -> dict[Path, dict[str, tuple[Kind, ...]]]:
    """The cells the deliverables ``todo`` embed, by executed notebook: each label with the images their
    formats need of its charts (:func:`kinds_for`). The documents are read, not the notebooks."""
    from cufstudy.render.shortcodes import embedded_cells

    found: dict[Path, dict[str, tuple[Kind, ...]]] = {}
    for deliverable in todo:
        kinds = tuple(dict.fromkeys(k for fmt in deliverable.formats for k in kinds_for(fmt, engine)))
        if not kinds:
            continue
        for source in deliverable.inputs:
            for notebook, label in embedded_cells(source, root):
                cells = found.setdefault(notebook, {})
                cells[label] = tuple(dict.fromkeys((*cells.get(label, ()), *kinds)))
    return found


def notebook_requests(
    notebook: Path, cells: Mapping[str, Sequence[Kind]], notebooks: Any = None
) -> list[tuple[dict[str, Any], Kind]]:
    """``(spec, kind)`` for every Vega-Lite output of the ``cells`` of ``notebook`` that carries no image of
    its own, each in the kinds named for its cell. A notebook or cell that cannot be read gives nothing (the
    renderer reports it where it is embedded). ``notebooks``: a :class:`~cufstudy.render._notebook.NotebookCache`."""
    from cufstudy.render._notebook import NotebookCache

    cache = notebooks if notebooks is not None else NotebookCache()
    try:
        found = cache.cells(notebook)
    except ValueError:
        return []
    requests: list[tuple[dict[str, Any], Kind]] = []
    for label, kinds in cells.items():
        cell = found.get(label)
        if cell is None:
            continue
        for position, output in enumerate(cell.outputs):
            data = output.get("data") or {}
            mime = next((m for m in data if _VEGALITE.match(m)), None)
            if mime is None or any(m.startswith("image/") for m in data):
                continue
            try:  # typeset once, for these requests and for the renderer that embeds the cell
                spec, _ = cell.chart(position, data[mime])
            except ValueError:
                continue
            if isinstance(spec, dict):
                requests += [(spec, kind) for kind in kinds]
    return requests


def chart_requests(
    todo: Iterable[Any], root: Path, notebooks: Any = None, engine: str = "pandoc"
) -> list[tuple[dict[str, Any], Kind]]:
    """The images the deliverables ``todo`` need of the charts they embed, for their formats (:func:`kinds_for`):
    ``(spec, kind)`` for every Vega-Lite output of an embedded cell that carries no image of its own.

    ``notebooks`` is the renderer's :class:`~cufstudy.render._notebook.NotebookCache` (each notebook read once).
    A notebook or cell that cannot be read is left to the renderer, which reports it where it is embedded.
    """
    from cufstudy.render._notebook import NotebookCache

    cache = notebooks if notebooks is not None else NotebookCache()
    return [
        request
        for notebook, cells in chart_cells(todo, root, engine).items()
        for request in notebook_requests(notebook, cells, cache)
    ]


def fill_for_quarto(root: Path, todo: Iterable[Any], folder: Path | None) -> list[Path]:
    """Before ``quarto render``: the executed notebooks the deliverables ``todo`` embed, filled with the images
    their formats need under Quarto (:func:`kinds_for`), drawn once and cached in ``folder``. Returns the
    notebooks that changed. Idempotent: a filled notebook is not written again."""
    from cufstudy.render.shortcodes import embedded_notebooks

    images = ChartImages(folder)
    changed: list[Path] = []
    by_kinds: dict[tuple[Kind, ...], list[Path]] = {}
    for deliverable in todo:
        kinds = tuple(sorted({k for fmt in deliverable.formats for k in kinds_for(fmt, "quarto")}))
        for source in deliverable.inputs:
            by_kinds.setdefault(kinds, []).extend(embedded_notebooks(source, root))
    for kinds, paths in sorted(by_kinds.items(), key=lambda item: -len(item[0])):
        changed += fill_notebooks(paths, kinds, images)
    return changed


if __name__ == "__main__":  # a drawing process of _draw_elsewhere, or of ChartDrawer (--serve)
    _serve() if sys.argv[1:] == ["--serve"] else _worker(Path(sys.argv[1]))
    # every file is written: no interpreter finalisation to wait for (vl-convert's JavaScript runtime and the
    # modules torn down took 0.2-0.4 s, which the build waited on)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
