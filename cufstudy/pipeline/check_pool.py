"""The checks of each rendered file run beside the rendering, in fresh interpreters, as many at once as cores.

The checks before publication (:func:`cufstudy.pipeline.checks.check_files`) are pure Python (PDF parsing by
pdfplumber and pypdf, text searches): run in the build's process they hold its one interpreter lock and the
build renders nothing meanwhile, although the renderers (Pandoc, Typst, Quarto) are other processes. Here each
file of a deliverable is checked in its own ``python -P -c ...`` child while the build goes on rendering the
next deliverable; :meth:`CheckPool.report` gathers a deliverable's reports when the build needs them, in the
order of its files, so the violations and the error raised are those of the same checks run in one process.

Fresh interpreters, not :mod:`multiprocessing`: its ``spawn`` children import the caller's ``__main__`` again
(a script calling :func:`cufstudy.build` unguarded would build again), and ``fork`` copies the locks other
threads hold. ``-P``: the child never imports a ``cufstudy`` folder of the working directory instead of the
library the build runs. The job and its result travel through the child's standard input and output (pickle:
our own objects, between our own processes); confidential values are never written to disk for it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cufstudy.core.errors import CufstudyError, RenderError
from cufstudy.pipeline.checks import CheckReport, Requirements, check_files

__all__ = ["CheckPool", "Pending"]

_CHILD = "from cufstudy.pipeline.check_pool import _serve; _serve()"


@dataclass(frozen=True)
class Pending:
    """The checks of one deliverable's files, submitted: one job per file, in the order of the files."""

    deliverable: str
    jobs: tuple[Future[CheckReport], ...]


class CheckPool:
    """Check files in fresh interpreters, ``workers`` at once (default: the number of cores).

    Examples
    --------
    >>> with CheckPool() as pool:  # doctest: +SKIP
    ...     pending = pool.submit(files, requirements, notebooks)
    ...     render_the_next_deliverable()
    ...     report = pool.report(pending)
    """

    def __init__(self, workers: int | None = None, *, inline: bool = False) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.inline = inline
        """Check in this process, at submission (one file to check: a child would only add its start)."""
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="cufstudy-check")
        self._children: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.seconds = 0.0
        """The checks' time summed over the children (their own work, not the build's wall time)."""

    def __enter__(self) -> CheckPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, files: Sequence[Path], req: Requirements, notebooks: Sequence[Path] = ()) -> Pending:
        """Start checking ``files`` against ``req`` (the notebooks they embed go with the last file's job).

        The confidential values and pairings ``req`` loads on first need are loaded here, once.
        """
        if self.inline:
            done: Future[CheckReport] = Future()
            started = time.perf_counter()
            try:
                done.set_result(check_files(files, req, notebooks))
            except CufstudyError as exc:
                done.set_exception(exc)
            self.seconds += time.perf_counter() - started
            return Pending(req.deliverable, (done,))
        secrets = list(req.secrets()) if req.secrets is not None else None
        pairings = list(req.pairings()) if req.pairings is not None else None
        plain = replace(req, secrets=None, pairings=None)
        files = list(files)
        jobs = []
        for i, path in enumerate(files):
            embedded = list(notebooks) if i == len(files) - 1 else []
            payload = pickle.dumps(([path], plain, secrets, pairings, embedded))
            jobs.append(self._executor.submit(self._run, payload, path))
        if not files and notebooks:
            payload = pickle.dumps(([], plain, secrets, pairings, list(notebooks)))
            jobs.append(self._executor.submit(self._run, payload, None))
        return Pending(req.deliverable, tuple(jobs))

    def report(self, pending: Pending) -> CheckReport:
        """The report of a deliverable's checks, once every job is done (a job's error is raised here)."""
        report = CheckReport()
        for job in pending.jobs:
            part = job.result()
            report.violations += part.violations
            report.pages.update(part.pages)
        return report

    def close(self) -> None:
        """Stop: the jobs not started are dropped, the children running are killed."""
        with self._lock:
            self._closed = True
            children = list(self._children)
        for child in children:
            child.kill()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, payload: bytes, path: Path | None) -> CheckReport:
        with self._lock:
            if self._closed:
                raise RenderError("the build stopped before its checks ran")
            child = subprocess.Popen(
                [sys.executable, "-P", "-c", _CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            self._children.add(child)
        try:
            out, err = child.communicate(payload)
        finally:
            with self._lock:
                self._children.discard(child)
        shown = path.name if path is not None else "the embedded notebooks"
        if child.returncode != 0 or not out:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
            raise RenderError(f"the checks of {shown} stopped (exit {child.returncode}): " + " / ".join(tail))
        status, value, seconds = pickle.loads(out)
        self.seconds += seconds
        if status == "error":
            raise value
        assert isinstance(value, CheckReport)
        return value


def _serve() -> None:
    """The child: read a job on standard input, check, write ``(status, value, seconds)`` on standard output."""
    started = time.perf_counter()
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # whatever a library prints never mixes with the result
    files, plain, secrets, pairings, notebooks = pickle.loads(sys.stdin.buffer.read())
    req = replace(
        plain,
        secrets=None if secrets is None else (lambda: secrets),
        pairings=None if pairings is None else (lambda: pairings),
    )
    result: tuple[str, Any, float]
    try:
        result = ("ok", check_files(files, req, notebooks), 0.0)
    except CufstudyError as exc:
        try:  # raised again by the build as it is, if it survives the journey
            pickle.loads(pickle.dumps(exc))
            error: CufstudyError = exc
        except Exception:  # an error whose constructor takes more than its message
            error = RenderError(str(exc))
        result = ("error", error, 0.0)
    out.write(pickle.dumps((result[0], result[1], time.perf_counter() - started)))
    out.flush()
