"""The leak check reads every place of an output where text can hide, and skips only our own library code."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cufstudy.pipeline.leaks import find_leaks

SECRET = "Marie-Claire Dupont, directrice"


def page(body: str) -> str:
    return f"<!doctype html><html><body>{body}</body></html>"


def leaks(tmp_path: Path, name: str, content: str) -> list[str]:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return [leak.value for leak in find_leaks([path], [SECRET, "abc"])]


def test_text_attributes_scripts_and_entities_are_searched(tmp_path: Path) -> None:
    assert leaks(tmp_path, "a.html", page("<p>MARIE-CLAIRE   <b>Dupont</b>,\n directrice</p>")) == [SECRET]
    assert leaks(tmp_path, "b.html", page('<img alt="Marie-Claire Dupont, directrice">')) == [SECRET]
    assert leaks(
        tmp_path, "c.html", page('<script type="application/json">{"n":"Marie-Claire Dupont, directrice"}</script>')
    ) == [SECRET]
    assert leaks(tmp_path, "d.html", page("<p>Marie&#8209;Claire&#8239;Dupont, directrice</p>")) == [SECRET]
    assert leaks(tmp_path, "e.html", page("<p>Marie&#45;Claire&nbsp;Dupont, directrice</p>")) == [SECRET]
    assert leaks(tmp_path, "f.txt", "MarieClaire Dupont,directrice") == []
    assert leaks(tmp_path, "g.txt", "Marie-ClaireDupont,directrice") == [SECRET]  # spaces lost by extraction


def test_only_the_genuine_vega_bundle_is_skipped(tmp_path: Path) -> None:
    code = 'const data = "Marie-Claire Dupont, directrice";'
    good = hashlib.sha256(code.encode()).hexdigest()
    bundle = f'<script type="module" data-cufstudy-bundle="{good}">{code}</script>'
    assert leaks(tmp_path, "a.html", page(bundle)) == []
    forged = bundle.replace(good, "0" * 64)
    assert leaks(tmp_path, "b.html", page(forged)) == [SECRET]
    assert leaks(tmp_path, "c.html", page(bundle.replace(code, code + " "))) == [SECRET]  # content changed
