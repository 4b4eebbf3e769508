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


def test_the_drawer_draws_in_the_background_what_it_is_queued(tmp_path: Path) -> None:
    """One drawing process, fed request by request: the same bytes as drawn here, each image in the cache
    folder where the renderer finds it; a spec vl-convert cannot draw is skipped, and the rest is drawn."""
    from cufstudy.render.chart_images import ChartDrawer

    specs = [_spec(title="Répartition l'été", values=(i, 2, 3)) for i in (1, 2)]
    bad = {"mark": "nonsense", "data": {"values": []}}
    drawer = ChartDrawer(ChartImages(tmp_path))
    drawer.add([(specs[0], "svg"), (specs[0], "png")])
    drawer.add(iter([(bad, "svg"), (specs[1], "svg")]))
    drawer.close()
    assert drawer.error is None and drawer.drawn == 3
    later = ChartImages(tmp_path)  # the renderer's: everything is found, nothing is drawn again
    assert later.prepare([(specs[0], "svg"), (specs[0], "png"), (specs[1], "svg")]) == 0
    assert later.get(specs[1], "svg").data.decode() == spec_to_svg(specs[1])
    assert later.get(specs[0], "png").data == spec_to_png(specs[0], scale=4)
    assert later.cached(bad, "svg") is None  # left to the renderer, which reports vl-convert's error


def test_what_is_left_to_draw_at_close_is_shared_with_a_second_process_and_each_image_drawn_once(tmp_path: Path) -> None:
    """The runs over, the drawings still queued are shared by two processes; a spec queued again in another
    batch is not drawn again, only the kind it lacked."""
    from cufstudy.render.chart_images import ChartDrawer

    specs = [_spec(title=f"Réseau d'été n° {i}", values=(i, 2, 3)) for i in range(1, 7)]
    drawer = ChartDrawer(ChartImages(tmp_path, workers=2))
    drawer.add([(spec, "svg") for spec in specs])
    drawer.add([(specs[0], "svg"), (specs[0], "png")])
    drawer.close()
    assert drawer.error is None and len(drawer._lanes) == 2
    assert drawer.drawn == 7  # six SVG and one PNG
    later = ChartImages(tmp_path)
    assert later.prepare([(spec, "svg") for spec in specs] + [(specs[0], "png")]) == 0
    assert later.get(specs[5], "svg").data.decode() == spec_to_svg(specs[5])
    assert not any(lane.thread.is_alive() or lane.proc for lane in drawer._lanes)


def test_a_widened_drawer_has_its_processes_started_before_the_work_comes(tmp_path: Path) -> None:
    """When the last run is the only one left, the drawer's other processes start (and load vl-convert)
    ahead of the charts that run will bring; they draw their share and end with the drawer."""
    from cufstudy.render.chart_images import ChartDrawer

    drawer = ChartDrawer(ChartImages(tmp_path, workers=2))
    drawer.widen()
    assert len(drawer._lanes) == 2 and all(lane.proc is not None for lane in drawer._lanes)
    specs = [_spec(title=f"Coopération n° {i}", values=(i, 1, 4)) for i in range(1, 5)]
    drawer.add([(spec, "png") for spec in specs])
    drawer.close()
    assert drawer.error is None and drawer.drawn == 8  # each SVG and the PNG rasterised from it
    assert ChartImages(tmp_path).prepare([(spec, "png") for spec in specs]) == 0
    assert not any(lane.thread.is_alive() or lane.proc for lane in drawer._lanes)


def test_a_drawer_stopped_at_once_leaves_no_process(tmp_path: Path) -> None:
    from cufstudy.render.chart_images import ChartDrawer

    drawer = ChartDrawer(ChartImages(tmp_path))
    drawer.add([(_spec(values=(i, 1, 1)), "svg") for i in range(1, 40)])
    drawer.close(wait=False)
    assert not any(lane.thread.is_alive() or lane.proc for lane in drawer._lanes)
    assert drawer.drawn < 39  # stopped before the end of its queue


def test_the_charts_of_a_run_that_ends_are_drawn_for_the_deliverables_that_embed_them(tmp_path: Path) -> None:
    """During a build's runs: only the cells the deliverables being built embed, in the kinds their formats
    need; nothing for a run skipped as unchanged or failed; the display still sees every run."""
    from cufstudy.core.project import project_of
    from cufstudy.pipeline.build import _EarlyCharts
    from cufstudy.pipeline.manifest import RunResult
    from cufstudy.pipeline.plan import load_plan
    from cufstudy.pipeline.progress import Progress

    from .conftest import copy_project

    project = project_of(copy_project(tmp_path / "projet d'été"))
    runs = {r.notebook: r for r in load_plan(project).runs}
    niveau, autre = _spec(title="Suivi par niveau"), _spec(title="Hors livrable")
    executed = _notebook(niveau)
    executed["cells"][0]["source"] = "#| label: fig-suivi-niveau\nshow()"
    other = json.loads(json.dumps(_notebook(autre)))
    other["cells"][0]["source"] = "#| label: fig-autre\nshow()"
    executed["cells"].append(other["cells"][0])
    write_executed(project.root / runs["notebooks/suivi.ipynb"].output, executed)
    skipped = _notebook(_spec(title="Inchangé"))
    skipped["cells"][0]["source"] = "#| label: fig-organisation\nshow()"
    write_executed(project.root / runs["notebooks/organisation.ipynb"].output, skipped)

    seen: list[str] = []

    class Display(Progress):
        def finished(self, result: RunResult) -> None:
            seen.append(result.status)

    early = _EarlyCharts(Display(), project, ["brochure"], ["pdf"], "pandoc")
    early.finished(RunResult(runs["notebooks/suivi.ipynb"], "ok", "new", 1.0))
    early.finished(RunResult(runs["notebooks/organisation.ipynb"], "skipped", "unchanged", 1.0))
    early.close(wait=True)
    assert seen == ["ok", "skipped"]
    cache = ChartImages(project.paths.cache / "charts")
    drawn = spec_of({VEGALITE_MIME: niveau})
    assert drawn is not None and cache.cached(drawn, "svg") is not None  # the brochure's PDF embeds it
    assert cache.cached(drawn, "png") is None  # no DOCX built
    for spec in (autre, _spec(title="Inchangé")):  # not embedded; a run not executed by this build
        typeset = spec_of({VEGALITE_MIME: spec})
        assert typeset is not None and cache.cached(typeset, "svg") is None


def test_a_build_makes_the_pages_bundle_from_its_first_run_s_start_and_widens_at_its_last(tmp_path: Path) -> None:
    """An HTML deliverable with charts: the bundle is queued as the first run starts (before any chart is
    drawn); the drawer has all its processes once the last run has started."""
    from cufstudy.core.project import project_of
    from cufstudy.pipeline.build import _EarlyCharts
    from cufstudy.pipeline.plan import load_plan
    from cufstudy.pipeline.progress import Progress
    from cufstudy.render._vega import bundle_file

    from .conftest import copy_project

    project = project_of(copy_project(tmp_path / "projet d'été"))
    runs = load_plan(project).runs[:3]
    early = _EarlyCharts(Progress(), project, ["guide"], ["html", "pdf"], "pandoc")
    for run in runs:
        early.queued(run)
    early.running(runs[0])
    drawer = early._drawer
    assert drawer is not None and len(drawer._lanes) == 1
    early.running(runs[1])
    assert len(drawer._lanes) == 1
    early.running(runs[2])
    assert len(drawer._lanes) == drawer.workers
    early.close(wait=True)
    assert drawer.error is None and bundle_file(project.paths.cache).is_file()


def test_the_drawer_makes_the_pages_vega_bundle_where_the_renderer_finds_it(tmp_path: Path) -> None:
    from cufstudy.render._vega import vega_bundle
    from cufstudy.render.chart_images import ChartDrawer

    drawer = ChartDrawer(ChartImages(tmp_path / "charts"))
    drawer.bundle(tmp_path)
    drawer.close()
    (made,) = tmp_path.glob("vega-bundle-*.js")
    assert drawer.error is None and made.read_text(encoding="utf-8") == vega_bundle(None)
