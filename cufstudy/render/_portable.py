"""Outputs that name nothing of the build machine: no folder of it, hence no user name, in a DOCX.

Pandoc's DOCX writer copies two things of the machine into the document: every metadata key it does not
know goes into ``docProps/custom.xml`` (the engine's ``cufstudy-root`` and ``cufstudy-docdir``, the
``bibliography`` and ``csl`` files, as absolute paths), and the source path of each image becomes its
``descr`` attribute (``/home/<user>/projet/_build/render/build-<pid>-.../assets/<hash>.png``). The brochure's
DOCX goes to an outside designer: :func:`portable_part` gives each part without them (the properties naming a
local path are dropped, an attribute holding one keeps only the file name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape as xml_escape

__all__ = ["local_prefixes", "portable_part"]

_PROPERTY = re.compile(r"<property\b[^>]*>.*?</property>", re.S)
_PID = re.compile(r'\bpid="\d+"')
_ATTRIBUTE = re.compile(r'="([^"]*)"')


def local_prefixes(*folders: Path) -> list[str]:
    """The absolute paths (as written and resolved) that must not appear in an output, longest first."""
    found = {str(f) for f in folders} | {str(f.resolve()) for f in folders}
    return sorted((p for p in found if len(p) > 1), key=len, reverse=True)


def _strip_properties(xml: str, local: Sequence[str]) -> str:
    start, end = xml.find("<property"), xml.rfind("</Properties>")
    if start < 0 or end < 0:
        return xml
    kept = [p for p in _PROPERTY.findall(xml) if not any(prefix in p for prefix in local)]
    numbered = [_PID.sub(f'pid="{n}"', prop, count=1) for n, prop in enumerate(kept, start=2)]
    return xml[:start] + "".join(numbered) + xml[end:]


def _strip_attributes(xml: str, local: Sequence[str]) -> str:
    def attribute(match: re.Match[str]) -> str:
        value = match.group(1)
        if not any(prefix in value for prefix in local):
            return match.group(0)
        return f'="{xml_escape(PurePosixPath(value).name)}"'

    return _ATTRIBUTE.sub(attribute, xml)


def portable_part(name: str, data: bytes, local: Sequence[str]) -> bytes:
    """The DOCX part ``name`` (its bytes) without the local paths ``local`` (see the module docstring)."""
    if not name.endswith((".xml", ".rels")):
        return data
    text = data.decode("utf-8")
    if not any(prefix in text for prefix in local):
        return data
    if name == "docProps/custom.xml":
        text = _strip_properties(text, local)
    return _strip_attributes(text, local).encode("utf-8")
