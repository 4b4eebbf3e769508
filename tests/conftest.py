"""Shared fixtures: paths to the project, its default data and the test corpora."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def good_case_text() -> str:
    return (TEST_DATA / "good_case.yaml").read_text(encoding="utf-8")
