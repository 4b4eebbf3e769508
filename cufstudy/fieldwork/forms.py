"""Capture forms: one Excel workbook per case, filled during or after the interview, read back by the import.

One workbook per case, not one workbook with a sheet per case: each interviewer takes the forms of their
own interviews, forms come back one by one and are imported as they come (``cufstudy fieldwork import``
checks that no case is imported twice), and a damaged or lost file costs one interview, not the fieldwork.

Sheets
------
``Entretien``
    The case (protected: id, authority, tier, mission, coding), the interview (date, format, the
    interviewee's role and name, the name marked CONFIDENTIEL), the organisation of the IR service (before
    the mission and as recommended, protected; today, to fill), the interviewee's view of the change, a
    formula counting the recommendations filled, and the notes (CONFIDENTIEL).
``Recommandations``
    One row per recommendation of the mission, pre-filled and protected (number, kind, text, follow-up
    known before the interview), and three columns to fill: the status observed (drop-down list of the
    follow-up statuses), the obstacle met (drop-down list of typical obstacles, free text accepted) and
    what helped. Absent for a comparison authority (no mission).
``Listes``
    Hidden and protected: the lists that feed the drop-downs, and the form's marker.

Every sheet is protected (without a password: the protection prevents accidents, it is not security);
the cells to fill are the only unlocked ones. Pages are A4 landscape, fitted to the width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from cufstudy.core.atomic import atomic_path
from cufstudy.core.errors import DataError, Problem
from cufstudy.core.french import format_fr
from cufstudy.core.workbook import fold
from cufstudy.core.worksheet import print_setup, protect, unlock
from cufstudy.fieldwork._document import fr
from cufstudy.fieldwork.questions import QuestionSet
from cufstudy.model.cases import Case, CaseBase, ServiceSnapshot
from cufstudy.model.vocab import Attachment, FollowUpStatus, InterviewFormat, OrganisationView, label

__all__ = [
    "FORM_MARKER",
    "INTERVIEW",
    "LISTS",
    "RECOMMENDATIONS",
    "Field",
    "build_form",
    "form_name",
    "obstacle_choices",
    "write_forms",
]

INTERVIEW: Final = "Entretien"
RECOMMENDATIONS: Final = "Recommandations"
LISTS: Final = "Listes"
FORM_MARKER: Final = "cufstudy-fieldwork-form/1"
"""Written in ``Listes!A1``: the import recognises its forms (and their layout version) by it."""


@dataclass(frozen=True)
class Field:
    """A cell of the ``Entretien`` sheet: its label (column A of its row) and where its value goes."""

    key: str
    row: int
    label: str
    column: str = "B"
    required: bool = False
    help: str = ""

    @property
    def cell(self) -> str:
        return f"{self.column}{self.row}"

    @property
    def ref(self) -> str:
        return f"{INTERVIEW}!{self.cell}"


# the case (protected)
CASE_ID: Final = Field("case_id", 5, "Identifiant du cas")
AUTHORITY: Final = Field("authority", 6, "Collectivité")
TIER: Final = Field("tier", 7, "Niveau")
MISSION: Final = Field("mission", 8, "Mission")
CODING: Final = Field("coding", 9, "Codage")
# the interview (to fill)
DATE: Final = Field("date", 12, "Date de l'entretien", required=True, help="jj/mm/aaaa ; pas de date future")
FORMAT: Final = Field("format", 13, "Format de l'entretien", required=True, help="Liste : sur place, visio, téléphone")
ROLE: Final = Field("role", 14, "Fonction de la personne interrogée", required=True,
                    help="Fonction, pas le nom : elle peut être citée")
INTERVIEWEE: Final = Field("interviewee", 15, "Nom de la personne interrogée (CONFIDENTIEL)",
                           help="Confidentiel : étude interne seulement")
# the organisation of the IR service (row labels; before/recommended in B/C, today in D)
ORG_HEAD_ROW: Final = 18
ATTACHMENT: Final = Field("attachment", 19, "Rattachement", column="D", help="Liste des rattachements")
FTE: Final = Field("fte", 20, "Effectif (ETP)", column="D", help="Équivalents temps plein, ex. 2,5")
BUDGET: Final = Field("budget_eur", 21, "Budget annuel (€)", column="D", help="Euros par an, sans décimales")
VIEW: Final = Field("organisation_view", 22, "Appréciation du changement d'organisation",
                    help="Liste : positive, mitigée, négative")
VIEW_COMPARISON_LABEL: Final = "Appréciation de l'organisation actuelle"
PROGRESS: Final = Field("progress", 25, "Recommandations renseignées")
NOTES_HEAD_ROW: Final = 27
NOTES: Final = Field("notes", 28, "", column="A")
FIELDS: Final = (CASE_ID, AUTHORITY, TIER, MISSION, CODING, DATE, FORMAT, ROLE, INTERVIEWEE,
                 ATTACHMENT, FTE, BUDGET, VIEW)  # fmt: skip

# the Recommandations sheet
REC_HEAD_ROW: Final = 4
REC_FIRST_ROW: Final = 5
REC_COLUMNS: Final = (
    ("number", "N°", 5),
    ("kind", "Type", 18),
    ("text", "Recommandation de la mission", 46),
    ("known", "Suivi connu avant l'entretien", 26),
    ("status", "Statut constaté", 24),
    ("obstacle", "Obstacle rencontré", 34),
    ("lever", "Ce qui a aidé", 34),
)
REC_COL: Final = {key: get_column_letter(i) for i, (key, _, _) in enumerate(REC_COLUMNS, start=1)}
REC_HEADERS: Final = {key: header for key, header, _ in REC_COLUMNS}

STATUSES: Final = {label(s): s.value for s in FollowUpStatus}
FORMATS: Final = {label(f): f.value for f in InterviewFormat}
ATTACHMENTS: Final = {label(a): a.value for a in Attachment}
VIEWS: Final = {label(v): v.value for v in OrganisationView}

_BLUE: Final = "1F3A5F"
_LOCKED_FILL: Final = PatternFill("solid", fgColor="EDEDED")
_INPUT_FILL: Final = PatternFill("solid", fgColor="FFFFFF")
_SECRET_FILL: Final = PatternFill("solid", fgColor="FCE4E4")
_SECTION_FILL: Final = PatternFill("solid", fgColor=_BLUE)
_HEAD_FILL: Final = PatternFill("solid", fgColor="6A9AC4")
_FONT: Final = "Arial"
_WHITE_BOLD: Final = Font(name=_FONT, bold=True, color="FFFFFF")
_THIN: Final = Side(style="thin", color="9AA5B1")
_BOX: Final = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP: Final = Alignment(wrap_text=True, vertical="top")


def form_name(case_id: str) -> str:
    """The file name of a case's capture form: ``fiche-<id>.xlsx``."""
    return f"fiche-{case_id}.xlsx"


def obstacle_choices(questions: QuestionSet, base: CaseBase) -> list[str]:
    """The typical obstacles of the question set, then those already cited in the case base, once each."""
    seen: dict[str, str] = {}
    cited = [r.follow_up.obstacle for c in base for r in c.recommendations if r.follow_up and r.follow_up.obstacle]
    for text in (*questions.obstacles, *cited):
        seen.setdefault(fold(text), text)
    return list(seen.values())


def _lists(wb: Workbook, obstacles: Sequence[str]) -> None:
    ws = wb.create_sheet(LISTS)
    ws["A1"] = FORM_MARKER
    columns = (
        ("liste_statuts", "Statut", list(STATUSES)),
        ("liste_formats", "Format", list(FORMATS)),
        ("liste_rattachements", "Rattachement", list(ATTACHMENTS)),
        ("liste_appreciations", "Appréciation", list(VIEWS)),
        # as the case files spell them, so that a chosen obstacle is grouped with the same one already cited
        ("liste_obstacles", "Obstacle", list(obstacles) or ["Contraintes budgétaires"]),
    )
    for c, (name, header, values) in enumerate(columns, start=2):
        letter = get_column_letter(c)
        ws.cell(1, c, header).font = Font(bold=True)
        ws.column_dimensions[letter].width = 45
        for r, value in enumerate(values, start=2):
            ws.cell(r, c, value)
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{LISTS}'!${letter}$2:${letter}${len(values) + 1}")
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def _list_validation(ws: Worksheet, ref: str, name: str, help_text: str, *, strict: bool = True) -> None:
    dv = DataValidation(type="list", formula1=f"={name}", allow_blank=True)
    dv.showInputMessage = True
    dv.promptTitle = "Aide"
    dv.prompt = fr(help_text)[:255]
    if strict:
        dv.showErrorMessage = True
        dv.errorStyle = "stop"
        dv.errorTitle = "Valeur hors liste"
        dv.error = fr(f"Choisissez une valeur dans la liste. {help_text}")[:255]
    else:  # typical values offered, any text accepted
        dv.showErrorMessage = False
    ws.add_data_validation(dv)
    dv.add(ref)


def _locked(cell: object, value: object, *, bold: bool = False, wrap: bool = True) -> None:
    cell.value = value  # type: ignore[attr-defined]
    cell.fill = _LOCKED_FILL  # type: ignore[attr-defined]
    cell.border = _BOX  # type: ignore[attr-defined]
    cell.font = Font(name=_FONT, bold=bold)  # type: ignore[attr-defined]
    cell.alignment = _WRAP if wrap else Alignment(vertical="top")  # type: ignore[attr-defined]


def _input(cell: object, *, secret: bool = False) -> None:
    cell.font = Font(name=_FONT)  # type: ignore[attr-defined]
    cell.fill = _SECRET_FILL if secret else _INPUT_FILL  # type: ignore[attr-defined]
    cell.border = _BOX  # type: ignore[attr-defined]
    unlock(cell)
    cell.alignment = _WRAP  # type: ignore[attr-defined]


def _section(ws: Worksheet, row: int, text: str, last: str = "D") -> None:
    ws.merge_cells(f"A{row}:{last}{row}")
    cell = ws[f"A{row}"]
    cell.value = fr(text)
    cell.font = _WHITE_BOLD
    cell.fill = _SECTION_FILL
    cell.alignment = Alignment(vertical="center")
    ws.row_dimensions[row].height = 18


def _print_setup(ws: Worksheet, title: str, repeat_rows: str | None = None) -> None:
    print_setup(ws, title, right="Confidentiel une fois remplie", repeat_rows=repeat_rows)


def _snapshot_values(s: ServiceSnapshot | None) -> tuple[str, str, str]:
    if s is None:
        return ("non codé", "non codé", "non codé")
    budget = format_fr(s.budget_eur) if s.budget_eur is not None else "non codé"
    return (label(s.attachment), format_fr(s.fte), budget)


def _known(case: Case, index: int) -> str:
    follow_up = case.recommendations[index].follow_up
    if follow_up is None:
        return "non renseigné"
    text = label(follow_up.status)
    return fr(text + (f" (obstacle : {follow_up.obstacle})" if follow_up.obstacle else ""))


def _interview_sheet(wb: Workbook, case: Case) -> Worksheet:
    ws = wb.active
    assert ws is not None
    ws.title = INTERVIEW
    comparison = case.role == "comparison"
    for letter, width in zip("ABCD", (46, 34, 34, 40), strict=True):
        ws.column_dimensions[letter].width = width
    ws.merge_cells("A1:D1")
    ws["A1"] = fr(f"Fiche de saisie d'entretien — {case.authority.name}")
    ws["A1"].font = Font(name=_FONT, bold=True, size=14, color=_BLUE)
    ws.merge_cells("A2:D2")
    ws["A2"] = fr(
        "À remplir pendant ou après l'entretien, puis à relire dans la base de cas avec la commande "
        "« cufstudy fieldwork import ». Cellules blanches : à remplir ; cellules grises : protégées. "
        "Les champs en rose (nom de la personne interrogée, notes) sont CONFIDENTIELS : ils ne figurent que "
        "dans l'étude interne, jamais dans un document public."
    )
    ws["A2"].alignment = _WRAP
    ws["A2"].font = Font(name=_FONT)
    ws.row_dimensions[2].height = 45
    _section(ws, 4, "La collectivité")
    if comparison:
        mission = "Aucune : collectivité de comparaison, non bénéficiaire du DCOL"
    else:
        parts = [case.dcol_label, label(case.mission_kind) if case.mission_kind else None,
                 str(case.mission_year) if case.mission_year else None]  # fmt: skip
        mission = " · ".join(p for p in parts if p)
    coding = label(case.provenance) + (" (collectivité fictive)" if case.authority.fictional else "")
    values = {CASE_ID: case.id, AUTHORITY: fr(case.authority.name), TIER: label(case.authority.tier),
              MISSION: mission, CODING: coding}  # fmt: skip
    for field, value in values.items():
        _locked(ws[f"A{field.row}"], fr(field.label), bold=True)
        ws.merge_cells(f"B{field.row}:D{field.row}")
        _locked(ws[field.cell], value)
    _section(ws, 11, "L'entretien")
    for field in (DATE, FORMAT, ROLE, INTERVIEWEE):
        _locked(ws[f"A{field.row}"], fr(field.label + (" (obligatoire)" if field.required else "")), bold=True)
        _locked(ws[f"C{field.row}"], fr(field.help))
        ws.merge_cells(f"C{field.row}:D{field.row}")
        ws[f"C{field.row}"].font = Font(name=_FONT, italic=True, color="555B66", size=9)
        _input(ws[field.cell], secret=field is INTERVIEWEE)
        ws.row_dimensions[field.row].height = 30
    ws[DATE.cell].number_format = "DD/MM/YYYY"
    date_rule = DataValidation(type="date", operator="between", formula1="DATE(2018,1,1)", formula2="TODAY()")
    date_rule.showErrorMessage = True
    date_rule.errorTitle = "Date"
    date_rule.error = fr("Une date au format jj/mm/aaaa, depuis 2018 et pas dans le futur.")
    ws.add_data_validation(date_rule)
    date_rule.add(DATE.cell)
    _list_validation(ws, FORMAT.cell, "liste_formats", "Sur place, visioconférence ou téléphone.")
    ws[INTERVIEWEE.cell].comment = Comment(fr("Confidentiel : réservé à l'étude interne, jamais publié."), "cufstudy")

    _section(ws, 17, "L'organisation du service des relations internationales")
    heads = (("", "Organisation codée avant l'entretien", "", "Constatée lors de l'entretien (à remplir)")
             if comparison else
             ("", "Avant la mission", "Recommandée par la mission", "Aujourd'hui (à remplir)"))  # fmt: skip
    for letter, text in zip("ABCD", heads, strict=True):
        cell = ws[f"{letter}{ORG_HEAD_ROW}"]
        cell.value = fr(text) if text else None
        cell.font, cell.fill, cell.border, cell.alignment = _WHITE_BOLD, _HEAD_FILL, _BOX, _WRAP
    before = _snapshot_values(case.organisation.before)
    recommended = ("", "", "") if comparison else _snapshot_values(case.organisation.recommended)
    for i, field in enumerate((ATTACHMENT, FTE, BUDGET)):
        _locked(ws[f"A{field.row}"], fr(field.label), bold=True)
        _locked(ws[f"B{field.row}"], before[i])
        _locked(ws[f"C{field.row}"], recommended[i] or None)
        _input(ws[field.cell])
    ws[FTE.cell].number_format = "0.0"
    ws[BUDGET.cell].number_format = "#,##0"
    _list_validation(ws, ATTACHMENT.cell, "liste_rattachements", "Rattachement du service aujourd'hui.")
    numbers: tuple[tuple[Field, Literal["decimal", "whole"], str, str], ...] = (
        (FTE, "decimal", "500", "Un nombre d'ETP de 0 à 500, ex. 2,5."),
        (BUDGET, "whole", "1000000000", "Un budget annuel en euros."),
    )
    for field, kind, high, text in numbers:
        rule = DataValidation(type=kind, operator="between", formula1="0", formula2=high)
        rule.showErrorMessage, rule.errorTitle, rule.error = True, "Nombre", fr(text)
        ws.add_data_validation(rule)
        rule.add(field.cell)
    _locked(ws[f"A{VIEW.row}"], fr(VIEW_COMPARISON_LABEL if comparison else VIEW.label), bold=True)
    ws.merge_cells(f"B{VIEW.row}:D{VIEW.row}")
    _input(ws[VIEW.cell])
    _list_validation(ws, VIEW.cell, "liste_appreciations", "Positive, mitigée ou négative.")

    _section(ws, 24, "Suivi des recommandations")
    _locked(ws[f"A{PROGRESS.row}"], fr(PROGRESS.label), bold=True)
    ws.merge_cells(f"B{PROGRESS.row}:D{PROGRESS.row}")
    n = len(case.recommendations)
    if comparison or not n:
        progress = "Sans objet : pas de recommandation" + (" (collectivité de comparaison)" if comparison else "")
        _locked(ws[PROGRESS.cell], progress)
    else:
        col, last = REC_COL["status"], REC_FIRST_ROW + n - 1
        formula = f'=COUNTA({RECOMMENDATIONS}!{col}{REC_FIRST_ROW}:{col}{last})&" sur {n} (feuille {RECOMMENDATIONS})"'
        _locked(ws[PROGRESS.cell], formula)
    ws.row_breaks.append(Break(id=NOTES_HEAD_ROW - 1))  # the notes print on a page of their own
    _section(ws, NOTES_HEAD_ROW, "Notes d'entretien — CONFIDENTIEL (étude interne seulement)")
    ws.merge_cells(f"A{NOTES.row}:D{NOTES.row}")
    _input(ws[NOTES.cell], secret=True)
    ws.row_dimensions[NOTES.row].height = 300
    ws[NOTES.cell].comment = Comment(fr("Confidentiel : réservé à l'étude interne, jamais publié."), "cufstudy")
    ws.freeze_panes = "A3"
    protect(ws)  # the interviewer may still enlarge the notes
    _print_setup(ws, f"Fiche de saisie — {case.authority.name}")
    return ws


def _recommendations_sheet(wb: Workbook, case: Case) -> None:
    ws = wb.create_sheet(RECOMMENDATIONS)
    last = get_column_letter(len(REC_COLUMNS))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = fr(f"Suivi des recommandations — {case.authority.name}")
    ws["A1"].font = Font(name=_FONT, bold=True, size=14, color=_BLUE)
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = fr(
        "Pour chaque recommandation : le statut constaté (liste), l'obstacle rencontré (liste de propositions ; "
        "un autre texte est accepté) et ce qui a aidé. Une ligne laissée sans statut ne change rien au suivi connu."
    )
    ws["A2"].alignment = _WRAP
    ws["A2"].font = Font(name=_FONT)
    ws.row_dimensions[2].height = 30
    for c, (key, header, width) in enumerate(REC_COLUMNS, start=1):
        cell = ws.cell(REC_HEAD_ROW, c, fr(header))
        to_fill = key in ("status", "obstacle", "lever")
        cell.font, cell.border, cell.alignment = _WHITE_BOLD, _BOX, _WRAP
        cell.fill = _SECTION_FILL if to_fill else _HEAD_FILL
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[REC_HEAD_ROW].height = 30
    for i, rec in enumerate(case.recommendations):
        r = REC_FIRST_ROW + i
        _locked(ws[f"{REC_COL['number']}{r}"], i + 1, bold=True)
        ws[f"{REC_COL['number']}{r}"].alignment = Alignment(horizontal="center", vertical="top")
        _locked(ws[f"{REC_COL['kind']}{r}"], fr(label(rec.kind)))
        _locked(ws[f"{REC_COL['text']}{r}"], fr(rec.text))
        _locked(ws[f"{REC_COL['known']}{r}"], _known(case, i))
        for key in ("status", "obstacle", "lever"):
            _input(ws[f"{REC_COL[key]}{r}"])
        lines = max(4, len(rec.text) // 42 + 1, len(_known(case, i)) // 24 + 1)
        ws.row_dimensions[r].height = 15 * lines
    if case.recommendations:
        rows = f"{REC_FIRST_ROW}:{REC_FIRST_ROW + len(case.recommendations) - 1}"
        first, final = rows.split(":")
        _list_validation(ws, f"{REC_COL['status']}{first}:{REC_COL['status']}{final}", "liste_statuts",
                         "Mise en œuvre, partiellement mise en œuvre, non engagée ou abandonnée.")  # fmt: skip
        _list_validation(ws, f"{REC_COL['obstacle']}{first}:{REC_COL['obstacle']}{final}", "liste_obstacles",
                         "Un obstacle de la liste, ou un autre texte.", strict=False)  # fmt: skip
    ws.freeze_panes = f"A{REC_FIRST_ROW}"
    protect(ws)
    _print_setup(ws, f"Suivi des recommandations — {case.authority.name}", repeat_rows=f"{REC_HEAD_ROW}:{REC_HEAD_ROW}")


def build_form(case: Case, obstacles: Sequence[str]) -> Workbook:
    """The capture form of one case, as an openpyxl workbook."""
    wb = Workbook()
    _interview_sheet(wb, case)
    if case.role != "comparison":
        _recommendations_sheet(wb, case)
    _lists(wb, obstacles)
    wb.security = WorkbookProtection(lockStructure=True)  # no sheet renamed, moved, deleted or unhidden
    wb.calculation.fullCalcOnLoad = True  # the progress formula is computed when the form is opened
    wb.properties.title = fr(f"Fiche de saisie d'entretien — {case.authority.name}")
    wb.properties.creator = "cufstudy"
    wb.properties.keywords = case.id
    return wb


def write_forms(
    cases: Sequence[Case], questions: QuestionSet, base: CaseBase, to: str | Path, *, overwrite: bool = False
) -> list[Path]:
    """Write the capture form of each case into ``to`` as ``fiche-<id>.xlsx``, each atomically.

    Parameters
    ----------
    cases
        The cases (e.g. :func:`~cufstudy.fieldwork.guides.select_cases`).
    questions
        The question set: its typical obstacles feed the drop-down list, with those cited in ``base``.
    base
        The case base.
    to
        The folder (created if needed).
    overwrite
        Replace existing forms. Off by default, since a form may already hold an interviewer's answers:
        then nothing is written if any exists.

    Returns
    -------
    list of Path
        The forms written, in case order.
    """
    folder = Path(to)
    if folder.exists() and not folder.is_dir():
        raise DataError.single(str(folder), "not a folder: --to names the folder the forms are written into")
    targets = [folder / form_name(c.id) for c in cases]
    existing = [p for p in targets if p.exists()]
    if existing and not overwrite:
        raise DataError(
            [Problem(str(p), "the form exists and may hold answers; pass overwrite=True (--force) to replace it")
             for p in existing],
            summary=f"{len(existing)} form{'s' if len(existing) > 1 else ''} would be overwritten; nothing was written",
        )  # fmt: skip
    obstacles = obstacle_choices(questions, base)
    folder.mkdir(parents=True, exist_ok=True)
    for case, target in zip(cases, targets, strict=True):
        wb = build_form(case, obstacles)
        with atomic_path(target) as tmp:
            wb.save(tmp)
    return targets
