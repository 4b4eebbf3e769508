"""Shared fixtures: paths to the project, its default data and the test corpora."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import cufstudy.pipeline.cache

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


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
