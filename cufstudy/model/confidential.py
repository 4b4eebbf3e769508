"""Confidential fields of the data model, and the public view that leaves them out.

A field is confidential when the data model says so, with the :data:`CONFIDENTIAL` marker::

    interviewee: str | None = Field(default=None, max_length=200, json_schema_extra=CONFIDENTIAL)

Marking a field is all it takes: :func:`public_view` (``Case.public()``, ``CaseBase.public()``) drops it,
:func:`confidential_values` lists its values for the leak check of public outputs, and
:func:`confidential_fields` names it. A confidential field must be optional with ``None`` as default, so
that the public view is still a valid object.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from cufstudy.core.problems import models_in

__all__ = ["CONFIDENTIAL", "confidential_fields", "confidential_values", "public_view"]

CONFIDENTIAL: dict[str, Any] = {"confidential": True}
"""The marker of a confidential field: ``Field(..., json_schema_extra=CONFIDENTIAL)``."""

M = TypeVar("M", bound=BaseModel)


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


def _models(value: Any) -> Iterator[BaseModel]:
    if isinstance(value, BaseModel):
        yield value
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _models(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _models(v)


def _texts(value: Any) -> Iterator[str]:
    if value is None or value == "":
        return
    if isinstance(value, tuple | list | set | frozenset):
        for v in value:
            yield from _texts(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    else:
        yield value if isinstance(value, str) else str(value)


def confidential_values(model: BaseModel) -> list[str]:
    """Every value of a confidential field of ``model`` (at any depth), as text, in field order."""
    secret, nested = _plan(type(model))
    found = [text for name in secret for text in _texts(getattr(model, name))]
    for name in nested:
        for sub in _models(getattr(model, name)):
            found += confidential_values(sub)
    return found


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
