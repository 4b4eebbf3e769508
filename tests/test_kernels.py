"""Warm kernels: forked from one zygote per batch, as fresh as cold ones, and a cold kernel whenever they cannot."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import nbformat
import pytest

from cufstudy.pipeline import kernels
from cufstudy.pipeline.execute import execute_notebook_run
from cufstudy.pipeline.kernels import KernelForkServer, ModuleImport, notebook_imports, warm_kernels


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, path)
    return path


def _run(nb: Path, name: str, key: str | None) -> tuple[dict[str, object], list[str]]:
    out, failed = nb.parent / f"{name}.ipynb", nb.parent / f"{name}.failed.ipynb"
    result = execute_notebook_run(str(nb), str(out), str(failed), {}, str(nb.parent), kernels=key)
    texts: list[str] = []
    for written in (p for p in (out, failed) if p.exists()):
        for cell in json.loads(written.read_text(encoding="utf-8"))["cells"]:
            texts += [ln for o in cell.get("outputs", []) for ln in "".join(o.get("text", "")).splitlines()]
    return result, texts


_WHO = "import os, json, numpy\nprint(os.getppid(), os.getpid())\nprint(os.getcwd())\nprint(os.environ.get('CUF_ÉTÉ'))"


def test_kernels_are_forked_from_the_zygote_with_the_run_s_folder_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "Étude d'Aude-Hauts"
    project.mkdir()
    nb = _notebook(project / "qui.ipynb", _WHO)
    monkeypatch.setenv("CUF_ÉTÉ", "Saint-Étienne l’été")
    with warm_kernels(project, [nb]) as key:
        fork = kernels.server(key)
        assert fork is not None
        first, one = _run(nb, "un", key)
        second, two = _run(nb, "deux", key)
        zygote = fork._proc.pid if fork._proc else None
    assert first["status"] == second["status"] == "ok"
    parent, pid = one[0].split()
    assert int(parent) == zygote != os.getpid()
    assert two[0].split()[0] == parent and two[0].split()[1] != pid  # one fresh kernel per run
    assert one[1:] == two[1:] == [str(project), "Saint-Étienne l’été"]
    assert kernels.server(key) is None  # closed with the batch
    with pytest.raises(ProcessLookupError):
        os.kill(int(parent), 0)


def test_no_state_passes_from_one_run_to_the_next(tmp_path: Path) -> None:
    writer = _notebook(
        tmp_path / "ecrit.ipynb",
        "import json, numpy\njson.fuite = 'Mme Dupont'\nGLOBALE = 1\nprint(numpy.random.randint(10**9))",
    )
    reader = _notebook(
        tmp_path / "lit.ipynb",
        "import json, numpy\nprint(getattr(json, 'fuite', None), 'GLOBALE' in globals())\n"
        "print(numpy.random.randint(10**9))",
    )
    with warm_kernels(tmp_path, [writer, reader]) as key:
        _, wrote = _run(writer, "ecrit-out", key)
        _, read = _run(reader, "lit-out", key)
    assert read[0] == "None False"
    assert wrote[-1] != read[-1]  # numpy's global generator is reseeded in every kernel, as in cold ones


def test_outputs_match_a_cold_kernel(tmp_path: Path) -> None:
    nb = _notebook(
        tmp_path / "calc.ipynb",
        "import pandas as pd\ndf = pd.DataFrame({'ville': ['Besançon', 'L’Haÿ-les-Roses'], 'n': [3, 4]})",
        "print(df.to_string(index=False))\nprint(df.n.sum())",
    )
    _, cold = _run(nb, "froid", None)
    with warm_kernels(tmp_path, [nb]) as key:
        _, warm = _run(nb, "chaud", key)
    assert warm == cold and "L’Haÿ-les-Roses" in warm[2]


def test_a_failing_cell_and_a_dying_kernel_are_reported_as_with_a_cold_kernel(tmp_path: Path) -> None:
    failing = _notebook(tmp_path / "erreur.ipynb", "x = 1", "raise ValueError('donnée manquante')")
    dying = _notebook(tmp_path / "meurt.ipynb", "import os\nos._exit(3)")
    cold = (_run(failing, "erreur-froid", None)[0], _run(dying, "meurt-froid", None)[0])
    with warm_kernels(tmp_path, [failing, dying]) as key:
        warm = (_run(failing, "erreur-chaud", key)[0], _run(dying, "meurt-chaud", key)[0])
    for a, b in zip(cold, warm, strict=True):
        assert a["status"] == b["status"] == "failed"
        assert (a["ename"], a["cell_index"]) == (b["ename"], b["cell_index"])
    assert warm[0]["ename"] == "ValueError" and warm[0]["cell_index"] == 1


def test_what_a_package_loads_on_first_use_is_loaded_in_the_zygote(tmp_path: Path) -> None:
    # cufstudy.notebook loads its charts (and Altair) on first use: the cell's from-import did it in every kernel
    nb = _notebook(
        tmp_path / "paresseux.ipynb",
        "import sys\nprint('cufstudy.notebook.charts' in sys.modules, 'altair' in sys.modules)",
        "from cufstudy.notebook import charts, facts\nprint(charts.cases_map.__name__)",
        "from cufstudy.notebook import nom_absent_de_cufstudy",
    )
    _, cold = _run(nb, "froid", None)
    with warm_kernels(tmp_path, [nb]) as key:
        result, warm = _run(nb, "chaud", key)
    assert cold[0] == "False False"
    assert warm[0] == "True True"
    assert result["status"] == "failed" and result["ename"] == "ImportError"  # a missing name fails in its run


def test_a_module_that_does_not_import_fails_in_its_run_not_in_the_zygote(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "absent.ipynb", "import module_absent_de_cufstudy")
    with warm_kernels(tmp_path, [nb]) as key:
        result, _ = _run(nb, "absent-out", key)
        fork = kernels.server(key)
        assert fork is not None
        ok, texts = _run(_notebook(tmp_path / "qui.ipynb", _WHO), "qui-out", key)
        assert "module_absent_de_cufstudy" in fork.failed
    assert result["status"] == "failed" and result["ename"] == "ModuleNotFoundError"
    assert ok["status"] == "ok" and texts


def test_a_dead_zygote_means_cold_kernels(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "qui.ipynb", _WHO)
    with warm_kernels(tmp_path, [nb]) as key:
        fork = kernels.server(key)
        assert fork is not None and fork._proc is not None
        os.kill(fork._proc.pid, signal.SIGKILL)
        fork._proc.wait()
        result, texts = _run(nb, "froid", key)
    assert result["status"] == "ok"
    assert int(texts[0].split()[0]) == os.getpid()  # launched by this process, as without a server


def test_only_ipykernel_on_the_zygote_s_interpreter_is_forked(tmp_path: Path) -> None:
    fork = KernelForkServer(tmp_path, (), ["/usr/bin/python3", "-Xfrozen_modules=off"])
    try:
        assert fork.accepts(["/usr/bin/python3", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "c.json"])
        assert not fork.accepts(["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "c.json"])
        assert not fork.accepts(["/usr/bin/python3", "-Xfrozen_modules=off", "-m", "autre_noyau", "-f", "c.json"])
        assert not fork.accepts(["/opt/R/bin/R", "--slave", "-e", "IRkernel::main()"])
    finally:
        fork.close()


def test_notebook_imports_are_the_top_level_imports_of_code_cells(tmp_path: Path) -> None:
    nb = _notebook(
        tmp_path / "imports.ipynb",
        "import pandas as pd, numpy\nfrom cufstudy.notebook import record\nfrom . import voisin",
        "%matplotlib inline\nimport magique",
        "def f():\n    import dans_une_fonction\nif True:\n    import sous_condition\nimport altair",
        "from cufstudy.notebook import charts, record\nfrom os.path import *\nimport cufstudy.notebook",
        "def f(cases):\n    return charts.cases_map(cases), charts.theme.WIDTH, pd.DataFrame(), record.__doc__.x",
    )
    (tmp_path / "illisible.ipynb").write_text("{pas du json", encoding="utf-8")
    assert notebook_imports([nb, tmp_path / "illisible.ipynb", tmp_path / "absent.ipynb"]) == [
        ModuleImport("pandas", uses=(("", ("DataFrame",)),)),
        ModuleImport("numpy"),
        ModuleImport(
            "cufstudy.notebook", ("record", "charts"), (("charts", ("cases_map", "theme")), ("record", ("__doc__",)))
        ),
        ModuleImport("altair"),
        ModuleImport("os.path"),
    ]


def test_no_zygote_to_start_means_cold_kernels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied", "/root/.pyenv/versions/3.11/bin/python")

    monkeypatch.setattr(kernels, "KernelForkServer", refused)
    nb = _notebook(tmp_path / "qui.ipynb", _WHO)
    with warm_kernels(tmp_path, [nb]) as key:
        assert key is None
        result, texts = _run(nb, "froid", key)
    assert result["status"] == "ok" and int(texts[0].split()[0]) == os.getpid()


def test_an_import_that_starts_a_thread_means_cold_kernels(tmp_path: Path) -> None:
    """A forked copy would hold the thread's locks without the thread: the zygote refuses to fork."""
    (tmp_path / "fil_d_aude.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n",
        encoding="utf-8",
    )
    nb = _notebook(tmp_path / "qui.ipynb", "import fil_d_aude\n" + _WHO)
    with warm_kernels(tmp_path, [nb]) as key:
        result, texts = _run(nb, "froid", key)
    assert result["status"] == "ok"
    assert int(texts[0].split()[0]) == os.getpid()  # launched by this process: a cold kernel


_FACTS = (
    "import os\n"
    "from cufstudy.notebook.facts import get, record\n"
    "record('cas.n', 18, 'Missions DCOL étudiées', display=False)\n"
    "print(get('cas.n').text)\n"
    "print(os.environ['CUFSTUDY_FACTS'])"
)


@pytest.mark.parametrize("warm", [True, False], ids=["forked", "cold"])
def test_a_run_records_its_facts_in_a_store_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warm: bool
) -> None:
    """The batch writes the project's store from the facts the outputs show: a run's kernel records into a
    store of its own (no lock, no rewrite of the whole project's store at each fact), which the notebook can
    read back, and which is gone after the run."""
    project = tmp_path / "Étude d'Aude-Hauts"
    project.mkdir()
    shared = project / "_build" / "facts.json"
    monkeypatch.setenv("CUFSTUDY_FACTS", str(shared))  # the store a kernel would otherwise write
    nb = _notebook(project / "faits.ipynb", _FACTS)
    if warm:
        with warm_kernels(project, [nb]) as key:
            result, texts = _run(nb, "sortie", key)
    else:
        result, texts = _run(nb, "sortie", None)
    assert result["status"] == "ok", result
    value, store = texts
    assert value == "18"
    assert Path(store) != shared and not Path(store).parent.exists()  # its own, removed after the run
    assert not shared.exists()
