"""Shared fixtures: paths to the project, its default data and the test corpora."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

import cufstudy.pipeline.cache

ROOT = Path(__file__).resolve().parent.parent

#: what a copy of the default project needs to build every deliverable
PROJECT_FILES = ["_quarto.yml", "_quarto-study.yml", "_quarto-guide.yml", "_quarto-brochure.yml", "_quarto-toolbox.yml"]
PROJECT_DIRS = ["data", "notebooks", "reports", "templates"]


def copy_project(dest: Path) -> Path:
    """A copy of the default project's configuration and sources at ``dest`` (created), for a test to build."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, dest / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, dest / name)
    return dest
DATA = ROOT / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-"})


def plain(text: str) -> str:
    """Text as a reader sees it, for asserting what a deliverable prints: NFKC, case folded, curly quotes
    straightened, soft hyphens and end-of-line hyphenation removed, every run of whitespace one space.

    Punctuation is kept (unlike the leak search's :func:`cufstudy.pipeline.leaks.normalise`, which keeps only
    letters and digits).
    """
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "").translate(_QUOTES)
    text = re.sub(r"-\s*\n\s*", "", text)
    return " ".join(text.split()).casefold()


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def good_case_text() -> str:
    return (TEST_DATA / "good_case.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pinned_library() -> Iterator[None]:
    """Pin the hash of the cufstudy source in the run cache: an edit of the library by someone else during
    the session would re-run the notebooks (by design) and only slow the module's builds down."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cufstudy.pipeline.cache, "_library_digest", lambda: "pinned")
        yield
