"""Batch execution of the run plan with Papermill: ``cufstudy run``.

:func:`run` executes every run of the plan (see :mod:`cufstudy.pipeline.plan`) into ``_build/notebooks/``,
holding the project lock (:mod:`cufstudy.pipeline.lock`); :func:`execute_plan` does the same for a caller
that already holds it (``cufstudy build``). The source notebooks are only read. The batch is made of:

* the cache keys (:mod:`cufstudy.pipeline.cache`): a run whose inputs have not changed is skipped;
* the work unit (:mod:`cufstudy.pipeline.execute`): one Papermill execution, submitted to a thread pool
  (or any :class:`concurrent.futures.Executor`), longest runs first;
* the manifest (:mod:`cufstudy.pipeline.manifest`), rewritten after each run, so a kill keeps the finished
  ones, and the progress display (:mod:`cufstudy.pipeline.progress`);
* the facts: after the batch, the facts shown in the outputs of every up-to-date run (executed or skipped),
  and the facts of the documents' structure (:mod:`cufstudy.render.structure`, counted on every run), are
  merged (:func:`cufstudy.notebook.facts.merge_facts`) into ``_build/facts.json``, which is rewritten from
  them (facts recorded with ``display=False`` are not in the outputs and so are dropped). The same key with
  two different values in two runs is a :class:`~cufstudy.core.errors.FactError` naming both runs.

A failing run keeps its last good output; the other runs still complete. :func:`run` returns a
:class:`~cufstudy.pipeline.manifest.RunReport`; :meth:`~cufstudy.pipeline.manifest.RunReport.raise_for_failures`
raises :class:`~cufstudy.core.errors.RunError` (the CLI calls it and exits 1).

Quarto
    Declare the batch as the project's pre-render step, so that ``quarto render`` executes the
    changed notebooks first::

        project:
          pre-render: cufstudy run
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cufstudy.core.files import check_project_files
from cufstudy.core.project import BuildPaths, Project, project_of
from cufstudy.notebook.facts import Fact, FactStore, facts_from_notebook, merge_facts
from cufstudy.pipeline.cache import cache_parts, why
from cufstudy.pipeline.execute import KERNEL, clean_partials, execute_notebook_run, outcome
from cufstudy.pipeline.kernels import warm_kernels
from cufstudy.pipeline.lock import project_lock
from cufstudy.pipeline.manifest import (
    Failure,
    Manifest,
    ManifestEntry,
    RunReport,
    RunResult,
    Status,
    load_manifest,
    now,
    save_manifest,
)
from cufstudy.pipeline.plan import Plan, Resolver, Run, load_plan
from cufstudy.pipeline.progress import LiveTable, PlainLog, Progress

__all__ = ["RunReport", "RunResult", "execute_plan", "run"]


def run(
    project: Project | Path = Path(),
    *,
    workers: int | None = None,
    force: bool = False,
    executor: Executor | None = None,
    only: Sequence[str] | None = None,
    progress: bool = True,
    wait: bool = True,
    resolvers: dict[str, Resolver] | None = None,
) -> RunReport:
    """Execute the run plan of a project with Papermill, skipping the runs that are up to date.

    Parameters
    ----------
    project
        The project, or its folder (or a folder below it; the nearest one holding ``_quarto.yml``).
    workers
        Notebooks executed at once by the default thread pool (default: the number of cores).
        Ignored when ``executor`` is given.
    force
        Execute every selected run, even if unchanged.
    executor
        Any :class:`concurrent.futures.Executor` (a process pool, a cluster client...). It receives
        :func:`~cufstudy.pipeline.execute.execute_notebook_run` with plain, picklable arguments; it is not
        shut down here.
    only
        Notebook stems: execute only their runs (the facts of the other runs are kept).
    progress
        On a terminal, show a live table (one line per run); otherwise, and when False, log one
        line per run on stderr.
    wait
        If another run or build holds the project lock, wait for it; if False, raise
        :class:`~cufstudy.core.errors.LockError`.
    resolvers
        Extra parameter vocabularies (see :func:`cufstudy.pipeline.plan.load_plan`).

    Returns
    -------
    RunReport
        Failed runs do not raise: call :meth:`RunReport.raise_for_failures`.

    Raises
    ------
    PlanError
        If the plan is invalid; raised before any kernel starts.
    FactError
        If two runs recorded the same fact with different values.
    """
    found = project_of(project)
    check_project_files(found.root)  # a link out of the project, a FIFO, a device: named, never read
    plan = load_plan(found, resolvers=resolvers)
    selected = plan.select(only)
    log = PlainLog(sys.stderr)
    _warn(plan, log)
    with project_lock(plan.root, wait=wait, notify=log.note):
        return _execute_plan(
            plan, selected, workers=workers, force=force, executor=executor, progress=progress, log=log
        )


def execute_plan(
    plan: Plan,
    *,
    workers: int | None = None,
    force: bool = False,
    executor: Executor | None = None,
    only: Sequence[str] | None = None,
    progress: bool = True,
    observer: Progress | None = None,
) -> RunReport:
    """:func:`run` for a caller that has loaded the plan and holds the project lock (``cufstudy build``).

    Takes no lock: the caller must hold :func:`~cufstudy.pipeline.lock.project_lock` for the whole call.
    ``observer`` (entered by the caller) is told about every run instead of this call's own display, so that
    one display covers a whole build (see :mod:`cufstudy.pipeline.progress`).
    """
    log = observer if observer is not None else PlainLog(sys.stderr)
    _warn(plan, log)
    return _execute_plan(
        plan,
        plan.select(only),
        workers=workers,
        force=force,
        executor=executor,
        progress=progress,
        log=log,
        shared=observer is not None,
    )


def _warn(plan: Plan, log: Progress) -> None:
    for warning in plan.warnings:
        log.note(f"warning: {warning}")


@dataclass(frozen=True)
class _Todo:
    run: Run
    parts: dict[str, str]
    reason: str
    last: float | None


def _execute_plan(
    plan: Plan,
    selected: Plan,
    *,
    workers: int | None,
    force: bool,
    executor: Executor | None,
    progress: bool,
    log: Progress,
    shared: bool = False,
) -> RunReport:
    root = plan.root
    paths = BuildPaths(root)
    manifest_path = paths.manifest
    manifest, raw_manifest = load_manifest(manifest_path, log.note)
    outputs = {r.output for r in plan.runs}
    manifest.runs = {k: v for k, v in manifest.runs.items() if k in outputs}  # runs no longer planned
    clean_partials(selected)
    keys = cache_parts(plan, selected.runs, manifest)

    results: dict[str, RunResult] = {}
    todo: list[_Todo] = []
    for r in selected.runs:
        parts = keys[r.output]
        prev = manifest.runs.get(r.output)
        reason = why(prev, parts, root / r.output, force)
        if reason is None:
            assert prev is not None
            results[r.output] = RunResult(r, "skipped", "unchanged", prev.duration)
            manifest.runs[r.output] = prev.model_copy(update={"status": "skipped"})
        else:
            todo.append(_Todo(r, parts, reason, prev.duration if prev is not None else None))
    # longest first (by the last known duration; unknown first): a slow notebook late in the plan
    # would otherwise run alone at the end of a parallel batch
    todo.sort(key=lambda t: -math.inf if t.last is None else -t.last)

    def save() -> None:
        nonlocal raw_manifest
        raw_manifest = save_manifest(manifest_path, manifest, raw_manifest)

    live = progress and bool(todo) and sys.stderr.isatty() and not shared
    display: Progress = LiveTable(sys.stderr) if live else log
    with display if not shared else contextlib.nullcontext(display):
        for r in selected.runs:
            if r.output in results:
                display.finished(results[r.output])
            else:
                display.queued(r)
        if todo:
            save()
            _execute(plan, todo, results, manifest, save, display, workers=workers, executor=executor)
    facts_path = paths.facts
    merged = _collect_facts(plan, manifest)
    save()
    _write_facts(facts_path, merged)
    return RunReport(
        results=tuple(results[r.output] for r in selected.runs),
        manifest=manifest_path,
        facts=facts_path,
        warnings=plan.warnings,
    )


def _execute(
    plan: Plan,
    todo: list[_Todo],
    results: dict[str, RunResult],
    manifest: Manifest,
    save: Callable[[], None],
    display: Progress,
    *,
    workers: int | None,
    executor: Executor | None,
) -> None:
    root = plan.root
    pool = executor or ThreadPoolExecutor(
        max_workers=max(1, min(workers or os.cpu_count() or 1, len(todo))), thread_name_prefix="cufstudy-run"
    )
    futures: dict[Future[dict[str, Any]], _Todo] = {}
    interrupted = False
    warm = contextlib.ExitStack()
    try:
        # warm kernels for this process's threads; another executor's workers start theirs cold
        key = (
            warm.enter_context(warm_kernels(root, sorted({root / t.run.notebook for t in todo}), KERNEL))
            if executor is None
            else None
        )
        for item in todo:
            r = item.run
            futures[
                pool.submit(
                    execute_notebook_run,
                    str(root / r.notebook),
                    str(root / r.output),
                    str(root / r.failed_output),
                    dict(r.parameters),
                    str(root),
                    KERNEL,
                    kernels=key,
                )
            ] = item
        pending: set[Future[dict[str, Any]]] = set(futures)
        started: set[Future[dict[str, Any]]] = set()
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in pending - started:
                if future.running():
                    started.add(future)
                    display.running(futures[future].run)
            for future in done:
                item = futures[future]
                result, entry = _record(item, outcome(future))
                results[item.run.output] = result
                manifest.runs[item.run.output] = entry
                save()
                display.finished(result)
    except BaseException:
        interrupted = True
        for future in futures:
            future.cancel()
        raise
    finally:
        if executor is None:
            pool.shutdown(wait=not interrupted, cancel_futures=True)
        warm.close()


def _record(item: _Todo, outcome: dict[str, Any]) -> tuple[RunResult, ManifestEntry]:
    r = item.run
    failure = None
    if outcome["status"] != "ok":
        failure = Failure(
            cell_index=outcome.get("cell_index"),
            execution_count=outcome.get("execution_count"),
            ename=str(outcome.get("ename")),
            evalue=str(outcome.get("evalue")),
            failed_output=r.failed_output if outcome.get("failed_written") else None,
        )
    status: Status = "ok" if failure is None else "failed"
    duration = outcome.get("duration")
    result = RunResult(r, status, item.reason, duration, failure)
    entry = ManifestEntry(
        notebook=r.notebook,
        parameters=r.parameters,
        key=item.parts["key"],
        parts={k: v for k, v in item.parts.items() if k != "key"},
        status=status,
        duration=None if duration is None else round(duration, 3),
        output=r.output,
        finished=now(),
        failure=failure,
    )
    return result, entry


def _collect_facts(plan: Plan, manifest: Manifest) -> dict[str, Fact]:
    sources: list[tuple[str, Sequence[Fact]]] = []
    for r in plan.runs:
        entry = manifest.runs.get(r.output)
        if entry is None or entry.status == "failed":
            continue
        try:
            st = (plan.root / r.output).stat()
        except FileNotFoundError:
            continue
        stat = (st.st_size, st.st_mtime_ns)
        if entry.facts is not None and entry.output_stat == stat:
            facts = [Fact.model_validate(f) for f in entry.facts]
        else:
            facts = facts_from_notebook(json.loads((plan.root / r.output).read_bytes()))
            manifest.runs[r.output] = entry.model_copy(
                update={"facts": [f.model_dump(mode="json") for f in facts], "output_stat": stat}
            )
        sources.append((f"{r.label} [{r.output}]", facts))
    # the documents' own structure (the steps of the guide), counted from the sources on every run
    sources.append(("the structure of the documents", _structure_facts(plan.root)))
    return merge_facts(sources)


def _structure_facts(root: Path) -> list[Fact]:
    """The structure facts of the project's deliverables (:mod:`cufstudy.render.structure`); none when the
    project's configuration cannot be read (the build reports that itself)."""
    from cufstudy.core.errors import CufstudyError
    from cufstudy.render.structure import document_facts

    try:
        return document_facts(project_of(root))
    except CufstudyError:
        return []


def _write_facts(path: Path, facts: dict[str, Fact]) -> None:
    wanted = {k: facts[k].model_dump(mode="json") for k in sorted(facts)}
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")).get("facts") == wanted:
            return
    FactStore(path).write(facts)
