"""Helpers of the fieldwork tests: a copy of the project, forms filled the way an analyst would, LibreOffice."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from cufstudy.model.cases import Case
from cufstudy.model.vocab import Attachment, FollowUpStatus, InterviewFormat, OrganisationView, label

from .conftest import ROOT

CANARY_NAME = "Zébulon Quatrefages-Météyer"
CANARY_OTHER = "Marie-Hélène d'Argenson"
PROJECT_FILES = ["_quarto.yml", "_quarto-study.yml", "_quarto-guide.yml", "_quarto-brochure.yml", "_quarto-toolbox.yml"]
PROJECT_DIRS = ["data", "notebooks", "reports", "templates"]


def copy_project(dest: Path, dirs: list[str] | None = None) -> Path:
    """A copy of the project (or of some of its folders) to work on."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, dest / name)
    for name in dirs or PROJECT_DIRS:
        shutil.copytree(ROOT / name, dest / name)
    return dest


@dataclass
class Fill:
    """What an analyst types into one form (labels as in the drop-downs) and the codes the file should get."""

    case_id: str
    date: dt.date
    format: InterviewFormat
    role: str
    interviewee: str | None
    notes: str | None
    view: OrganisationView | None
    organisation: tuple[Attachment, float, int | None] | None
    follow_ups: dict[int, tuple[FollowUpStatus, str | None, str | None]] = field(default_factory=dict)


OBSTACLE_FREE = "Départ de la chargée de mission « Europe » et poste vacant 8 mois"
ROLES = ["Directrice des relations internationales", "Chargé de mission coopération décentralisée",
         "Élu délégué à l'international", "Directeur général adjoint"]  # fmt: skip


def plan_fill(case: Case, i: int, today: dt.date) -> Fill:
    """A deterministic, varied filling of the form of the ``i``-th case."""
    statuses = list(FollowUpStatus)
    formats = list(InterviewFormat)
    views = [*OrganisationView, None]
    attachments = list(Attachment)
    interviewee: str | None = f"Personne interrogée n° {i + 1:02d} (fictive)"
    notes: str | None = f"Notes de l'entretien n° {i + 1:02d} : le service s'appuie sur l'élu délégué ; « bilan » mitigé."
    if i == 0:
        interviewee = CANARY_NAME
        notes = f"{CANARY_NAME} décrit un service plus transversal depuis la mission.\nDeuxième ligne des notes."
    elif i == 1:
        interviewee = CANARY_OTHER
    elif i == 2:
        interviewee, notes = None, None  # a name withheld, no notes: both optional
    follow_ups: dict[int, tuple[FollowUpStatus, str | None, str | None]] = {}
    for j, _ in enumerate(case.recommendations):
        if (i + j) % 5 == 4:
            continue  # not discussed: the row stays blank, the known follow-up is kept
        status = statuses[(i + j) % 4]
        obstacle = None if status is FollowUpStatus.IMPLEMENTED else (
            OBSTACLE_FREE if j % 2 else "Contraintes budgétaires")  # fmt: skip
        lever = "Soutien constant de l'élu délégué" if j % 3 == 0 else None
        follow_ups[j] = (status, obstacle, lever)
    organisation = None
    if i % 2 == 0:
        organisation = (attachments[i % len(attachments)], 1.5 + i % 3, 100_000 + 1_000 * i if i % 4 == 0 else None)
    return Fill(
        case_id=case.id,
        date=today - dt.timedelta(days=10 + i),
        format=formats[i % 3],
        role=ROLES[i % len(ROLES)],
        interviewee=interviewee,
        notes=notes,
        view=views[i % 4],
        organisation=organisation,
        follow_ups=follow_ups,
    )


def fill_form(path: Path, f: Fill, out: Path | None = None) -> Path:
    """Type ``f`` into the form at ``path`` with openpyxl, cell by cell, as an analyst would."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Entretien"]
    ws["B12"] = f.date
    ws["B13"] = label(f.format)
    ws["B14"] = f.role
    ws["B15"] = f.interviewee
    if f.organisation is not None:
        attachment, fte, budget = f.organisation
        ws["D19"] = label(attachment)
        ws["D20"] = fte
        ws["D21"] = budget
    ws["B22"] = label(f.view) if f.view else None
    ws["A28"] = f.notes
    if f.follow_ups:
        rec = wb["Recommandations"]
        for j, (status, obstacle, lever) in f.follow_ups.items():
            rec[f"E{5 + j}"] = label(status)
            rec[f"F{5 + j}"] = obstacle
            rec[f"G{5 + j}"] = lever
    target = out or path
    wb.save(target)
    return target


def expected_data(old: dict[str, Any], f: Fill, today: dt.date, comparison: bool) -> dict[str, Any]:
    """The case file's data after the import of ``f``, computed independently of the importer."""
    import copy

    new = copy.deepcopy(old)
    for j, (status, obstacle, lever) in f.follow_ups.items():
        follow_up = {"status": status.value}
        if obstacle:
            follow_up["obstacle"] = obstacle
        if lever:
            follow_up["lever"] = lever
        new["recommendations"][j]["follow_up"] = follow_up
    if f.organisation is not None:
        attachment, fte, budget = f.organisation
        snapshot = new.setdefault("organisation", {}).setdefault("before" if comparison else "after", {})
        snapshot["attachment"] = attachment.value
        snapshot["fte"] = float(fte)
        if budget is not None:
            snapshot["budget_eur"] = budget
    interview: dict[str, Any] = {"date": f.date, "role": f.role, "format": f.format.value}
    if f.interviewee:
        interview["interviewee"] = f.interviewee
    if f.notes:
        interview["notes"] = f.notes
    if f.view:
        interview["organisation_view"] = f.view.value
    interview["imported"] = today
    new.setdefault("interviews", []).append(interview)
    return new


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def resave_with_libreoffice(src: Path, outdir: Path, profile: Path) -> Path:
    """Open ``src`` in LibreOffice and save it again as .xlsx (what a colleague on LibreOffice returns)."""
    exe = soffice()
    assert exe is not None
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "xlsx",
           "--outdir", str(outdir), str(src)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    out = outdir / src.name
    assert result.returncode == 0 and out.is_file(), result.stdout + result.stderr
    return out
