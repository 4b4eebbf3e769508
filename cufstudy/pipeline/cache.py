"""Cache keys of the runs: what a run depends on, hashed, so that an unchanged run is not executed again.

Each run has a key, the SHA-256 of: the notebook without its outputs, execution counts and save-time
metadata (cell types, sources and tags only); the run's parameters (canonical JSON); every file of the data
folder (sorted relative path and content hash, hidden files skipped), or only the files under the run's
declared ``inputs`` (see :mod:`cufstudy.pipeline.plan`) and the list of those inputs; the cufstudy version;
the kernel; and the source of the ``cufstudy`` package itself (its ``.py`` files), so that an edit of the
library re-runs everything. A run whose key is unchanged, whose last status is ok and whose output exists is
skipped (:func:`why`). Data file digests are computed once per batch for the whole data folder and cached in
the manifest by (size, mtime) to keep a no-op re-run fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from cufstudy.core.digest import library_digest, notebook_digest
from cufstudy.core.errors import DataError
from cufstudy.core.files import special_kind
from cufstudy.core.project import project_notices
from cufstudy.pipeline.execute import KERNEL
from cufstudy.pipeline.manifest import Manifest, ManifestEntry
from cufstudy.pipeline.plan import Plan, Run

__all__ = ["DataCache", "cache_parts", "notebook_digest", "why"]

_RACY_NS = 2_000_000_000  # data files modified less than 2 s before hashing are not cached


def _canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


DataCache = dict[str, tuple[int, int, str]]
"""Data file digests by POSIX path relative to the data folder: (size, mtime in ns, SHA-256)."""


def _data_digest(data_dir: Path, cache: DataCache) -> tuple[str, DataCache]:
    """Hash of every non-hidden file under ``data_dir``, and the refreshed (size, mtime) cache."""
    files, fresh = _data_files(data_dir, cache)
    return _combine(files), fresh


def _combine(files: Iterable[tuple[str, str]]) -> str:
    """Hash of (relative path, content digest) pairs, in the order given (sorted by path)."""
    total = hashlib.sha256()
    for rel, digest in files:
        total.update(f"{rel}\0{digest}\n".encode())
    return total.hexdigest()


def _subset(files: Sequence[tuple[str, str]], inputs: Sequence[str]) -> list[tuple[str, str]]:
    """The files (sorted pairs of :func:`_data_files`) at or under one of ``inputs`` (``.``: all)."""
    if "." in inputs:
        return list(files)
    exact = set(inputs)
    prefixes = tuple(f"{name}/" for name in inputs)
    return [(rel, digest) for rel, digest in files if rel in exact or rel.startswith(prefixes)]


def _data_files(data_dir: Path, cache: DataCache) -> tuple[list[tuple[str, str]], DataCache]:
    """(relative path, content digest) of every non-hidden file under ``data_dir``, sorted by path,
    and the refreshed (size, mtime) cache."""
    files: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(data_dir):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        rel_dir = os.path.relpath(dirpath, data_dir)
        for name in filenames:
            if not name.startswith("."):
                rel = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
                files.append((rel, Path(dirpath, name)))
    files.sort()
    now = time.time_ns()
    fresh: DataCache = {}
    digests: list[tuple[str, str]] = []
    for rel, full in files:
        st = full.stat()
        kind = special_kind(st.st_mode)
        if kind is not None:  # never read: a FIFO would block, a device never ends
            raise DataError.single(str(full), f"{kind}, not a regular file: remove it from the data folder")
        hit = cache.get(rel)
        if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            digest = hit[2]
        else:
            with full.open("rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
        if st.st_mtime_ns < now - _RACY_NS:  # a file written just now may change again within mtime resolution
            fresh[rel] = (st.st_size, st.st_mtime_ns, digest)
        digests.append((rel, digest))
    return digests, fresh


def _library_digest() -> str:
    """Hash of the source of the cufstudy package: editing the library re-runs the notebooks."""
    return library_digest()


def _version() -> str:
    import cufstudy

    version = getattr(cufstudy, "__version__", None)
    if isinstance(version, str):
        return version
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("cufstudy")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def cache_parts(plan: Plan, runs: Iterable[Run], manifest: Manifest | None = None) -> dict[str, dict[str, str]]:
    """The cache key parts of each run, by output path (``key`` is the hash of the others).

    ``data`` hashes the whole data folder, or for a run with ``inputs`` only the files under them
    (its ``inputs`` part then lists them). Refreshes ``manifest.data_files`` (the data digest cache)
    when a manifest is given.
    """
    cache = manifest.data_files if manifest is not None else {}
    files, fresh = _data_files(plan.data_dir, cache)
    if manifest is not None:
        manifest.data_files = fresh
    common = {"library": _library_digest(), "version": _version(), "kernel": KERNEL}
    # what the notebooks read of the project's settings: the notices their charts print
    common["notices"] = _sha(project_notices(plan.root).model_dump_json())
    data: dict[tuple[str, ...] | None, str] = {}  # by declared inputs (None: the whole folder)
    out: dict[str, dict[str, str]] = {}
    digests: dict[str, str] = {}
    for r in runs:
        if r.notebook not in digests:
            digests[r.notebook] = notebook_digest(plan.root / r.notebook)
        if r.inputs not in data:
            data[r.inputs] = _combine(files if r.inputs is None else _subset(files, r.inputs))
        parts = {
            "data": data[r.inputs],
            **common,
            "notebook": digests[r.notebook],
            "parameters": _canonical(r.parameters),
        }
        if r.inputs is not None:
            parts["inputs"] = _canonical(sorted(r.inputs))  # the order of the declaration does not matter
        out[r.output] = {**parts, "key": _sha(_canonical(parts))}
    return out


_PART_NAMES = {
    "notebook": "notebook changed",
    "parameters": "parameters changed",
    "inputs": "inputs changed",
    "data": "data changed",
    "notices": "notices changed",
    "library": "cufstudy changed",
    "version": "cufstudy changed",
    "kernel": "kernel changed",
}


def why(prev: ManifestEntry | None, parts: dict[str, str], output: Path, force: bool) -> str | None:
    """Why a run must execute, or None if it is up to date."""
    if prev is None:
        return "new"
    if force:
        return "forced"
    if prev.status == "failed":
        return "failed last time"
    if prev.key != parts["key"]:
        keys = [k for k in _PART_NAMES if prev.parts.get(k) != parts.get(k)]
        if "inputs" in keys and "data" in keys:  # other files are hashed: the data digest differs anyway
            keys.remove("data")
        changed = dict.fromkeys(_PART_NAMES[k] for k in keys)
        return ", ".join(changed) or "key changed"
    if not output.is_file():
        return "output missing"
    return None
