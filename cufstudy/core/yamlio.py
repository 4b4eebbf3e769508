"""A safe, line-aware YAML reader for hand-edited files.

It reads the file's bytes itself so that every problem is located and explained:

* size limit (``MAX_BYTES``) checked before parsing;
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

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cufstudy.core.errors import DataError, Problem

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
_PLAIN_KEY = re.compile(r"^[^\s.\[\]'\"]+$")  # shown as is in a field path; other keys are quoted

FieldPath = tuple[str | int, ...]

# the C loader is much faster; fall back to the pure-Python one
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def path_str(path: FieldPath) -> str:
    """``("recommendations", 2, "status")`` -> ``recommendations[2].status``.

    A key that would not read as one (empty, blank, with spaces, dots, brackets) is quoted: ``strategy[' ']``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.match(part):
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else part
    return out


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


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a BOM: in text mostly made of ASCII, every other byte is NUL."""
    head = raw[:400]
    if len(head) < 4:
        return False
    for zeros, other in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):
        if zeros.count(0) >= 0.8 * len(zeros) and other.count(0) <= 0.2 * len(other):
            return True
    return False


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _decode(raw: bytes, file: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError.single(file, "the file is UTF-16 encoded; save it as UTF-8 (without BOM)", line=1)
    if _looks_utf16(raw):
        raise DataError.single(file, "the file looks UTF-16 encoded (without BOM); save it as UTF-8", line=1)
    if raw.startswith(b"\xef\xbb\xbf"):
        raise DataError.single(
            file, "the file starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without BOM", line=1
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise DataError.single(
            file, f"binary content (NUL byte at offset {nul}); expected a UTF-8 text file", line=line
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise DataError.single(
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
        self.problems: list[Problem] = []
        self.budget = MAX_NODES
        self._scalar = _Loader("")  # used only for construct_scalar/resolution of plain scalars

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        self.budget -= 1
        if self.budget < 0:
            # an alias's node is its anchor's: name the innermost mapping key being expanded instead
            key = next((path[:n] for n in range(len(path), 0, -1) if isinstance(path[n - 1], str)), ())
            raise DataError.single(
                self.file,
                f"the document expands to more than {MAX_NODES} values (YAML aliases used as a bomb?); refused",
                line=self.lines.get(key, node.start_mark.line + 1),
                field=path_str(key) or None,
            )
        if len(path) > MAX_DEPTH:
            raise DataError.single(
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
                    f"invalid value {_short(repr(node.value))}: {_short(str(exc), 120)}",
                    node.start_mark.line + 1,
                    path_str(path) or None,
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
                )
            )
            return value[:MAX_STRING]
        return value


def read_yaml(path: Path, display: str | None = None, max_bytes: int = MAX_BYTES) -> YamlDoc:
    """Read one YAML document safely, with the line of every field.

    Parameters
    ----------
    path
        The file to read.
    display
        How to name the file in messages (default: ``str(path)``).

    Raises
    ------
    DataError
        With every located problem found (encoding, syntax, duplicate keys, size, bombs).
    """
    file = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError.single(file, f"cannot read the file: {exc.strerror}") from exc
    if size > max_bytes:
        raise DataError.single(file, f"the file is {size:,} bytes; at most {max_bytes:,} bytes are accepted")
    text = _decode(path.read_bytes(), file)
    if not text.strip():
        raise DataError.single(file, "the file is empty; expected a YAML mapping", line=1)
    doc = parse_yaml(text, file)
    if doc.data is None and not doc.lines:
        raise DataError.single(file, "the file holds no YAML document; expected a mapping", line=1)
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
        raise DataError.single(file, f"YAML syntax error: {what}", line=line) from exc
    except yaml.reader.ReaderError as exc:  # a control character: not a mark, but a position in the text
        line = None
        if isinstance(exc.position, int):  # the C reader counts bytes of UTF-8, the Python one characters
            if _Loader is yaml.SafeLoader:
                line = text.count("\n", 0, exc.position) + 1
            else:
                line = text.encode("utf-8").count(b"\n", 0, exc.position) + 1
        what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise DataError.single(
            file, f"control character {what} is not allowed in a YAML file; remove it", line=line
        ) from exc
    except yaml.YAMLError as exc:
        raise DataError.single(file, f"YAML error: {_short(str(exc), 200)}") from exc
    except RecursionError as exc:  # the pure-Python composer on absurdly nested flow collections
        raise DataError.single(file, f"values nested more than {MAX_DEPTH} levels deep; refused") from exc
    finally:
        loader.dispose()
    if root is None:
        return YamlDoc(file=file, data=None)
    builder = _Builder(file)
    try:
        data = builder.build(root, ())
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise DataError.single(file, f"YAML value not allowed: {exc.problem}", line=line) from exc
    if builder.problems:
        raise DataError(builder.problems)
    return YamlDoc(file=file, data=data, lines=builder.lines)
