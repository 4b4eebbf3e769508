"""Named facts: the numbers the prose cites, recorded by notebooks, formatted in French.

A notebook calls :func:`record`; the value is shown in the notebook output (as Markdown and as a
``application/vnd.cufstudy.fact+json`` bundle the runner collects) and written to the project's facts
store, ``_build/facts.json``. The prose cites it with ``{{< fact key >}}``, so every deliverable prints
the same figure, formatted the same way (:func:`cufstudy.core.french.format_fr`).

The store is a JSON object ``{"facts": {key: Fact}}``. Writes take a lock and replace the file
atomically, so parallel kernels never corrupt it. In a batch (``cufstudy run``, ``cufstudy build``) each
run's kernel records into a store of its own (``$CUFSTUDY_FACTS``, set by
:func:`cufstudy.pipeline.execute.execute_notebook_run`), and the batch writes the project's store from the
facts the outputs show (:func:`facts_from_notebook`, :func:`merge_facts`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import filelock
from pydantic import BaseModel, ConfigDict

from cufstudy.core.atomic import atomic_write_text
from cufstudy.core.errors import FactError
from cufstudy.core.french import PERCENT_DECIMALS, format_fr
from cufstudy.core.project import BuildPaths, project_root
from cufstudy.notebook._root import notebook_root

__all__ = [
    "FACT_MIME",
    "PHRASE",
    "Fact",
    "FactStore",
    "facts_path",
    "get",
    "merge_facts",
    "record",
    "record_count",
]

FACT_MIME = "application/vnd.cufstudy.fact+json"
_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9][a-z0-9_-]*)*$")

Value = int | float | str | bool


class Fact(BaseModel):
    """A recorded fact: its raw value, its French label and unit, and the text the prose prints."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    value: Value
    label: str
    unit: str | None = None
    text: str
    source: str | None = None
    base: str | None = None
    """What the figure is computed on, as its sentence states it: ``n = 18 missions DCOL``."""


def facts_path(root: Path | None = None) -> Path:
    """The facts store: ``$CUFSTUDY_FACTS`` if set, else ``<project>/_build/facts.json``.

    The project is the nearest folder, from ``root`` up, holding ``_quarto.yml``
    (:func:`cufstudy.core.project.project_root`); without ``root``, the notebook's project (the one its
    ``setup(data)`` found, else the one holding the working folder).

    Raises
    ------
    DataError
        Without ``root``, outside any project: nothing is written into a stray ``_build/``.
    """
    env = os.environ.get("CUFSTUDY_FACTS")
    if env:
        return Path(env)
    return BuildPaths(project_root(root) if root is not None else notebook_root()).facts


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold ``<store>.lock`` while reading and rewriting the store (kernels of a batch record at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(path.with_suffix(path.suffix + ".lock")):
        yield


class FactStore:
    """The facts of a project, read from and written to one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Fact]:
        if not self.path.is_file():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {k: Fact.model_validate(v) for k, v in raw.get("facts", {}).items()}
        except (ValueError, AttributeError) as exc:
            raise FactError(f"{self.path}: the facts store is not valid JSON facts ({exc})") from exc

    def write(self, facts: Mapping[str, Fact]) -> None:
        payload = {
            "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "facts": {k: facts[k].model_dump(mode="json") for k in sorted(facts)},
        }
        atomic_write_text(self.path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")

    def put(self, fact: Fact) -> None:
        with _locked(self.path):
            facts = self.read()
            facts[fact.key] = fact
            self.write(facts)

    def get(self, key: str) -> Fact:
        facts = self.read()
        if key not in facts:
            near = [k for k in facts if k.split(".")[-1] == key.split(".")[-1]][:3]
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise FactError(f"unknown fact {key!r} in {self.path}{hint}")
        return facts[key]


def make_fact(
    key: str,
    value: Value,
    label: str,
    unit: str | None = None,
    decimals: int | None = None,
    source: str | None = None,
    base: str | None = None,
    text: str | None = None,
) -> Fact:
    """Build a :class:`Fact` with its French text (or ``text``), checking the key and the value."""
    if not _KEY.match(key):
        raise FactError(
            f"invalid fact key {key!r}: expected lowercase words separated by dots, e.g. 'niveau.region.n_cas'"
        )
    if hasattr(value, "item"):  # numpy scalars from pandas
        value = value.item()
    if not isinstance(value, int | float | str | bool):
        raise FactError(f"fact {key!r}: expected a number, text or boolean, got {type(value).__name__}")
    if unit == "%" and decimals is None:
        decimals = PERCENT_DECIMALS  # a percentage prints as every share does (« 66 % », not « 65,8 % »)
    shown = format_fr(value, unit, decimals) if text is None else text
    return Fact(key=key, value=value, label=label, unit=unit, text=shown, source=source, base=base)


def record(
    key: str,
    value: Value,
    label: str,
    unit: str | None = None,
    *,
    decimals: int | None = None,
    source: str | None = None,
    base: str | None = None,
    store: Path | None = None,
    display: bool = True,
) -> Fact:
    """Record a named fact from a notebook and show it in the cell output.

    Parameters
    ----------
    key
        Dotted lowercase name, e.g. ``n_cases`` or ``niveau.region.n_cas``.
    value
        The number or text.
    label
        French label (« Collectivités accompagnées »).
    unit
        French unit (``%``, ``habitants``, ``ETP``), optional. A percentage prints with
        :data:`~cufstudy.core.french.PERCENT_DECIMALS` digits unless ``decimals`` says otherwise: the same
        figure as the sentences and key figures giving that share (:func:`~cufstudy.core.french.format_percent`).
    decimals
        Digits after the decimal comma of a float (:func:`~cufstudy.core.french.format_fr`).
    base
        What the figure is computed on (``study.dcol.base_text``: ``n = 18 missions DCOL``), kept with the
        fact so every number of the prose can be traced to its population.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "facts.json"
    >>> record("n_cases", 18, "Collectivités accompagnées", store=p, display=False).text
    '18'
    """
    fact = make_fact(key, value, label, unit, decimals, source, base)
    FactStore(store or facts_path()).put(fact)
    if display:
        _display(fact)
    return fact


PHRASE = "phrase"
"""The last part of the key of a count's phrase: ``n_calls.phrase`` is ``cinq appels``."""


def record_count(
    key: str,
    n: int,
    noun: str,
    label: str,
    *,
    qualifier: str = "",
    base: str | None = None,
    source: str | None = None,
    store: Path | None = None,
    display: bool = True,
) -> tuple[Fact, Fact]:
    """Record a count twice: ``key``, the number (``5``: tables, key figures), and ``key.phrase``, the count
    with its noun as running text writes it (``cinq appels``, ``18 missions``, ``une collectivité``:
    :func:`cufstudy.core.sentences.count`, numbers below ten in words, agreement).

    Prose cites the phrase in a sentence (``menés sur {{< fact n_calls.phrase >}}``) and the number where
    digits are wanted. ``qualifier`` follows the noun (``DCOL``: ``18 missions DCOL``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "facts.json"
    >>> [f.text for f in record_count("n_calls", 5, "appel", "Appels DCOL", store=p, display=False)]
    ['5', 'cinq appels']
    """
    from cufstudy.core.sentences import count

    phrase = f"{count(n, noun)} {qualifier}".strip()
    number = record(key, n, label, base=base, source=source, store=store, display=display)
    words = make_fact(
        f"{key}.{PHRASE}", n, f"{label} (dans une phrase)", base=base, source=source, text=phrase
    )
    FactStore(store or facts_path()).put(words)
    if display:
        _display(words)
    return number, words


def _display(fact: Fact) -> None:
    try:
        import IPython.display
    except ImportError:  # pragma: no cover - IPython is a dependency through ipykernel
        return
    ipy_display: Any = IPython.display.display
    bundle = {
        FACT_MIME: fact.model_dump(mode="json"),
        "text/markdown": f"**{fact.label}** (`{fact.key}`) : {fact.text}",
        "text/plain": f"{fact.key} = {fact.text}  # {fact.label}",
    }
    ipy_display(bundle, raw=True)


def get(key: str, store: Path | None = None) -> Fact:
    """Read a recorded fact back (raises :class:`FactError` with near matches if unknown)."""
    return FactStore(store or facts_path()).get(key)


def facts_from_notebook(nb: Mapping[str, Any]) -> list[Fact]:
    """The facts a executed notebook displayed, in order (read from its outputs, not from the store)."""
    found: list[Fact] = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if FACT_MIME in data:
                found.append(Fact.model_validate(data[FACT_MIME]))
    return found


def merge_facts(sources: Iterable[tuple[str, Sequence[Fact]]]) -> dict[str, Fact]:
    """Merge the facts of several runs, given as (run label, facts) pairs.

    Raises
    ------
    FactError
        Naming both runs, for every key recorded with two different values.
    """
    merged: dict[str, tuple[Fact, str]] = {}
    conflicts: list[str] = []
    for label, facts in sources:
        for fact in facts:
            seen = merged.get(fact.key)
            if seen is None:
                merged[fact.key] = (fact, label)
                continue
            other, other_label = seen
            if (other.value, other.unit, other.text, other.label) != (fact.value, fact.unit, fact.text, fact.label):
                conflicts.append(f"fact {fact.key!r} is {other.text!r} in {other_label} but {fact.text!r} in {label}")
    if conflicts:
        raise FactError(
            "facts recorded with different values by different runs (namespace the key by the "
            "parameter, e.g. 'niveau.{tier}.n_cas'):\n  " + "\n  ".join(conflicts)
        )
    return {key: fact for key, (fact, _) in merged.items()}
