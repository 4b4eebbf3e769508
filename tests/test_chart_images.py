"""Chart images drawn after the runs (issue 21): keyed by spec, cached, the same bytes as the toolkit's exporter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cufstudy.core.notebooks import notebook_json, write_executed
from cufstudy.notebook.charts.vega import VEGALITE_MIME, spec_to_png, spec_to_svg
from cufstudy.render import _stamp
from cufstudy.render.chart_images import (
    ChartImage,
    ChartImages,
    fill_notebook,
    image_key,
    kinds_for,
    spec_of,
)

PNG = b"\x89PNG\r\n\x1a\n"


def _spec(title: str = "Répartition", values: tuple[int, ...] = (3, 5, 2)) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title,
        "description": f"{title} : trois barres.",
        "data": {"values": [{"x": chr(97 + i), "y": v} for i, v in enumerate(values)]},
        "mark": "bar",
        "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y", "type": "quantitative"}},
        "width": 200,
        "height": 120,
    }


def test_the_key_is_the_content_of_the_spec_the_kind_and_the_density() -> None:
    spec = _spec()
    reordered = dict(reversed(list(spec.items())))
    assert image_key(spec, "svg") == image_key(reordered, "svg")
    keys = {
        image_key(spec, "svg"),
        image_key(spec, "png"),
        image_key(spec, "png", scale=2),
        image_key(_spec(values=(3, 5, 3)), "svg"),
        image_key(_spec(title="Autre"), "svg"),
    }
    assert len(keys) == 5


def test_an_image_is_drawn_once_and_read_back_from_the_cache(tmp_path: Path) -> None:
    spec = _spec()
    first = ChartImages(tmp_path)
    svg = first.get(spec, "svg")
    png = first.get(spec, "png")
    assert first.drawn == 2
    # the toolkit's own exporter gives the same bytes: the PNG is the SVG rasterised, the SVG's ids renumbered
    assert svg.data.decode() == spec_to_svg(spec)
    assert png.data == spec_to_png(spec, scale=4) and png.data.startswith(PNG)
    assert png.width is not None and svg.width is not None and round(png.width) == round(svg.width)
    again = ChartImages(tmp_path)  # another build: nothing drawn
    assert again.get(spec, "png").data == png.data and again.get(spec, "svg").data == svg.data
    assert again.drawn == 0
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".png", ".svg"]


def test_prepare_draws_every_missing_image_in_parallel_processes(tmp_path: Path) -> None:
    specs = [_spec(values=(i, 2, 3)) for i in range(1, 4)]
    images = ChartImages(tmp_path, workers=2)
    assert images.prepare([(s, "svg") for s in specs] + [(specs[0], "png")]) == 4
    assert images.prepare([(s, "svg") for s in specs]) == 0  # all cached now
    for spec in specs:  # the same bytes as drawn in this process, whatever process drew them
        assert images.get(spec, "svg").data.decode() == spec_to_svg(spec)
    assert images.drawn == 4


def test_a_spec_vl_convert_cannot_draw_is_reported_where_it_is_used(tmp_path: Path) -> None:
    bad = {"mark": "nonsense", "data": {"values": []}}
    images = ChartImages(tmp_path, workers=2)
    assert images.prepare([(bad, "svg"), (_spec(), "svg")]) == 1
    with pytest.raises(ValueError, match="conversion failed"):
        images.get(bad, "svg")


def test_the_formats_need_the_images_their_renderer_places() -> None:
    assert kinds_for("html") == ()  # the page draws the spec
    assert kinds_for("typst") == ("svg",) and kinds_for("docx") == ("png",)
    assert kinds_for("typst", "quarto") == ("svg",)
    assert set(kinds_for("docx", "quarto")) == set(kinds_for("html", "quarto")) == {"svg", "png"}


def _notebook(spec: dict[str, Any]) -> dict[str, Any]:
    output = {"output_type": "display_data", "data": {VEGALITE_MIME: spec, "text/plain": "alt"}, "metadata": {}}
    cell = {"cell_type": "code", "source": "#| label: fig-a\nshow()", "metadata": {}, "outputs": [output]}
    return {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_a_notebook_for_quarto_is_filled_once_with_the_images(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    write_executed(path, _notebook(_spec()))
    images = ChartImages(tmp_path / "cache")
    assert fill_notebook(path, ("svg", "png"), images)
    nb = json.loads(path.read_text(encoding="utf-8"))
    (output,) = nb["cells"][0]["outputs"]
    assert output["data"]["image/svg+xml"].startswith("<svg ")
    assert output["metadata"]["image/png"]["width"] > 0
    spec = spec_of(output["data"])
    assert spec is not None
    assert ChartImage.of("png", images.get(spec, "png").data).width == output["metadata"]["image/png"]["width"]
    before = path.read_bytes()
    assert not fill_notebook(path, ("svg", "png"), images)  # idempotent: not written again
    assert path.read_bytes() == before


def test_executed_notebooks_are_compact_json() -> None:
    nb = _notebook(_spec())
    text = notebook_json(nb)
    assert json.loads(text) == nb and text.count("\n") == 1 and text.endswith("}\n")
    assert '"cell_type":"code"' in text and "é" in text  # no space after separators, UTF-8 kept as it is


def test_the_render_stamp_changes_with_the_chart_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    from cufstudy.render.config import deliverables

    from .conftest import ROOT

    (guide,) = deliverables(ROOT, ["guide"])
    before = _stamp.deliverable_digest(ROOT, guide, {})
    monkeypatch.setattr(_stamp, "chart_renderer", lambda: "vl-convert-python 99.0 other")
    assert _stamp.deliverable_digest(ROOT, guide, {}) != before


def test_a_script_without_a_main_guard_draws_in_parallel_once(tmp_path: Path) -> None:
    """The drawing processes never import the caller's script again (multiprocessing's spawn would: each
    child would run the script's build)."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import json, sys\n"
        "from pathlib import Path\n"
        "from cufstudy.render.chart_images import ChartImages\n"
        f"specs = json.loads({json.dumps(json.dumps([_spec(values=(i, 1, 2)) for i in (1, 2)]))})\n"
        "log = Path(sys.argv[1])\n"
        "log.write_text(log.read_text() + 'run\\n' if log.exists() else 'run\\n')\n"
        "print(ChartImages(Path(sys.argv[2]), workers=2).prepare([(s, 'svg') for s in specs]))\n",
        encoding="utf-8",
    )
    log = tmp_path / "runs.log"
    proc = subprocess.run(
        [sys.executable, str(script), str(log), str(tmp_path / "cache")],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert proc.stdout.strip() == "2" and log.read_text() == "run\n"
