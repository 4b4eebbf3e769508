"""A safe, line-aware YAML reader for hand-edited files.

It reads the file's bytes itself so that every problem is located and explained:

* a regular file only (a FIFO or a device is refused without blocking), and a size limit (``MAX_BYTES``)
  on the bytes actually read, checked before parsing (:func:`cufstudy.core.files.read_limited`);
* encoding: UTF-8 only; a UTF-16 or UTF-8 BOM, NUL bytes or invalid UTF-8 are reported with the byte
  offset and line;
* parsing with ``yaml.SafeLoader`` (no Python object tags), composed into nodes first so that
  duplicate keys in a mapping are errors and each value keeps its line;
* aliases are expanded under a node budget (``MAX_NODES``), which stops "billion laughs" bombs
  before memory grows, and nesting deeper than ``MAX_DEPTH`` is refused (no recursion overflow);
* strings longer than ``MAX_STRING`` are refused.

:func:`read_yaml` returns the data and a map from field path to line number, used to locate
validation errors found later by pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cufstudy.core.errors import DataError
from cufstudy.core.files import read_limited
from cufstudy.core.problems import FieldPath, Problem, Problems, Reason, path_str, shorten

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_STRING",
    "FieldPath",
    "YamlDoc",
    "parse_yaml",
    "path_str",
    "read_yaml",
]

MAX_BYTES = 1_000_000
MAX_NODES = 50_000
MAX_STRING = 20_000
MAX_DEPTH = 100

# the C loader is much faster; fall back to the pure-Python one
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document: its data and the line of every field path."""

    file: str
    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: FieldPath) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def problem(self, path: FieldPath, message: str, reason: Reason = Reason.INVALID_VALUE) -> Problem:
        """A problem at ``path`` of this document, located on its line (or its nearest ancestor's)."""
        return Problem(self.file, message, self.line_of(path), path_str(path) or None, reason)


def _unreadable(file: str, message: str, line: int | None = None, field: str | None = None) -> DataError:
    """The error of a file that cannot be read as YAML (encoding, syntax, size, bombs)."""
    return DataError.single(file, message, line, field, Reason.UNREADABLE)


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a BOM: in text mostly made of ASCII, every other byte is NUL."""
    head = raw[:400]
    if len(head) < 4:
        return False
    for zeros, other in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):
        if zeros.count(0) >= 0.8 * len(zeros) and other.count(0) <= 0.2 * len(other):
            return True
    return False


def _decode(raw: bytes, file: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _unreadable(file, "the file is UTF-16 encoded; save it as UTF-8 (without BOM)", line=1)
    if _looks_utf16(raw):
        raise _unreadable(file, "the file looks UTF-16 encoded (without BOM); save it as UTF-8", line=1)
    if raw.startswith(b"\xef\xbb\xbf"):
        raise _unreadable(
            file, "the file starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without BOM", line=1
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise _unreadable(file, f"binary content (NUL byte at offset {nul}); expected a UTF-8 text file", line=line)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise _unreadable(
            file,
            f"not valid UTF-8 (byte 0x{bad} at offset {exc.start}; the file may be Latin-1 or Windows-1252): "
            "save it as UTF-8",
            line=line,
        ) from exc


_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp", "merge")
}


_STR = "tag:yaml.org,2002:str"


class _Builder:
    """Turn a composed node tree into Python data, recording lines and refusing bad shapes."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[FieldPath, int] = {}
        self.problems = Problems(DataError)
        self.budget = MAX_NODES
        self._scalar = _Loader("")  # used only for construct_scalar/resolution of plain scalars

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        self.budget -= 1
        if self.budget < 0:
            # an alias's node is its anchor's: name the innermost mapping key being expanded instead
            key = next((path[:n] for n in range(len(path), 0, -1) if isinstance(path[n - 1], str)), ())
            raise _unreadable(
                self.file,
                f"the document expands to more than {MAX_NODES} values (YAML aliases used as a bomb?); refused",
                line=self.lines.get(key, node.start_mark.line + 1),
                field=path_str(key) or None,
            )
        if len(path) > MAX_DEPTH:
            raise _unreadable(
                self.file,
                f"values nested more than {MAX_DEPTH} levels deep; refused",
                line=node.start_mark.line + 1,
                field=path_str(path[:3]) + "..." if path else None,
            )
        self.lines.setdefault(path, node.start_mark.line + 1)
        if node.tag not in _STANDARD_TAGS:
            self.problems.append(
                Problem(
                    self.file,
                    f"YAML tag {node.tag!r} is not allowed; use plain values",
                    node.start_mark.line + 1,
                    path_str(path) or None,
                    Reason.UNSUPPORTED,
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problems.append(
                        Problem(
                            self.file,
                            "YAML merge keys (<<) are not supported",
                            key_node.start_mark.line + 1,
                            path_str(path) or None,
                            Reason.UNSUPPORTED,
                        )
                    )
                    continue
                key = self.build(key_node, (*path, "<key>"))
                if not isinstance(key, str | int):
                    self.problems.append(
                        Problem(
                            self.file,
                            f"mapping keys must be text, got {type(key).__name__}",
                            key_node.start_mark.line + 1,
                            path_str(path) or None,
                            Reason.WRONG_TYPE,
                        )
                    )
                    continue
                if key in out:
                    first = self.lines.get((*path, key))
                    self.problems.append(
                        Problem(
                            self.file,
                            f"duplicate key {key!r} (first defined on line {first})",
                            key_node.start_mark.line + 1,
                            path_str((*path, key)),
                            Reason.DUPLICATE,
                        )
                    )
                    continue
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*path, key))
            self.lines.pop((*path, "<key>"), None)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        try:
            # most values are text: construct_yaml_str returns node.value, without the constructor's cost
            value = node.value if node.tag == _STR else self._scalar.construct_object(node, deep=True)
        except ValueError as exc:  # e.g. a timestamp like 2022-13-45
            self.problems.append(
                Problem(
                    self.file,
                    f"invalid value {shorten(repr(node.value))}: {shorten(str(exc), 120)}",
                    node.start_mark.line + 1,
                    path_str(path) or None,
                    Reason.WRONG_TYPE,
                )
            )
            return None
        if isinstance(value, str) and len(value) > MAX_STRING:
            self.problems.append(
                Problem(
                    self.file,
                    f"text of {len(value)} characters; at most {MAX_STRING} are allowed",
                    node.start_mark.line + 1,
                    path_str(path) or None,
                    Reason.OUT_OF_RANGE,
                )
            )
            return value[:MAX_STRING]
        return value


def read_yaml(
    path: Path, display: str | None = None, max_bytes: int = MAX_BYTES, root: Path | None = None
) -> YamlDoc:
    """Read one YAML document safely, with the line of every field.

    Parameters
    ----------
    path
        The file to read.
    display
        How to name the file in messages (default: ``str(path)``).
    max_bytes
        The largest file accepted (bytes actually read, see :func:`cufstudy.core.files.read_limited`).
    root
        When given, a file resolving outside this folder (a symbolic link) is refused.

    Raises
    ------
    DataError
        With every located problem found (not a regular file, outside ``root``, encoding, syntax, duplicate
        keys, size, bombs).
    """
    file = display or str(path)
    text = _decode(read_limited(path, max_bytes, file, root), file)
    if not text.strip():
        raise _unreadable(file, "the file is empty; expected a YAML mapping", line=1)
    doc = parse_yaml(text, file)
    if doc.data is None and not doc.lines:
        raise _unreadable(file, "the file holds no YAML document; expected a mapping", line=1)
    return doc


def parse_yaml(text: str, file: str, first_line: int = 1) -> YamlDoc:
    """Parse YAML text already read (e.g. the front matter of a document) with the same safeguards.

    Parameters
    ----------
    text
        The YAML text.
    file
        How to name its file in messages.
    first_line
        The line of the file on which ``text`` starts, so that reported lines are the file's.

    Returns
    -------
    YamlDoc
        ``data`` is None (and ``lines`` empty) when the text holds no document.

    Raises
    ------
    DataError
        With every located problem found (syntax, control characters, duplicate keys, bombs, depth).
    """
    text = "\n" * (first_line - 1) + text
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        raise _unreadable(file, f"YAML syntax error: {what}", line=line) from exc
    except yaml.reader.ReaderError as exc:  # a control character: not a mark, but a position in the text
        line = None
        if isinstance(exc.position, int):  # the C reader counts bytes of UTF-8, the Python one characters
            if _Loader is yaml.SafeLoader:
                line = text.count("\n", 0, exc.position) + 1
            else:
                line = text.encode("utf-8").count(b"\n", 0, exc.position) + 1
        what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise _unreadable(
            file, f"control character {what} is not allowed in a YAML file; remove it", line=line
        ) from exc
    except yaml.YAMLError as exc:
        raise _unreadable(file, f"YAML error: {shorten(str(exc), 200)}") from exc
    except RecursionError as exc:  # the pure-Python composer on absurdly nested flow collections
        raise _unreadable(file, f"values nested more than {MAX_DEPTH} levels deep; refused") from exc
    finally:
        loader.dispose()
    if root is None:
        return YamlDoc(file=file, data=None)
    builder = _Builder(file)
    try:
        data = builder.build(root, ())
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise DataError.single(file, f"YAML value not allowed: {exc.problem}", line, reason=Reason.UNSUPPORTED) from exc
    builder.problems.raise_if_any()
    return YamlDoc(file=file, data=data, lines=builder.lines)
