"""Atomic writes: the target keeps its previous content on failure, and gets ordinary permissions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cufstudy.core.atomic import atomic_path, atomic_write_text


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_written_file_has_the_permissions_of_an_ordinary_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.txt"
    atomic_write_text(target, "é")
    assert target.read_text(encoding="utf-8") == "é"
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()  # not mkstemp's private 0600
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_a_failed_write_keeps_the_previous_content_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("good", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed while writing")
    assert target.read_text(encoding="utf-8") == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
