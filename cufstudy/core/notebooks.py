"""Executed notebooks written compactly: one line of JSON, keys sorted.

nbformat writes a notebook indented (one line per number of a map's coordinates); any JSON reader, Jupyter's
included, reads the compact form, about half the size. An executed notebook is a build output: nobody diffs it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cufstudy.core.atomic import atomic_write_text

__all__ = ["notebook_json", "write_executed"]


def notebook_json(nb: Mapping[str, Any]) -> str:
    """The notebook as compact JSON (sorted keys, no indentation, UTF-8 text), ending with a newline."""
    return json.dumps(nb, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def write_executed(path: Path, nb: Mapping[str, Any]) -> None:
    """Write an executed notebook compactly and atomically (a reader never sees half of it)."""
    atomic_write_text(path, notebook_json(nb))
