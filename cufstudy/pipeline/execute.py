"""The work unit of the batch: one notebook executed with Papermill, never leaving a partial file behind.

:func:`execute_notebook_run` is what the batch submits to its executor (a thread pool by default, or any
:class:`concurrent.futures.Executor`): a top-level function of plain, picklable arguments. Papermill writes
to a hidden ``.<name>.*.partial.ipynb`` beside the output, renamed when complete; a failing run's executed
notebook (with Papermill's error banner) goes to ``<output stem>.failed.ipynb`` and the last good output is
kept as it was. Leftovers of a killed batch are removed by the next one (:func:`clean_partials`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from cufstudy.core.notebooks import notebook_json
from cufstudy.pipeline.plan import Plan

__all__ = ["KERNEL", "PARTIAL_SUFFIX", "clean_partials", "execute_notebook_run", "outcome"]

KERNEL = "python3"
PARTIAL_SUFFIX = ".partial.ipynb"
_ERROR_TAG = "papermill-error-cell-tag"
_INJECTED_TAG = "injected-parameters"


def execute_notebook_run(
    notebook: str,
    output: str,
    failed_output: str,
    parameters: dict[str, Any],
    cwd: str,
    kernel_name: str = KERNEL,
    transport: str = "ipc",
    kernels: str | None = None,
) -> dict[str, Any]:
    """Execute one notebook with Papermill: the work unit submitted to the executor.

    A top-level function of plain arguments, so that a process pool or a cluster executor can
    pickle it; the paths must be absolute and reachable from the worker. The kernel starts in
    ``cwd`` (passed to nbclient, not via :func:`os.chdir`, which would race between threads).

    Parameters
    ----------
    notebook
        The source notebook (only read).
    output
        Where the executed notebook goes on success (written to a temporary file, then renamed).
    failed_output
        Where the executed notebook goes on failure; ``output`` is then left untouched.
    parameters
        Injected by Papermill after the cell tagged ``parameters``.
    cwd
        The kernel's working directory (the project root).
    kernel_name
        The Jupyter kernel (``python3``: the Python running cufstudy, with ipykernel).
    transport
        ZeroMQ transport between client and kernel: ``ipc`` (Unix sockets: no TCP port to allocate,
        so parallel kernels never race for one) or ``tcp``.
    kernels
        The key of a :func:`~cufstudy.pipeline.kernels.warm_kernels` server of this process: the kernel is
        forked from it. Unknown here (another process), or None: a cold kernel.

    Returns
    -------
    dict
        ``status`` (``ok`` or ``failed``), ``duration`` and, for a failure, ``cell_index`` (0-based,
        in the source notebook), ``execution_count``, ``ename``, ``evalue``, ``failed_written``.
    """
    start = time.perf_counter()
    result: dict[str, Any] = {"status": "ok"}
    out, failed = Path(output), Path(failed_output)
    tmp: Path | None = None
    sockets: Path | None = None
    scratch: Path | None = None
    try:
        import papermill
        from papermill.exceptions import PapermillExecutionError
        from traitlets.config import Config

        from cufstudy.pipeline.kernels import WarmKernelManager, server

        fork = server(kernels)
        # The run's facts go to a store of its own, not the project's: the batch rewrites the project's store
        # from the facts the outputs show (runs._collect_facts), and every record() reads, validates and
        # rewrites its whole store, under a lock two kernels wait on (about 9 ms a fact on one shared store
        # of a build's 205 facts). Its folder is in memory where the system has one (fsync costs nothing).
        scratch = Path(tempfile.mkdtemp(prefix="cufstudy-facts-", dir=_scratch_root()))
        environment = {"CUFSTUDY_FACTS": str(scratch / "facts.json")}
        extra: dict[str, Any] = {"kernel_manager_class": WarmKernelManager(fork, environment)}
        config = Config()
        config.KernelManager.transport = transport
        if transport == "ipc":  # one socket folder per kernel (the default, ./kernel-ipc-N, collides)
            sockets = Path(tempfile.mkdtemp(prefix="cufstudy-"))
            config.KernelManager.ip = str(sockets / "k")

        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=PARTIAL_SUFFIX, dir=out.parent)
        os.close(fd)
        tmp = Path(name)
        tmp.chmod(0o644)  # mkstemp makes it private; an executed notebook is an ordinary file
        try:
            papermill.execute_notebook(
                notebook,
                str(tmp),
                parameters=parameters,
                cwd=None,
                kernel_name=kernel_name,
                language="python",  # notebooks saved without metadata (jupytext) have no language
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                shutdown_kernel="immediate",  # every output is collected by then; saves ~0.2 s per run
                resources={"metadata": {"path": cwd}},
                config=config,
                **extra,
            )
        except PapermillExecutionError as exc:
            result = {
                "status": "failed",
                "cell_index": _source_cell_index(tmp),
                "execution_count": exc.exec_count,
                "ename": exc.ename,
                "evalue": exc.evalue,
            }
        else:
            _portable(tmp, cwd, out)
            _fsync(tmp)
            tmp.replace(out)
            failed.unlink(missing_ok=True)
    except Exception as exc:  # kernel died, timeout, no such kernel, unreadable notebook...
        result = {
            "status": "failed",
            "cell_index": None,
            "execution_count": None,
            "ename": type(exc).__name__,
            "evalue": str(exc),
        }
    finally:  # also on KeyboardInterrupt: never leave a partial file or a socket folder behind
        if result["status"] == "failed":
            result["failed_written"] = False
            if tmp is not None and tmp.exists() and tmp.stat().st_size:
                with contextlib.suppress(OSError, ValueError):
                    _portable(tmp, cwd, failed)
                _fsync(tmp)
                tmp.replace(failed)
                result["failed_written"] = True
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    result["duration"] = time.perf_counter() - start
    return result


def _scratch_root() -> str | None:
    """A folder in memory for a run's scratch files (``/dev/shm``), or None: the system's temporary folder."""
    shm = "/dev/shm"
    return shm if Path(shm).is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def _portable(executed: Path, cwd: str, final: Path) -> None:
    """Papermill records the absolute paths of the notebook and of its output (``metadata.papermill``), which
    name the build machine's folders (``/home/<user>/...``): they are made relative to the project. The
    notebook is written back compactly (:func:`cufstudy.core.notebooks.notebook_json`: half the size of
    nbformat's indented JSON)."""
    nb = json.loads(executed.read_bytes())
    meta = (nb.get("metadata") or {}).get("papermill")
    if isinstance(meta, dict):
        root = Path(cwd)
        for key, path in (("input_path", meta.get("input_path")), ("output_path", str(final))):
            if isinstance(path, str) and Path(path).is_absolute():
                where = Path(path)
                meta[key] = where.relative_to(root).as_posix() if where.is_relative_to(root) else where.name
    executed.write_text(notebook_json(nb), encoding="utf-8")


def _fsync(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _source_cell_index(executed: Path) -> int | None:
    """Index, in the source notebook, of the failed cell of an executed notebook."""
    try:
        nb = json.loads(executed.read_bytes())
    except (OSError, ValueError):
        return None
    index = 0
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        tags = meta.get("tags", [])
        if _ERROR_TAG in tags or _INJECTED_TAG in tags:
            continue
        errored = any(out.get("output_type") == "error" for out in cell.get("outputs", []) or [])
        if errored or meta.get("papermill", {}).get("exception") is True:
            return index
        index += 1
    return None


def clean_partials(plan: Plan) -> None:
    """Remove the partial files a killed batch left beside the outputs of ``plan``."""
    for folder in {(plan.root / r.output).parent for r in plan.runs}:
        if folder.is_dir():
            for orphan in folder.glob(f".*{PARTIAL_SUFFIX}"):
                orphan.unlink(missing_ok=True)


def outcome(future: Future[dict[str, Any]]) -> dict[str, Any]:
    """The result of a submitted work unit, or a failure if the executor could not run it."""
    try:
        return future.result()
    except Exception as exc:  # the executor failed to run the work unit (broken pool, pickling...)
        return {
            "status": "failed",
            "duration": None,
            "cell_index": None,
            "execution_count": None,
            "ename": type(exc).__name__,
            "evalue": str(exc),
            "failed_written": False,
        }
