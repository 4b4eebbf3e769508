"""The cufstudy Quarto extension of a project: ``_extensions/cufstudy/``.

The extension ships inside the package (``cufstudy/resources/extension/``: ``_extension.yml``, the ``fact``
shortcode, the Quarto filters, the Typst partials, the CSS, ``reference.docx``, the CSL style and the fonts).
:func:`install_extension` copies it into a project, where Quarto looks for extensions, with the project's
own ``templates/<same path>`` files in place of the packaged ones (and any extra font of
``templates/fonts/``), and adds what depends on the project and its data:

* ``reference.docx`` with the illustrative-data notice in its page header (or an empty header);
* ``metadata.yml``, which ``_quarto.yml`` reads through ``metadata-files``: the notice as the
  ``cufstudy-notice`` metadata (the Typst partials and the HTML band print it) and the absolute path of
  the extension's fonts for Typst (Quarto 1.7 hands ``font-paths`` to Typst relative to the document's
  folder while Typst resolves them against its working directory; an absolute path works with every
  version, and ``/_extensions/cufstudy/fonts`` in the profiles covers Quarto 1.8 and later).

``cufstudy run`` (the project's Quarto ``pre-render`` step, so a plain ``quarto render`` on a fresh clone
works) and ``cufstudy build`` call it. It is cheap when nothing changed: a stamp in the folder records
the digest of its sources and the size and date of every file written, and the folder is rewritten only
when one of them differs. A new copy is built beside the old one and swapped in with two renames, so
the folder is never half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape as xml_escape

import yaml

from cufstudy.core.errors import RenderError
from cufstudy.resources import EXTENSION_DIR, packaged_files, packaged_root, template_path

__all__ = [
    "EXTENSION_NAME",
    "METADATA_FILE",
    "NOTICE_PLACEHOLDER",
    "ExtensionInstall",
    "extension_dir",
    "install_extension",
    "profile_files",
    "reference_docx_with_notice",
]

EXTENSION_NAME = "cufstudy"
#: the file of the installed extension that ``_quarto.yml`` lists under ``metadata-files``
METADATA_FILE = "metadata.yml"
#: what the packaged ``reference.docx`` holds in its header, replaced with the notice
NOTICE_PLACEHOLDER = "{{cufstudy-notice}}"
_STAMP = ".cufstudy-stamp.json"
_FORMAT = 1  # bump when what is written changes for the same sources


def extension_dir(root: Path) -> Path:
    """``<root>/_extensions/cufstudy``."""
    return root / "_extensions" / EXTENSION_NAME


@dataclass(frozen=True)
class ExtensionInstall:
    """The outcome of :func:`install_extension`."""

    path: Path
    written: bool
    """False when the folder was already up to date."""
    overrides: tuple[str, ...] = ()
    """The files taken from the project's ``templates/`` (relative paths)."""
    manifest_changed: bool = False
    """An installed copy was replaced by one with another ``_extension.yml`` (a Quarto already running has
    read the previous one: it must be started again)."""


def _sources(root: Path) -> dict[str, Path]:
    """Relative path -> file to copy: the packaged extension with the project's overrides and extra fonts."""
    files = {rel.as_posix(): template_path(rel, root) for rel in packaged_files(EXTENSION_DIR)}
    fonts = root / "templates" / "fonts"
    if fonts.is_dir():
        for font in sorted(fonts.iterdir()):
            if font.is_file() and not font.name.startswith("."):
                files[f"fonts/{font.name}"] = font
    return files


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reference_docx_with_notice(source: Path, target: Path, notice: str | None) -> None:
    """Copy a reference document with ``{{cufstudy-notice}}`` in its headers replaced with ``notice``.

    Raises
    ------
    RenderError
        A notice is given and no header of ``source`` holds the placeholder (the notice would be missing).
    """
    placeholder = xml_escape(NOTICE_PLACEHOLDER)
    replacement = xml_escape(notice) if notice else ""
    found = False
    try:
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename.startswith("word/header") and item.filename.endswith(".xml"):
                    text = data.decode("utf-8")
                    if placeholder in text:
                        found = True
                        data = text.replace(placeholder, replacement).encode("utf-8")
                zout.writestr(item, data)
    except (OSError, zipfile.BadZipFile) as exc:
        raise RenderError(f"{source}: not a readable Word document ({exc})") from exc
    if notice and not found:
        raise RenderError(
            f"{source}: the reference document has no header holding {NOTICE_PLACEHOLDER}, so the "
            "illustrative-data notice cannot be shown (build it with tools/make_reference_docx.py of the "
            "cufstudy repository)"
        )


def _metadata(folder: Path, notice: str | None) -> str:
    data: dict[str, object] = {}
    if notice:
        data["cufstudy-notice"] = notice
    data["font-paths"] = [str(folder / "fonts")]
    head = (
        "# Written by cufstudy (cufstudy run, cufstudy build) for Quarto, which reads it through\n"
        "# metadata-files in _quarto.yml. Do not edit: it is written again whenever it is out of date.\n"
    )
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def profile_files(name: str) -> tuple[str, str]:
    """The metadata file and the reference document of profile ``name`` in the installed extension.

    A profile names them (``metadata-files: [_extensions/cufstudy/notice-<name>.yml]``, ``reference-doc:
    _extensions/cufstudy/reference-<name>.docx``) to print the notice of its own data
    (:mod:`cufstudy.pipeline.notices`) rather than the project's.
    """
    return f"notice-{name}.yml", f"reference-{name}.docx"


def _notice_metadata(notice: str | None) -> str:
    head = "# Written by cufstudy for Quarto (the notice of this profile's data). Do not edit.\n"
    data = {"cufstudy-notice": notice} if notice else {"cufstudy-notice": ""}
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def _digest(root: Path, sources: dict[str, Path], notice: str | None, notices: Mapping[str, str | None]) -> str:
    total = hashlib.sha256(json.dumps([_FORMAT, str(root), notice, sorted(notices.items())]).encode())
    for rel, path in sorted(sources.items()):
        total.update(f"{rel}\0{_sha(path)}\0".encode())
    return total.hexdigest()


def _snapshot(folder: Path) -> dict[str, list[int]]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != _STAMP:
            st = path.stat()
            out[path.relative_to(folder).as_posix()] = [st.st_size, st.st_mtime_ns]
    return out


def _up_to_date(folder: Path, digest: str) -> bool:
    try:
        stamp = json.loads((folder / _STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp.get("digest") == digest and stamp.get("files") == _snapshot(folder)


def _sweep(parent: Path) -> None:
    """Remove the temporary folders left by an install that was killed."""
    for folder in parent.glob(f".{EXTENSION_NAME}-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def install_extension(
    root: Path, notice: str | None = None, notices: Mapping[str, str | None] | None = None
) -> ExtensionInstall:
    """Write ``<root>/_extensions/cufstudy/`` unless it is up to date (see the module docstring).

    Parameters
    ----------
    root
        The project folder.
    notice
        The illustrative-data notice every page must carry, or None (``metadata.yml``, ``reference.docx``).
    notices
        The notice of each profile, by name (:func:`profile_files`: ``notice-<name>.yml``,
        ``reference-<name>.docx``).

    Raises
    ------
    RenderError
        A template is missing or unreadable, or the reference document cannot carry the notice.
    """
    root = root.resolve()
    target = extension_dir(root)
    sources = _sources(root)
    overrides = tuple(rel for rel, path in sources.items() if not path.is_relative_to(packaged_root()))
    notices = dict(notices or {})
    digest = _digest(root, sources, notice, notices)
    if _up_to_date(target, digest):
        return ExtensionInstall(target, written=False, overrides=overrides)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    _sweep(parent)
    work = Path(tempfile.mkdtemp(prefix=f".{EXTENSION_NAME}-{os.getpid()}-", dir=parent))
    old = parent / f".{EXTENSION_NAME}-{os.getpid()}-old"
    try:
        new = work / EXTENSION_NAME
        for rel, path in sources.items():
            dest = new / PurePosixPath(rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if rel == "reference.docx":
                reference_docx_with_notice(path, dest, notice)
            else:
                shutil.copyfile(path, dest)
        (new / METADATA_FILE).write_text(_metadata(target, notice), encoding="utf-8")
        for name, own in sorted(notices.items()):
            meta, docx = profile_files(name)
            (new / meta).write_text(_notice_metadata(own), encoding="utf-8")
            reference_docx_with_notice(sources["reference.docx"], new / docx, own)
        (new / _STAMP).write_text(json.dumps({"digest": digest, "files": _snapshot(new)}, indent=1), "utf-8")
        manifest = target / "_extension.yml"
        changed = manifest.is_file() and manifest.read_bytes() != (new / "_extension.yml").read_bytes()
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
        try:
            new.rename(target)
        except OSError:
            if not _up_to_date(target, digest):  # not another process installing the same copy at once
                raise
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            shutil.rmtree(old, ignore_errors=True)
    return ExtensionInstall(target, written=True, overrides=overrides, manifest_changed=changed)
