"""Confidential fields of the data model, and the public view that leaves them out.

A field is confidential when the data model says so, with the :data:`CONFIDENTIAL` marker::

    interviewee: str | None = Field(default=None, max_length=200, json_schema_extra=CONFIDENTIAL)

Marking a field is all it takes: :func:`public_view` (``Case.public()``, ``CaseBase.public()``) drops it,
:func:`confidential_values` lists its values for the leak check of public outputs
(:func:`confidential_items` with the field each comes from, which the leak error names instead of the
value, see :class:`ConfidentialValue`), and :func:`confidential_fields` names it. A confidential field
must be optional with ``None`` as default, so that the public view is still a valid object.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from cufstudy.core.problems import FieldPath, models_in, path_str

__all__ = [
    "CONFIDENTIAL",
    "ConfidentialValue",
    "confidential_fields",
    "confidential_items",
    "confidential_values",
    "public_view",
]

CONFIDENTIAL: dict[str, Any] = {"confidential": True}
"""The marker of a confidential field: ``Field(..., json_schema_extra=CONFIDENTIAL)``."""

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ConfidentialValue:
    """A confidential value and where it comes from, to be named by a leak error without being shown.

    Examples
    --------
    >>> where = ("data/cases/ville-x.yaml", "interviews[0].interviewee")
    >>> secret = ConfidentialValue("Zébulon Quatrefages-Météyer", *where)
    >>> secret.origin, secret.masked
    ('data/cases/ville-x.yaml: interviews[0].interviewee', 'Z… (27 characters)')
    """

    value: str
    file: str = ""
    field: str = ""

    @property
    def origin(self) -> str:
        """``file: field``, or what is known of it."""
        return ": ".join(part for part in (self.file, self.field) if part) or "a confidential field"

    @property
    def masked(self) -> str:
        """The first letter and the length: enough to recognise the value, not to read it."""
        text = self.value.strip()
        return f"{text[:1]}… ({len(text)} characters)"

    def __repr__(self) -> str:  # a traceback or a debugger never shows the value either
        return f"ConfidentialValue({self.masked!r}, file={self.file!r}, field={self.field!r})"


def _is_confidential(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("confidential"))


def _holds_secrets(model: type[BaseModel], seen: frozenset[type[BaseModel]]) -> bool:
    for info in model.model_fields.values():
        if _is_confidential(info):
            return True
        if any(sub not in seen and _holds_secrets(sub, seen | {sub}) for sub in models_in(info.annotation)):
            return True
    return False


@cache
def _plan(model: type[BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The confidential fields of ``model``, and the fields whose models hold confidential fields."""
    secret: list[str] = []
    nested: list[str] = []
    for name, info in model.model_fields.items():
        if _is_confidential(info):
            if info.is_required() or info.get_default(call_default_factory=True) is not None:
                raise TypeError(
                    f"the confidential field {model.__name__}.{name} must be optional with the default None, "
                    "so that the public view can drop it"
                )
            secret.append(name)
        elif any(_holds_secrets(sub, frozenset({model, sub})) for sub in models_in(info.annotation)):
            nested.append(name)
    return tuple(secret), tuple(nested)


def _public(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return public_view(value)
    if isinstance(value, tuple | list):
        return type(value)(_public(v) for v in value)
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items()}
    return value


def public_view(model: M) -> M:
    """``model`` without its confidential fields (set to ``None``), at any depth.

    Examples
    --------
    >>> from pydantic import Field
    >>> class Interview(BaseModel):
    ...     role: str
    ...     notes: str | None = Field(default=None, json_schema_extra=CONFIDENTIAL)
    >>> public_view(Interview(role="Directrice", notes="Zébulon Quatrefages-Météyer a dit…"))
    Interview(role='Directrice', notes=None)
    """
    secret, nested = _plan(type(model))
    if not secret and not nested:
        return model
    update: dict[str, Any] = dict.fromkeys(secret)
    update.update({name: _public(getattr(model, name)) for name in nested})
    return model.model_copy(update=update)


def _texts(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if value is None or value == "":
        return
    if isinstance(value, tuple | list):
        for i, v in enumerate(value):
            yield from _texts(v, (*path, i))
    elif isinstance(value, set | frozenset):
        for v in sorted(value, key=str):
            yield from _texts(v, path)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(v, (*path, str(k)))
    else:
        yield path, value if isinstance(value, str) else str(value)


def _items(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, BaseModel]]:
    if isinstance(value, BaseModel):
        yield path, value
    elif isinstance(value, tuple | list):
        for i, v in enumerate(value):
            yield from _items(v, (*path, i))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _items(v, (*path, str(k)))


def _confidential_items(model: BaseModel, path: FieldPath) -> list[tuple[FieldPath, str]]:
    secret, nested = _plan(type(model))
    found = [item for name in secret for item in _texts(getattr(model, name), (*path, name))]
    for name in nested:
        for where, sub in _items(getattr(model, name), (*path, name)):
            found += _confidential_items(sub, where)
    return found


def confidential_items(model: BaseModel) -> list[tuple[str, str]]:
    """Every value of a confidential field of ``model`` (at any depth) with its field, in field order.

    Examples
    --------
    >>> from pydantic import Field
    >>> class Interview(BaseModel):
    ...     role: str
    ...     interviewee: str | None = Field(default=None, json_schema_extra=CONFIDENTIAL)
    >>> class Case(BaseModel):
    ...     interviews: tuple[Interview, ...] = ()
    >>> confidential_items(Case(interviews=(Interview(role="DGS", interviewee="Zébulon Quatrefages-Météyer"),)))
    [('interviews[0].interviewee', 'Zébulon Quatrefages-Météyer')]
    """
    return [(path_str(path), text) for path, text in _confidential_items(model, ())]


def confidential_values(model: BaseModel) -> list[str]:
    """Every value of a confidential field of ``model`` (at any depth), as text, in field order."""
    return [text for _, text in _confidential_items(model, ())]


def confidential_fields(model: type[BaseModel]) -> list[str]:
    """Dotted names of the fields ``model`` marks confidential, at any depth (e.g. ``interviews.notes``)."""
    found: list[str] = []

    def walk(m: type[BaseModel], prefix: str, seen: frozenset[type[BaseModel]]) -> None:
        secret, nested = _plan(m)
        for name, info in m.model_fields.items():
            if name in secret:
                found.append(f"{prefix}{name}")
            elif name in nested:
                for sub in models_in(info.annotation):
                    if sub not in seen:
                        walk(sub, f"{prefix}{name}.", seen | {sub})

    walk(model, "", frozenset({model}))
    return found
