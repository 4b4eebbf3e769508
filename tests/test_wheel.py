"""cufstudy as a library: a wheel built from the checkout, installed into a fresh venv outside the repository.

The wheel is built from a copy of the checkout's files (tracked and new, not ignored), installed into a new
venv under pytest's temporary folder, and every command runs there, from folders outside the repository,
with the venv's ``bin`` first on PATH and no trace of the development venv (``VIRTUAL_ENV``, ``PYTHONPATH``).

The wheel is installed without its dependencies; the venv borrows those of the interpreter running the tests
through a ``.pth`` path line (no network, seconds instead of minutes). A path line does not run the ``.pth``
files it leads to, so the editable install of the checkout (a ``.pth`` hook) stays out: a test checks that
``cufstudy`` is imported from the venv. ``CUFSTUDY_WHEEL_DEPS=pip`` installs the dependencies with pip
instead (what a user gets; it needs the package index).

Marked ``wheel`` (about 2 minutes on 2 cores): ``make test-wheel``, which ``.ci/run`` calls after ``make test``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {"study": ("html", "pdf", "docx"), "guide": ("html", "pdf", "docx"), "brochure": ("pdf", "docx"),
           "toolbox": ("html", "pdf", "docx")}  # fmt: skip
TOO_FEW = "Trop peu de cas pour une typologie issue des données"


@dataclass(frozen=True)
class Installed:
    """The fresh venv with the wheel installed."""

    venv: Path
    wheel: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(args, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=900)
        if check and done.returncode != 0:
            pytest.fail(f"{' '.join(args)} (in {cwd}) exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")


def _checkout_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def _build_wheel(out: Path) -> Path:
    source = out / "source"
    for name in _checkout_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out / "dist"), str(source)],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    (wheel,) = (out / "dist").glob("cufstudy-*.whl")
    return wheel


def _environment(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env = {k: v for k, v in env.items() if not k.startswith(("CUFSTUDY_", "QUARTO_"))}
    dev_bin = str(Path(sys.executable).parent)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != dev_bin]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT), "the venv must be outside the repository"
    wheel = _build_wheel(base)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if os.environ.get("CUFSTUDY_WHEEL_DEPS") == "pip":
        subprocess.run([*pip, str(wheel)], check=True, timeout=1800)
    else:
        subprocess.run([*pip, "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)
        purelib = Path(
            subprocess.run(
                [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                check=True, capture_output=True, text=True,
            ).stdout.strip()
        )  # fmt: skip
        borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        (purelib / "zz-borrowed-dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n", encoding="utf-8")
    yield Installed(venv, wheel, _environment(venv))


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_installed_wheel_is_imported_and_carries_every_packaged_resource(
    installed: Installed, tmp_path: Path
) -> None:
    where = installed.run(installed.python, "-c", "import cufstudy, sys; print(cufstudy.__file__)", cwd=tmp_path)
    package = Path(where.stdout.strip()).parent
    assert package.is_relative_to(installed.venv), f"cufstudy imported from {package}, not from the fresh venv"
    ours = _digests(ROOT / "cufstudy" / "resources")
    theirs = _digests(package / "resources")
    assert theirs == ours  # every font, extension file, engine file, reference data file and starter file
    assert {"extension/fonts/Inter-Regular.otf", "extension/fonts/OFL.txt", "extension/_extension.yml",
            "engine/filters/structure.lua", "data/sdg/sdg_goals.csv", "data/typology.yaml",
            "starter/_quarto.yml", "starter/gitignore"} <= set(theirs)  # fmt: skip
    with zipfile.ZipFile(installed.wheel) as wheel:
        assert not [n for n in wheel.namelist() if n.startswith(("tests/", "data/", "notebooks/", "reports/"))]


def test_sdg_grid_template_works_outside_any_project(installed: Installed, tmp_path: Path) -> None:
    done = installed.run("cufstudy", "sdg", "grid-template", "grille.xlsx", cwd=tmp_path)
    assert (tmp_path / "grille.xlsx").is_file(), done.stdout
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(tmp_path / "grille.xlsx")
    assert len(book.sheetnames) >= 2


def _readme_commands() -> list[str]:
    """The commands of the README's "Start a new study" section that follow the installation."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Start a new study\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "README.md has no '## Start a new study' section"
    blocks = re.findall(r"```sh\n(.*?)```", section.group(1), re.S)
    [block] = [b for b in blocks if "cufstudy new" in b]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def _case(i: int) -> str:
    """A fictitious case, coded differently from the example's, with accents, hyphens and apostrophes."""
    tiers = ["departement", "region", "communaute_agglomeration", "metropole", "commune"]
    motivations = [["solidarity", "climate_sdg"], ["attractiveness", "economic"], ["peace_memory", "diasporas"],
                   ["european_crossborder", "advocacy_networks"], ["solidarity", "diasporas"]]  # fmt: skip
    modalities = [["decentralised_cooperation", "one_percent"], ["eu_projects", "economic_promotion"],
                  ["twinning", "calls_for_projects"], ["networks", "eu_projects"], ["emergency_aid"]]  # fmt: skip
    themes = [["water_sanitation", "health"], ["economy_tourism", "urban_planning"], ["culture_heritage"],
              ["climate_energy", "local_governance"], ["agriculture_food", "gender_equality"]]  # fmt: skip
    countries = [["BF", "MA"], ["CA", "JP"], ["VN"], ["DE", "IT", "ES"], ["HT"]]
    attachments = ["solidarity_culture_directorate", "attractiveness_directorate", "dgs_mission", "shared_service",
                   "external_body"]  # fmt: skip
    names = ["Département fictif de l'Aÿ-sur-Mer", "Région fictive Côte-d'Émeraude", "Agglomération fictive de Saint-Zébulon",
             "Métropole fictive d'Aix-Quatrefages", "Commune fictive de L'Haÿ-Météyer"]  # fmt: skip
    k = i % 5
    return textwrap.dedent(f"""\
        id: cas-fictif-{i}
        provenance: illustrative
        provenance_note: "Collectivité fictive, codage illustratif (test)."
        authority:
          name: "{names[k]}"
          tier: {tiers[k]}
          fictional: true
        dcol_call: non_dcol
        strategy:
          ambition: {1 + (i % 4)}
          motivations: [{", ".join(motivations[k])}]
          modalities: [{", ".join(modalities[k])}]
          partner_countries: [{", ".join(countries[k])}]
          themes: [{", ".join(themes[k])}]
          know_how_promotion: {"true" if i % 2 else "false"}
        organisation:
          before:
            attachment: {attachments[k]}
            fte: {1 + i}
            budget_eur: {20000 * (i + 1)}
        """)


def _text_of(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is needed to read the PDF")
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.split())


def _deliverables_exist_and_pass_the_checks(installed: Installed, project: Path) -> None:
    for profile, formats in FORMATS.items():
        for fmt in formats:
            out = project / "_output" / f"{profile}.{fmt}"
            assert out.is_file() and out.stat().st_size > 0, out
    checked = installed.run("cufstudy", "check", cwd=project)  # page rules, A4, notice, offline HTML, leaks
    assert "error" not in checked.stderr.lower(), checked.stderr
    # nothing of the repository was used: no path into it anywhere (but its venv's, whose dependencies the
    # fresh venv may borrow)
    repo = re.compile(re.escape(str(ROOT)) + r"(?!/\.venv/)")
    for path in project.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".yml", ".ipynb", ".html", ".typ", ".qmd", ".md", ".txt"):
            assert not repo.search(path.read_text(encoding="utf-8", errors="replace")), path


def test_a_new_study_from_the_readme_builds_with_1_3_and_5_cases(installed: Installed, tmp_path: Path) -> None:
    """README's commands in a folder outside the repository, then the same project with 3 and 5 cases."""
    assert not tmp_path.resolve().is_relative_to(ROOT)
    commands = _readme_commands()
    assert commands[0].startswith("cufstudy new "), commands
    script = (
        " && ".join([*commands[:-1], f"{commands[-1]} --no-progress"]) if commands[-1] == "cufstudy build" else None
    )
    assert script is not None, f"the README's last command should be 'cufstudy build': {commands}"
    installed.run("bash", "-c", script, cwd=tmp_path)
    name = commands[0].split()[2]
    project = tmp_path / name
    assert (project / ".gitignore").is_file() and (project / "_extensions" / "cufstudy" / "_extension.yml").is_file()
    _deliverables_exist_and_pass_the_checks(installed, project)
    study = _text_of(project / "_output" / "study.pdf")
    assert f"{TOO_FEW} (n = 1 ; il en faut au moins 5)" in study
    assert "Données illustratives" in study

    for n in (3, 5):
        have = len(list((project / "data" / "cases").glob("*.yaml")))
        for i in range(have, n):
            (project / "data" / "cases" / f"cas-fictif-{i}.yaml").write_text(_case(i), encoding="utf-8")
        validated = installed.run("cufstudy", "validate", "data", cwd=project)
        assert f"{n} valid cases" in validated.stdout, validated.stdout
        installed.run("cufstudy", "build", "--no-progress", cwd=project)
        _deliverables_exist_and_pass_the_checks(installed, project)
        study = _text_of(project / "_output" / "study.pdf")
        if n < 5:
            assert f"{TOO_FEW} (n = {n} ; il en faut au moins 5)" in study
        else:
            assert TOO_FEW not in study
            assert "Classe 1" in study  # the data-driven typology is computed from five cases
        guide = _text_of(project / "_output" / "guide.pdf")
        assert "Sans aucun cas, ces niveaux ne sont pas comparés" not in guide  # the guide has no tier table
        toolbox = _text_of(project / "_output" / "toolbox.pdf")
        assert "Sans aucun cas, ces niveaux ne sont pas comparés" in toolbox  # one tier at least stays empty
