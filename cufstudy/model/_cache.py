"""A cache of validated case bases, so that each notebook of a batch does not parse the YAML files again.

Every notebook of a run plan starts with :func:`~cufstudy.model.cases.load_cases`; with thousands of case
files, parsing and validating them takes seconds, once per run. The first load of a project stores the
validated cases in ``_build/cache/cases-<key>.pickle``; later loads with the same key read them back.

Beside it, ``cases-<key>.json`` summarises the validated base (number of cases, whether any is
illustrative, a hash of the confidential values): what ``cufstudy build`` needs to decide that nothing
changed, without loading the cases at all.

The key hashes the bytes and names of every case file and the source of the cufstudy package (which
defines the models), so any change of the data or of the library misses the cache: a stale case base is
never returned. Only a folder inside a project (a parent holds ``_quarto.yml``) is cached, under that
project's ``_build/``: the data folder itself is never written to. ``CUFSTUDY_NO_CASE_CACHE=1`` turns the
cache off. The pickle is as trusted as the project's notebooks, which run code anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

from cufstudy.core.atomic import atomic_path, atomic_write_text
from cufstudy.core.digest import library_digest
from cufstudy.core.project import BuildPaths, find_root

__all__ = ["cache_key", "load", "load_summary", "store", "store_summary"]

_PREFIX = "cases-"


def _folder(data_folder: Path) -> Path | None:
    if os.environ.get("CUFSTUDY_NO_CASE_CACHE"):
        return None
    root = find_root(data_folder)
    return None if root is None else BuildPaths(root).cache


def cache_key(files: list[tuple[str, bytes]]) -> str:
    """Hash of the library source and of every (name, content) of the case files."""
    total = hashlib.sha256(library_digest().encode())
    for name, raw in files:
        total.update(f"{name}\0{len(raw)}\0".encode())
        total.update(raw)
    return total.hexdigest()[:32]


def load(data_folder: Path, key: str) -> Any | None:
    """What :func:`store` stored under ``key``, or None (no cache, other key, unreadable file)."""
    folder = _folder(data_folder)
    if folder is None:
        return None
    try:
        with (folder / f"{_PREFIX}{key}.pickle").open("rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None


def store(data_folder: Path, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` (atomically) and remove the entries of other keys; failures are ignored."""
    folder = _folder(data_folder)
    if folder is None:
        return
    target = folder / f"{_PREFIX}{key}.pickle"
    with contextlib.suppress(OSError, pickle.PicklingError):
        with atomic_path(target) as tmp, tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        _remove_other_keys(folder, key)


def load_summary(data_folder: Path, key: str) -> dict[str, Any] | None:
    """What :func:`store_summary` stored under ``key``, or None."""
    folder = _folder(data_folder)
    if folder is None:
        return None
    try:
        data = json.loads((folder / f"{_PREFIX}{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def store_summary(data_folder: Path, key: str, summary: dict[str, Any]) -> None:
    """Store a small JSON summary of the validated cases under ``key``; failures are ignored."""
    folder = _folder(data_folder)
    if folder is None:
        return
    with contextlib.suppress(OSError):
        atomic_write_text(folder / f"{_PREFIX}{key}.json", json.dumps(summary, sort_keys=True))
        _remove_other_keys(folder, key)


def _remove_other_keys(folder: Path, key: str) -> None:
    for old in folder.glob(f"{_PREFIX}*"):
        if old.name.startswith(".") or old.stem == f"{_PREFIX}{key}":
            continue
        with contextlib.suppress(OSError):
            old.unlink()
