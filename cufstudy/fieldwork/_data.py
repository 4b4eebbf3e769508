"""Reading the fieldwork data files (``data/fieldwork/*.yaml``) into strict models, with located problems."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cufstudy.core.errors import DataError, Problem
from cufstudy.core.yamlio import YamlDoc, path_str, read_yaml

__all__ = ["FIELDWORK_DIR", "located", "read_model"]

FIELDWORK_DIR = "fieldwork"
M = TypeVar("M", bound=BaseModel)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def located(doc: YamlDoc, errors: Iterable[Any]) -> list[Problem]:
    """Pydantic errors as problems located by line and field, worded as the case files' are."""
    problems = []
    for err in errors:
        loc = tuple(p for p in err["loc"] if isinstance(p, int) or not str(p).startswith(("function-", "str")))
        kind = err["type"]
        value = err.get("input")
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            message = "unknown field"
        elif kind in ("enum", "literal_error"):
            expected = err.get("ctx", {}).get("expected", "")
            choices = [c.strip(" '") for c in re.split(r",| or ", expected) if c.strip(" '")]
            near = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
            message = f"got {_short(value)}, expected one of: {', '.join(choices)}"
            message += f" (did you mean {near[0]!r}?)" if near else ""
        elif kind == "value_error":
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            message = f"got {_short(value)}: {err['msg'][0].lower()}{err['msg'][1:]}"
        problems.append(Problem(doc.file, message, doc.line_of(loc), path_str(loc) or None))
    return problems


def read_model(data: str | Path, name: str, model: type[M]) -> tuple[M, YamlDoc]:
    """Read ``<data>/fieldwork/<name>`` into ``model``; every problem located, all at once.

    Raises
    ------
    DataError
        The file is missing, unreadable, not YAML, or does not fit the model.
    """
    path = Path(data) / FIELDWORK_DIR / name
    if not path.is_file():
        raise DataError.single(str(path), f"no such file; the fieldwork kit reads its settings from {path}")
    doc = read_yaml(path)
    if not isinstance(doc.data, dict):
        raise DataError.single(doc.file, "expected a YAML mapping of fields", 1)
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        raise DataError(located(doc, exc.errors(include_url=False))) from exc
