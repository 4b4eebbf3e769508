"""Round-trip edits of a case file (ruamel.yaml): only the fields the import sets change.

Comments, key order, quoting and the layout of every other line stay as they were: the file is loaded as
a tree that remembers them, the follow-up, organisation and interview nodes are updated in place (or
added at the end of their mapping), and the tree is written back. New text is double-quoted like the
rest of the case files' text (codes stay plain); text over several lines is written as a literal block.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from cufstudy.core.workbook import fold

__all__ = ["Update", "apply_update", "round_trip"]

_INTERVIEW_ORDER = ("date", "role", "format", "interviewee", "notes", "organisation_view", "imported")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def round_trip(text: str) -> str:
    """Load and dump ``text`` unchanged (the import's precondition: the file survives a round trip)."""
    return _dump(_yaml().load(text))


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


_FREE_TEXT = frozenset({"obstacle", "lever", "role", "interviewee", "notes"})
"""Keys holding free text, double-quoted as in the case files; codes (``partly``, ``video``) stay plain."""


def _scalar(key: str, value: Any) -> Any:
    if isinstance(value, str) and key in _FREE_TEXT:
        return LiteralScalarString(value) if "\n" in value else DoubleQuotedScalarString(value)
    return value


def _set(node: CommentedMap, key: str, value: Any) -> None:
    """Set ``key``; ``None`` removes it. An equal value keeps its original spelling (quotes, float form)."""
    if value is None:
        if key in node:
            del node[key]
        return
    old = node.get(key)
    if old is not None and type(value) is not bool and old == value and str(old) == str(value):
        return
    node[key] = _scalar(key, value)


class Update:
    """What one form changes in one case file (plain values; ``None`` in ``organisation`` keeps a field)."""

    def __init__(
        self,
        follow_ups: Mapping[int, Mapping[str, Any]],
        organisation_key: str,
        organisation: Mapping[str, Any] | None,
        interview: Mapping[str, Any],
    ) -> None:
        self.follow_ups = dict(follow_ups)
        self.organisation_key = organisation_key
        self.organisation = dict(organisation) if organisation else None
        self.interview = dict(interview)


def _follow_ups(data: CommentedMap, update: Update) -> None:
    recs = data.get("recommendations")
    for index, values in sorted(update.follow_ups.items()):
        rec = recs[index]
        node = rec.get("follow_up")
        if not isinstance(node, CommentedMap):
            node = CommentedMap()
            rec["follow_up"] = node
        for key in ("status", "obstacle", "lever"):  # the three describe one observation: all replaced
            _set(node, key, values.get(key))


def _organisation(data: CommentedMap, update: Update) -> None:
    if update.organisation is None:
        return
    org = data.get("organisation")
    if not isinstance(org, CommentedMap):
        org = CommentedMap()
        keys = list(data)
        data.insert(keys.index("strategy") + 1 if "strategy" in keys else len(keys), "organisation", org)
    node = org.get(update.organisation_key)
    if not isinstance(node, CommentedMap):
        node = CommentedMap()
        org[update.organisation_key] = node
    for key in ("attachment", "fte", "budget_eur"):
        value = update.organisation.get(key)
        if value is not None:  # a blank cell keeps what the file says
            _set(node, key, value)


def _interview(data: CommentedMap, update: Update) -> None:
    values = update.interview
    seq = data.get("interviews")
    if not isinstance(seq, CommentedSeq):
        seq = CommentedSeq()
        data["interviews"] = seq
    match = None
    for item in seq:
        if (
            isinstance(item, CommentedMap)
            and _as_date(item.get("date")) == values["date"]
            and fold(str(item.get("role", ""))) == fold(values["role"])
        ):
            match = item
            break
    if match is None:
        match = CommentedMap()
        seq.append(match)
    for key in _INTERVIEW_ORDER:
        value = values.get(key)
        if value is None and key in ("interviewee", "notes", "format", "organisation_view"):
            continue  # a blank cell keeps what the file says of the same interview
        _set(match, key, value)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def apply_update(text: str, update: Update) -> str:
    """The case file ``text`` with ``update`` applied, everything else left as it was."""
    data = _yaml().load(text)
    _follow_ups(data, update)
    _organisation(data, update)
    _interview(data, update)
    return _dump(data)
