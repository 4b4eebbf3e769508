"""The checks of each rendered file run beside the rendering, in fresh interpreters, as many at once as cores.

The checks before publication (:func:`cufstudy.pipeline.checks.check_files`) are mostly Python (PDFium's text
extraction, text searches, the layout rules over PDFium's characters): run in the build's process they hold its
one interpreter lock and the build renders nothing meanwhile, although the renderers (Pandoc, Typst, Quarto)
are other processes. Here each file of a deliverable is checked in a ``python -P -c ...`` child (one per
worker, started on its first job and kept for the next ones) while the build goes on rendering the next
deliverable; :meth:`CheckPool.report` gathers a deliverable's reports when the build needs them, in the order
of its files, so the violations and the error raised are those of the same checks run in one process.

Fresh interpreters, not :mod:`multiprocessing`: its ``spawn`` children import the caller's ``__main__`` again
(a script calling :func:`cufstudy.build` unguarded would build again), and ``fork`` copies the locks other
threads hold. ``-P``: the child never imports a ``cufstudy`` folder of the working directory instead of the
library the build runs. The jobs and their results travel through the children's standard input and output
(length-prefixed pickles: our own objects, between our own processes); confidential values are never written to
disk for them.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

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
        self._children: dict[subprocess.Popen[bytes], IO[bytes]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._local = threading.local()
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
            try:
                done.set_result(self._here(lambda: check_files(files, req, notebooks)))
            except CufstudyError as exc:
                done.set_exception(exc)
            return Pending(req.deliverable, (done,))
        secrets = list(req.secrets()) if req.secrets is not None else None
        pairings = list(req.pairings()) if req.pairings is not None else None
        plain = replace(req, secrets=None, pairings=None)
        groups = [[path] for path in files] or ([[]] if notebooks else [])
        jobs = []
        for i, group in enumerate(groups):
            embedded = list(notebooks) if i == len(groups) - 1 else []
            payload = pickle.dumps((group, plain, secrets, pairings, embedded))
            jobs.append(self._executor.submit(self._run, payload, group[0] if group else None))
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
        """Stop: the jobs not started are dropped, the children are stopped (killed if still checking)."""
        with self._lock:
            self._closed = True
            children = list(self._children)
        for child in children:
            child.kill()
        self._executor.shutdown(wait=True, cancel_futures=True)
        for child in children:
            child.wait()
            self._children[child].close()

    def _here(self, check: Callable[[], CheckReport]) -> CheckReport:
        """Check in this process, the time counted as a child's."""
        started = time.perf_counter()
        try:
            return check()
        finally:
            with self._lock:
                self.seconds += time.perf_counter() - started

    def _child(self) -> subprocess.Popen[bytes]:
        """This worker thread's child, started on its first job and kept for the next ones (the checks are pure
        functions of their job: nothing of one job is left for the next)."""
        child: subprocess.Popen[bytes] | None = getattr(self._local, "child", None)
        if child is not None and child.poll() is None:
            return child
        with self._lock:
            if self._closed:
                raise RenderError("the build stopped before its checks ran")
            # standard error to a file: a child's warnings never fill a pipe nobody reads
            err = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
            child = subprocess.Popen(
                [sys.executable, "-P", "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err
            )
            self._children[child] = err
        self._local.child = child
        return child

    def _run(self, payload: bytes, path: Path | None) -> CheckReport:
        try:
            child = self._child()
        except OSError:  # no interpreter can be started (this one's path not executable for this user): here
            return self._here(lambda: _check(payload))
        assert child.stdin is not None and child.stdout is not None
        try:
            _send(child.stdin, payload)
            answer = _receive(child.stdout)
        except (OSError, EOFError):
            answer = None
        if answer is None:
            child.kill()
            child.wait()
            shown = path.name if path is not None else "the embedded notebooks"
            tail = _tail(self._children[child])
            raise RenderError(f"the checks of {shown} stopped (exit {child.returncode}): {tail}")
        status, value, seconds = pickle.loads(answer)
        with self._lock:
            self.seconds += seconds
        if status == "error":
            raise value
        assert isinstance(value, CheckReport)
        return value


def _tail(err: IO[bytes]) -> str:
    err.seek(0)
    return " / ".join(err.read().decode("utf-8", "replace").strip().splitlines()[-5:])


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> bytes | None:
    """One frame (8-byte length, then the bytes), or None at the end of the stream."""
    head = stream.read(8)
    if len(head) < 8:
        return None
    size = int.from_bytes(head, "big")
    data = stream.read(size)
    return data if len(data) == size else None


def _check(job: bytes) -> CheckReport:
    """Run one job (what :meth:`CheckPool.submit` pickled)."""
    files, plain, secrets, pairings, notebooks = pickle.loads(job)
    req = replace(
        plain,
        secrets=None if secrets is None else (lambda: secrets),
        pairings=None if pairings is None else (lambda: pairings),
    )
    return check_files(files, req, notebooks)


def _serve() -> None:
    """The child: check each job read on standard input until it closes, answering ``(status, value, seconds)``
    on standard output."""
    out = sys.stdout.buffer
    source = sys.stdin.buffer
    sys.stdout = sys.stderr  # whatever a library prints never mixes with the answers
    while (job := _receive(source)) is not None:
        started = time.perf_counter()
        result: tuple[str, Any]
        try:
            result = ("ok", _check(job))
        except CufstudyError as exc:
            try:  # raised again by the build as it is, if it survives the journey
                pickle.loads(pickle.dumps(exc))
                error: CufstudyError = exc
            except Exception:  # an error whose constructor takes more than its message
                error = RenderError(str(exc))
            result = ("error", error)
        _send(out, pickle.dumps((*result, time.perf_counter() - started)))
