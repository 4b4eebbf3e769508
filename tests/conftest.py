"""Shared fixtures: paths to the project, its default data and the test corpora."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

import cufstudy.pipeline.cache

ROOT = Path(__file__).resolve().parent.parent
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
