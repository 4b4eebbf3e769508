"""The transferable Excel grid: a workbook another authority fills in, read back into a typed partnership.

:func:`write_template` writes the workbook (openpyxl): an ``Instructions`` sheet in French, one sheet
per part of a partnership (``Partenariat``, ``Projets``, ``Cibles``, ``Indicateurs``, ``Feuille de
route``) with frozen headers, set column widths, help comments on the headers and drop-down lists,
and a hidden ``Listes`` sheet that feeds the drop-downs (goals, the 169 targets with their titles,
contribution levels 0-4, territories, indicator sources, tiers, countries, UN indicators). It prints on A4
landscape pages fitted to the width, the header rows repeated, rows as tall as their wrapped text
(:mod:`cufstudy.core.worksheet`, shared with the fieldwork capture forms); every sheet is protected (no
password) except the cells to fill, so headers, formulas and lists cannot be broken by accident.

:func:`import_grid` words its messages in French, the grid's language (``Cibles!E2: niveau 7 hors échelle
...``), each in one language: its own checks, the partnership model's (``validate_partnership(lang="fr")``)
and pydantic's generic ones (:data:`_GENERIC_FR`).

:func:`import_grid` reads a filled workbook into a :class:`~cufstudy.sdg.partnerships.Partnership`,
reporting every problem at once with its sheet, cell and reason (``Cibles!E7``), and returns nothing
unless the whole workbook is valid. :func:`to_yaml` writes the result to
``data/partnerships/<id>.yaml``.

Workbook layout
---------------
``Partenariat``: a form, one field per row (column A the label, B the value, C help).
``Projets``: Identifiant, Intitulé, Thèmes, Date de début, Date de fin, Budget (€), Cofinanceurs.
``Cibles``: Projet, ODD, Cible, Intitulé de la cible (automatic), Niveau, Territoire, Justification.
``Indicateurs``: Identifiant, Source, Code, Nom, Intitulé ONU (automatic), Cible ODD, Unité,
Territoire, Valeur de référence, Année de référence, Valeur visée 2030, Valeur actuelle, Année de la
valeur actuelle, Sens souhaité.
``Feuille de route``: Action, Responsable, Échéance, Indicateur, Projet.
Lists inside a cell (themes, co-funders) are separated by « ; ». Columns are found by their header,
so they may be moved but not renamed; extra columns are ignored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from cufstudy.core.atomic import atomic_path, atomic_write_text
from cufstudy.core.errors import DataError
from cufstudy.core.french import fold, typeset_fr, typeset_text
from cufstudy.core.problems import FieldIssue, FieldPath, Problem, Reason, did_you_mean_fr, shorten
from cufstudy.core.reproducible import source_date, stamp_zip
from cufstudy.core.workbook import BAD as _BAD
from cufstudy.core.workbook import number_text as _number_text
from cufstudy.core.workbook import open_workbook as _open
from cufstudy.core.workbook import sheet_rows as _rows
from cufstudy.core.workbook import to_date as _to_date
from cufstudy.core.workbook import to_number as _to_number
from cufstudy.core.worksheet import print_setup, protect, unlock, wrapped_height
from cufstudy.model.countries import COUNTRIES_FR
from cufstudy.model.vocab import LABELS_FR, Tier
from cufstudy.sdg.framework import Framework, indicator_sources
from cufstudy.sdg.partnerships import (
    DIRECTION_LABELS_FR,
    LEVEL_HELP_FR,
    LEVEL_LABELS_FR,
    PROVENANCE_LABELS_FR,
    SIDE_LABELS_FR,
    Partnership,
    PartnershipProvenance,
    dump_yaml,
    validate_partnership,
)

__all__ = [
    "LIST_SHEET",
    "SHEETS",
    "import_grid",
    "stamp_workbook",
    "to_yaml",
    "write_template",
]

INSTRUCTIONS: Final = "Instructions"
PARTNERSHIP: Final = "Partenariat"
PROJECTS: Final = "Projets"
LINKS: Final = "Cibles"
INDICATORS: Final = "Indicateurs"
ROADMAP: Final = "Feuille de route"
LIST_SHEET: Final = "Listes"
SHEETS: Final = (INSTRUCTIONS, PARTNERSHIP, PROJECTS, LINKS, INDICATORS, ROADMAP, LIST_SHEET)
"""The sheets of the grid, in order (``Listes`` is hidden)."""

# rows prepared to fill (unlocked, with drop-downs and borders): what a partnership needs, on few printed pages
_ROWS: Final = {PROJECTS: 30, LINKS: 120, INDICATORS: 60, ROADMAP: 60}

# workbook value (French) -> code of the data files; import also accepts the code itself
SIDES: Final = {label: side.value for side, label in SIDE_LABELS_FR.items()}
DIRECTIONS: Final = {label: d.value for d, label in DIRECTION_LABELS_FR.items()}
PROVENANCES: Final = {label: p.value for p, label in PROVENANCE_LABELS_FR.items()}
SOURCES: Final = {"ONU": "un", "INSEE": "insee", "OCDE": "oecd", "local": "local"}
TIERS: Final = {LABELS_FR[Tier][t]: t.value for t in Tier}

_HEAD_FILL: Final = PatternFill("solid", fgColor="1F4E79")
_HEAD_FILL_OPTIONAL: Final = PatternFill("solid", fgColor="6A9AC4")
_AUTO_FILL: Final = PatternFill("solid", fgColor="EDEDED")
_FONT: Final = "Arial"  # Liberation Sans where Arial is absent: the same metrics, so the row heights hold
_TEXT: Final = Font(name=_FONT, size=10)
_HEAD_FONT: Final = Font(name=_FONT, size=10, bold=True, color="FFFFFF")
_WRAP: Final = Alignment(wrap_text=True, vertical="top")
_THIN: Final = Side(style="thin", color="9AA5B1")
_BOX: Final = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True)
class Column:
    """One column of a table sheet (or one row of the ``Partenariat`` form)."""

    header: str
    key: str | None  # field of the model; None for an automatic (formula) column
    kind: str  # text, int, number, date, list, level, target, goal, choice, raw
    required: bool
    width: float
    help: str
    choices: Mapping[str, str] | None = None
    options: str | None = None  # defined name feeding a drop-down list
    formula: str | None = None  # automatic column: formula with {row}


_SIDE_HELP = "France, Partenaire ou Les deux : le territoire sur lequel la contribution agit"

PROJECT_COLUMNS: Final = (
    Column("Identifiant", "id", "text", True, 24,
           "Identifiant court du projet : minuscules, chiffres, tirets (ex. eau-potable)"),
    Column("Intitulé", "title", "text", True, 50, "Intitulé du projet"),
    Column("Thèmes", "themes", "list", False, 30, "Thèmes libres, séparés par « ; »"),
    Column("Date de début", "start", "date", True, 14, "Date de début (jj/mm/aaaa)"),
    Column("Date de fin", "end", "date", False, 14, "Date de fin prévue (jj/mm/aaaa)"),
    Column("Budget (€)", "budget_eur", "int", False, 14, "Budget total du projet en euros"),
    Column("Cofinanceurs", "co_funders", "list", False, 40, "Cofinanceurs, séparés par « ; »"),
)  # fmt: skip
LINK_COLUMNS: Final = (
    Column("Projet", "project", "text", True, 24, "Identifiant du projet (feuille Projets)", options="liste_projets"),
    Column("ODD", "goal", "goal", False, 7, "Numéro de l'objectif, facultatif : il contrôle le code de la cible",
           options="liste_odd"),
    Column("Cible", "target", "target", True, 9, "Code de la cible ODD (ex. 6.1, 6.a)", options="liste_cibles"),
    Column("Intitulé de la cible", None, "auto", False, 60, "Rempli automatiquement à partir du code de la cible",
           formula='=IF(C{row}="","",IFERROR(VLOOKUP(C{row},table_cibles,2,FALSE),"cible inconnue"))'),
    Column("Niveau", "level", "level", True, 8, "Niveau de contribution de 0 à 4 (voir Instructions)",
           options="liste_niveaux"),
    Column("Territoire", "side", "choice", True, 13, _SIDE_HELP, SIDES, "liste_territoires"),
    Column("Justification", "evidence", "text", False, 70,
           "Ce que le projet a fait qui justifie le niveau : obligatoire dès le niveau 1"),
)  # fmt: skip
INDICATOR_COLUMNS: Final = (
    Column("Identifiant", "id", "text", True, 24, "Identifiant court de l'indicateur (ex. acces-eau)"),
    Column("Source", "source", "choice", True, 10, "ONU, INSEE, OCDE ou local", SOURCES, "liste_sources"),
    Column("Code", "code", "text", False, 10,
           "Code ONU obligatoire pour la source ONU (ex. 6.1.1) ; pour les autres, seulement s'il existe",
           options="liste_indicateurs_onu"),
    Column("Nom", "name", "text", False, 50, "Nom de l'indicateur : obligatoire hors ONU"),
    Column("Intitulé ONU", None, "auto", False, 40, "Rempli automatiquement pour un code ONU",
           formula='=IF(C{row}="","",IFERROR(VLOOKUP(C{row},table_indicateurs_onu,2,FALSE),""))'),
    Column("Cible ODD", "sdg_target", "target", False, 10, "Cible ODD suivie (déduite du code pour l'ONU)",
           options="liste_cibles"),
    Column("Unité", "unit", "text", False, 10, "Unité (%, ha, personnes…)"),
    Column("Territoire", "side", "choice", False, 13, "Territoire mesuré : France, Partenaire ou Les deux", SIDES,
           "liste_territoires"),
    Column("Valeur de référence", "baseline.value", "number", True, 12, "Valeur au départ"),
    Column("Année de référence", "baseline.year", "int", True, 11, "Année de la valeur de référence"),
    Column("Valeur visée 2030", "target_2030", "number", True, 12, "Valeur à atteindre en 2030"),
    Column("Valeur actuelle", "current.value", "number", False, 12, "Dernière valeur connue"),
    Column("Année de la valeur actuelle", "current.year", "int", False, 12, "Année de la dernière valeur"),
    Column("Sens souhaité", "direction", "choice", False, 11,
           "hausse ou baisse ; à remplir seulement si la valeur visée égale la référence", DIRECTIONS, "liste_sens"),
)  # fmt: skip
ROADMAP_COLUMNS: Final = (
    Column("Action", "action", "text", True, 60, "L'action à mener"),
    Column("Responsable", "owner", "text", True, 30, "Qui la mène (service, collectivité)"),
    Column("Échéance", "date", "date", True, 14, "Date prévue (jj/mm/aaaa)"),
    Column("Indicateur", "indicator", "text", False, 24, "Identifiant de l'indicateur alimenté (feuille Indicateurs)",
           options="liste_indicateurs"),
    Column("Projet", "project", "text", False, 24, "Identifiant du projet concerné (feuille Projets)",
           options="liste_projets"),
)  # fmt: skip
TABLES: Final[dict[str, tuple[Column, ...]]] = {
    PROJECTS: PROJECT_COLUMNS,
    LINKS: LINK_COLUMNS,
    INDICATORS: INDICATOR_COLUMNS,
    ROADMAP: ROADMAP_COLUMNS,
}
FORM: Final = (
    Column("Identifiant du partenariat", "id", "text", True, 0,
           "Minuscules, chiffres et tirets (ex. aude-hauts-bassins) ; donne le nom du fichier importé"),
    Column("Intitulé du partenariat", "title", "text", False, 0, "Ex. Coopération décentralisée Aude – Hauts-Bassins"),
    Column("Provenance du codage", "provenance", "choice", True, 0,
           "auto-évaluation (remplie par les collectivités), formation-action ou illustratif", PROVENANCES,
           "liste_provenance"),
    Column("Note sur la provenance", "provenance_note", "text", False, 0,
           "Qui a rempli la grille, quand, avec quelles sources"),
    Column("Collectivité française : nom", "french_authority.name", "text", True, 0,
           "Ex. Conseil départemental de l'Aude"),
    Column("Collectivité française : échelon", "french_authority.level", "choice", True, 0,
           "Commune, intercommunalité, département, région…", TIERS, "liste_echelons"),
    Column("Collectivité française : code officiel", "french_authority.code", "text", False, 0,
           "Code INSEE (commune, département, région) ou SIREN (intercommunalité)"),
    Column("Collectivité française : population", "french_authority.population.value", "int", False, 0,
           "Population en nombre d'habitants"),
    Column("Collectivité française : année de la population", "french_authority.population.year", "int", False, 0,
           "Millésime de la population"),
    Column("Collectivité française : source de la population", "french_authority.population.source", "text", False, 0,
           "Ex. INSEE, population municipale 2017"),
    Column("Partenaire : nom", "partner.name", "text", True, 0, "Ex. Région des Hauts-Bassins"),
    Column("Partenaire : pays", "partner.country", "raw", True, 0, "Code ISO du pays à deux lettres (ex. BF)",
           options="liste_pays"),
    Column("Partenaire : échelon", "partner.level", "text", True, 0, "Ex. région, commune, province"),
    Column("Partenariat engagé depuis (année)", "since", "int", False, 0, "Année de début du partenariat"),
)  # fmt: skip


def _fr(text: str) -> str:
    return typeset_fr(text)


def _cell_text(text: str) -> str:
    """A text the grid shows (instructions, headers, help, prompts): all the French typography (’, « »)."""
    return typeset_text(text)


# ---------------------------------------------------------------------------------------------------------
# writing the template


def _lists(framework: Framework) -> list[tuple[str, str, list[tuple[Any, ...]]]]:
    """(defined name of the first column, French header(s), rows) of each list of the ``Listes`` sheet."""
    sources = indicator_sources()
    return [
        ("liste_odd", "ODD|Objectif", [(g.number, g.title_fr) for g in framework.goals]),
        ("liste_cibles", "Cible|Intitulé", [(t.code, t.title_fr) for t in framework.targets]),
        ("liste_niveaux", "Niveau|Libellé|Définition",
         [(int(level), LEVEL_LABELS_FR[level], _cell_text(text)) for level, text in LEVEL_HELP_FR.items()]),
        ("liste_territoires", "Territoire", [(label,) for label in SIDES]),
        ("liste_sources", "Source|Libellé|Référence",
         [(label, sources[code].label_fr, sources[code].url or "") for label, code in SOURCES.items()]),
        ("liste_echelons", "Échelon", [(label,) for label in TIERS]),
        ("liste_pays", "Pays|Nom", sorted(COUNTRIES_FR.items())),
        ("liste_provenance", "Provenance", [(label,) for label in PROVENANCES]),
        ("liste_sens", "Sens", [(label,) for label in DIRECTIONS]),
        ("liste_indicateurs_onu", "Indicateur ONU|Intitulé", [(i.code, i.title_fr) for i in framework.indicators]),
    ]  # fmt: skip


def _write_lists(wb: Workbook, framework: Framework) -> None:
    ws = wb.create_sheet(LIST_SHEET)
    col = 1
    for name, headers, rows in _lists(framework):
        for k, header in enumerate(headers.split("|")):
            ws.cell(1, col + k, header).font = Font(name=_FONT, bold=True)
            ws.column_dimensions[get_column_letter(col + k)].width = 12 if k == 0 else 40
        for r, row in enumerate(rows, start=2):
            for k, value in enumerate(row):
                ws.cell(r, col + k, value)
        first, last = get_column_letter(col), get_column_letter(col + len(headers.split("|")) - 1)
        end = len(rows) + 1
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{LIST_SHEET}'!${first}$2:${first}${end}")
        if name in ("liste_cibles", "liste_indicateurs_onu"):
            table = name.replace("liste_", "table_")
            wb.defined_names[table] = DefinedName(table, attr_text=f"'{LIST_SHEET}'!${first}$2:${last}${end}")
        col += len(headers.split("|")) + 1
    ws.sheet_state = "hidden"
    protect(ws)
    # the ids typed in the sheets, for the drop-downs of references
    for name, sheet, n in (
        ("liste_projets", PROJECTS, _ROWS[PROJECTS]),
        ("liste_indicateurs", INDICATORS, _ROWS[INDICATORS]),
    ):
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!$A$2:$A${n + 1}")


# lists that accept other values with a warning: codes of non-UN indicators, ids typed before their row exists
_OPEN_LISTS: Final = frozenset({"liste_indicateurs_onu", "liste_projets", "liste_indicateurs"})


def _validation(options: str, message: str) -> DataValidation:
    dv = DataValidation(type="list", formula1=f"={options}", allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "warning" if options in _OPEN_LISTS else "stop"
    dv.errorTitle = "Valeur hors liste"
    dv.error = _cell_text(f"Choisissez une valeur dans la liste. {message}")[:255]
    dv.promptTitle = "Aide"
    dv.prompt = _cell_text(message)[:255]
    dv.showInputMessage = True
    return dv


def with_status(help_text: str, required: bool) -> str:
    """A help text ending with « (obligatoire) » or « (facultatif) », unless it already says when the field is
    required (« obligatoire dès le niveau 1 ») or optional."""
    if re.search(r"\b(obligatoire|facultatif)\b", help_text):
        return help_text
    return help_text + (" (obligatoire)" if required else " (facultatif)")


def _header(cell: Any, text: str, required: bool, help_text: str) -> None:
    cell.value = _cell_text(text)  # read back by its fold: the typography does not matter there
    cell.font = _HEAD_FONT
    cell.fill = _HEAD_FILL if required else _HEAD_FILL_OPTIONAL
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.comment = Comment(_cell_text(with_status(help_text, required)), "cufstudy")


_TITLE: Final = "Grille de contribution aux ODD"
#: Lines of text an answer of the Partenariat form is expected to take (one otherwise).
_ANSWER_LINES: Final = {"provenance_note": 4, "title": 2, "french_authority.population.source": 2}


def _write_table(wb: Workbook, sheet: str, columns: Sequence[Column]) -> None:
    ws = wb.create_sheet(sheet)
    n = _ROWS[sheet]
    for c, column in enumerate(columns, start=1):
        letter = get_column_letter(c)
        _header(ws.cell(1, c), column.header, column.required, column.help)
        ws.column_dimensions[letter].width = column.width
        if column.options:
            dv = _validation(column.options, column.help)
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{n + 1}")
        for r in range(2, n + 2):
            cell = ws.cell(r, c)
            cell.border, cell.font = _BOX, _TEXT  # a grid to fill, on screen and on paper
            if column.formula:
                cell.value = column.formula.format(row=r)
                cell.fill = _AUTO_FILL  # locked: computed from the code typed beside it
                # one line, cut at the cell's edge: a spreadsheet does not grow a row for a formula's result,
                # and a wrapped title would overlap the next row
                cell.alignment = Alignment(vertical="top", wrap_text=False)
                continue
            unlock(cell)  # a cell to fill
            if column.kind in ("target", "text") and column.key in ("target", "sdg_target", "code", "id"):
                cell.number_format = "@"  # typed as text: '8.10' stays '8.10'
            elif column.kind == "date":
                cell.number_format = "DD/MM/YYYY"
            elif column.key == "budget_eur":
                cell.number_format = "#,##0"
            if column.kind == "text" and column.width >= 40:
                cell.alignment = _WRAP
    # the header wraps in its column: as tall as its longest header (bold, a little wider than plain text)
    ws.row_dimensions[1].height = max(wrapped_height(c.header, c.width * 0.85, size=11) for c in columns)
    ws.freeze_panes = "A2"
    print_setup(ws, f"{_TITLE} — {sheet}", repeat_rows="1:1")
    protect(ws)


def _write_form(wb: Workbook) -> None:
    ws = wb.create_sheet(PARTNERSHIP)
    widths = (46, 50, 70)
    for c, (text, width) in enumerate(zip(("Champ", "Valeur", "Aide"), widths, strict=True), start=1):
        _header(ws.cell(1, c), text, True, "Remplir la colonne Valeur")
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[1].height = 20
    for r, column in enumerate(FORM, start=2):
        label = ws.cell(r, 1, _cell_text(column.header))
        label.font, label.alignment = Font(name=_FONT, size=10, bold=column.required), _WRAP
        help_text = _cell_text(with_status(column.help, column.required))
        aid = ws.cell(r, 3, help_text)
        aid.alignment, aid.font = _WRAP, Font(name=_FONT, size=9, italic=True, color="555B66")
        value = ws.cell(r, 2)
        unlock(value)
        value.alignment, value.border, value.font = _WRAP, _BOX, _TEXT
        if column.options:
            dv = _validation(column.options, column.help)
            ws.add_data_validation(dv)
            dv.add(f"B{r}")
        if column.key in ("id", "french_authority.code"):
            value.number_format = "@"
        elif column.key == "french_authority.population.value":
            value.number_format = "#,##0"  # 370 260 in a French spreadsheet
        # a row set to a height is not grown by the spreadsheet as one types: room for the expected answer
        answer = _ANSWER_LINES.get(column.key or "", 1)
        ws.row_dimensions[r].height = max(
            wrapped_height(column.header, widths[0] * 0.9, size=10),
            wrapped_height(help_text, widths[2], size=9),
            wrapped_height("\n" * (answer - 1), widths[1], size=10),
            20,
        )
    ws.cell(2 + [c.key for c in FORM].index("provenance"), 2, "auto-évaluation")
    ws.freeze_panes = "A2"
    print_setup(ws, f"{_TITLE} — {PARTNERSHIP}", repeat_rows="1:1")
    protect(ws)


def _write_instructions(ws: Worksheet) -> None:
    ws.title = INSTRUCTIONS
    # one column as wide as a landscape page: a column cannot be split across pages, so a wider one would
    # not be fitted to the width by LibreOffice but cut at the page's edge
    width = 100
    ws.column_dimensions["A"].width = width
    for r, (style, text) in enumerate(_instructions(), start=1):
        cell = ws.cell(r, 1, text)
        size = {"title": 14, "head": 12}.get(style, 10)
        cell.alignment = Alignment(wrap_text=True, vertical="bottom" if style == "head" else "top")
        cell.font = Font(name=_FONT, bold=style != "text", size=size, color=None if style == "text" else "1F4E79")
        ws.row_dimensions[r].height = wrapped_height(text, width, size=size * (1.1 if style != "text" else 1)) + (
            6 if style == "head" else 0  # a little air above a heading
        )
    print_setup(ws, f"{_TITLE} — {INSTRUCTIONS}")
    protect(ws)


def _instructions() -> list[tuple[str, str]]:
    """(style, text) of each row of the Instructions sheet: ``title``, ``head``, ``text``."""
    levels = [("text", f"{int(level)} – {LEVEL_LABELS_FR[level]} : {text}.") for level, text in LEVEL_HELP_FR.items()]
    sources = indicator_sources()
    rows = [
        ("title", "Grille de contribution d'un partenariat de coopération décentralisée aux ODD"),
        ("text", "Cette grille décrit un partenariat, ses projets, leur contribution aux cibles des objectifs de "
                 "développement durable (ODD), les indicateurs suivis et la feuille de route. Elle est relue par "
                 "« cufstudy sdg import », qui signale chaque problème avec sa feuille et sa cellule : rien n'est "
                 "importé tant qu'il en reste un."),
        ("text", "En-têtes bleu foncé : colonnes obligatoires ; bleu clair : facultatives ; cellules grises : "
                 "remplies automatiquement. Seules les cellules à remplir sont modifiables : les en-têtes, les "
                 "formules et les listes sont protégés (sans mot de passe). Une ligne vide est ignorée. Les listes "
                 f"dans une cellule se séparent par « ; ». Lignes prêtes à remplir : {_ROWS[PROJECTS]} projets, "
                 f"{_ROWS[LINKS]} liens projet-cible, {_ROWS[INDICATORS]} indicateurs, {_ROWS[ROADMAP]} actions ; "
                 "pour en ajouter, ôtez la protection de la feuille (Révision > Ôter la protection) et recopiez "
                 "la dernière ligne vers le bas."),
        ("text", "Pour imprimer : chaque feuille tient dans la largeur d'une page A4 en paysage, les en-têtes "
                 "se répètent en haut de chaque page."),
        ("head", "1. Feuille « Partenariat »"),
        ("text", "Une valeur par ligne dans la colonne B : identifiant du partenariat, collectivité française "
                 "(nom, échelon, code officiel), partenaire étranger (nom, code ISO du pays à deux lettres, échelon) "
                 "et provenance du codage."),
        ("head", "2. Feuille « Projets »"),
        ("text", "Une ligne par projet de coopération : identifiant court (minuscules, chiffres, tirets), intitulé, "
                 "thèmes, dates de début et de fin (jj/mm/aaaa), budget en euros et cofinanceurs."),
        ("head", "3. Feuille « Cibles »"),
        ("text", "Une ligne par lien entre un projet et une cible ODD : identifiant du projet, code de la cible "
                 "(liste des 169 cibles), niveau de contribution de 0 à 4, territoire sur lequel la contribution "
                 "agit et justification (obligatoire dès le niveau 1). Une cible n'est liée qu'une fois par projet."),
        ("head", "Échelle de contribution (0 à 4)"),
        *levels,
        ("text", "Correspondance indicative avec les marqueurs du CAD de l'OCDE : 0 → 0 (non ciblé), 1 à 3 → 1 "
                 "(objectif significatif), 4 → 2 (objectif principal)."),
        ("head", "Territoire"),
        ("text", "France : la contribution agit sur le territoire de la collectivité française. Partenaire : sur "
                 "celui du partenaire. Les deux : sur les deux territoires."),
        ("head", "4. Feuille « Indicateurs »"),
        ("text", "Une ligne par indicateur suivi. Source ONU : indicateur mondial, code obligatoire (ex. 6.1.1). "
                 "Sources INSEE, OCDE ou local : nom obligatoire, code seulement s'il existe (n'en inventez pas). "
                 "Valeur de référence et son année, valeur visée en 2030, valeur actuelle et son année. Le sens "
                 "(hausse ou baisse) se déduit de la référence et de la valeur visée."),
        *[("text", f"{label} : {sources[code].label_fr}.") for label, code in SOURCES.items()],
        ("text", "Le progrès est calculé comme dans la méthode territoriale de l'OCDE : 0 à la valeur de référence, "
                 "100 à la valeur visée en 2030, linéaire entre les deux (au-delà de la cible, la valeur brute "
                 "dépasse 100 et la valeur affichée reste à 100)."),
        ("head", "5. Feuille « Feuille de route »"),
        ("text", "Une ligne par action : l'action, son responsable, son échéance (jj/mm/aaaa) et, s'il y a lieu, "
                 "l'identifiant de l'indicateur qu'elle alimente et du projet concerné."),
        ("head", "Import"),
        ("text", "cufstudy sdg import grille.xlsx --to data/partnerships/<identifiant>.yaml"),
    ]  # fmt: skip
    return [(style, _cell_text(text)) for style, text in rows]


_CORE_DATES = re.compile(r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def stamp_workbook(path: Path, epoch: int | None = None) -> None:
    """Make a workbook openpyxl saved reproducible: its ``docProps/core.xml`` created and modified dates and
    its zip entries stamped with ``epoch`` (default: ``SOURCE_DATE_EPOCH``, else a fixed instant; never the
    clock), so the same inputs give the same bytes."""
    when = source_date(None).epoch if epoch is None else epoch
    instant = dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def rewrite(name: str, data: bytes) -> bytes:
        if name != "docProps/core.xml":
            return data
        return _CORE_DATES.sub(lambda m: f"{m.group(1)}{instant}{m.group(3)}", data.decode("utf-8")).encode("utf-8")

    stamp_zip(path, when, rewrite)


def write_template(
    path: str | Path, framework: Framework, *, overwrite: bool = False, epoch: int | None = None
) -> Path:
    """Write the empty grid a French authority and its partner fill in.

    Parameters
    ----------
    path
        The ``.xlsx`` file to write (atomically).
    framework
        The SDG framework: its goals, 169 targets and UN indicators feed the drop-down lists.
    overwrite
        Replace an existing file.
    epoch
        The instant its document properties and zip entries are stamped with (:func:`stamp_workbook`).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    DataError
        If the name does not end in ``.xlsx`` or the file exists and ``overwrite`` is false.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise DataError.single(str(path), "the grid must be an .xlsx file")
    if target.exists() and not overwrite:
        raise DataError.single(str(path), "the file exists; choose another name or overwrite it (--force)")
    if not target.parent.is_dir():
        what = "is a file, not a folder" if target.parent.exists() else "does not exist"
        raise DataError.single(
            str(path), f"the folder {target.parent} {what}: create it first, or write the grid elsewhere"
        )
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    _write_instructions(ws)
    _write_form(wb)
    for sheet, columns in TABLES.items():
        _write_table(wb, sheet, columns)
    _write_lists(wb, framework)
    wb.security = WorkbookProtection(lockStructure=True)  # no sheet renamed, moved, deleted or unhidden
    wb.properties.title = _TITLE
    wb.properties.creator = "cufstudy"
    with atomic_path(target) as tmp:
        wb.save(tmp)
        stamp_workbook(Path(tmp), epoch)
    return target


# ---------------------------------------------------------------------------------------------------------
# reading a filled grid


@dataclass
class _Reader:
    """Reads the sheets of a workbook into raw partnership data, recording problems and cells."""

    file: str
    data: dict[str, Any] = field(default_factory=dict)
    cells: dict[FieldPath, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # cell -> column header
    problems: list[Problem] = field(default_factory=list)
    bad_cells: set[str] = field(default_factory=set)
    broken_sheets: set[str] = field(default_factory=set)

    def problem(self, cell: str, message: str, reason: Reason = Reason.INVALID_VALUE) -> None:
        self.problems.append(Problem(self.file, _fr(message), None, cell, reason))
        self.bad_cells.add(cell)

    def convert(self, column: Column, value: Any, cell: str) -> Any:
        """The cell's value for the model, ``None`` when empty, ``_BAD`` after recording a problem."""
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            return None
        where = f" ({self.headers.get(cell, f'colonne « {column.header} »')})"
        kind = column.kind
        if kind in ("text", "list"):
            text = _number_text(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
            if isinstance(text, dt.datetime | dt.date):
                text = text.strftime("%d/%m/%Y")
            text = str(text)
            if kind == "list":
                return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]
            return text
        if kind == "date":
            result = _to_date(value)
            if result is _BAD:
                message = f"date illisible {_shown(value)} : saisissez une date comme 31/12/2022{where}"
                self.problem(cell, message, Reason.WRONG_TYPE)
            return result
        if kind in ("int", "number", "goal"):
            result = _to_number(value, whole=kind != "number")
            if result is _BAD:
                expected = "un nombre" if kind == "number" else "un nombre entier"
                self.problem(cell, f"valeur {_shown(value)} : {expected} est attendu{where}", Reason.WRONG_TYPE)
            elif kind == "goal" and not 1 <= result <= 17:
                message = f"valeur {_shown(value)} : un numéro d'objectif de 1 à 17 est attendu{where}"
                self.problem(cell, message, Reason.OUT_OF_RANGE)
                return _BAD
            return result
        if kind == "level":
            number = _to_number(value, whole=True)
            number = _to_number(value, whole=False) if number is _BAD else number
            return value if number is _BAD else number  # the model explains a bad level
        if kind == "choice":
            assert column.choices is not None
            folded = {fold(label): code for label, code in column.choices.items()}
            folded.update({fold(code): code for code in column.choices.values()})
            code = folded.get(fold(str(value)))
            if code is None:
                labels = list(column.choices)
                hint = did_you_mean_fr(value, labels)
                message = f"valeur {_shown(value)} hors liste ; valeurs possibles : {', '.join(labels)}{hint}{where}"
                self.problem(cell, message, Reason.NOT_IN_VOCABULARY)
                return _BAD
            return code
        return value  # target, raw: the model checks them

    def read_form(self, ws: Worksheet) -> None:
        rows = {fold(r[0]): (n, r[1] if len(r) > 1 else None) for n, r in _rows(ws) if r and isinstance(r[0], str)}
        self.data.update(french_authority={}, partner={})  # so that each empty required row is reported
        for column in FORM:
            path = tuple(column.key.split(".")) if column.key else ()
            found = rows.get(fold(column.header))
            if found is None:
                self.problem(
                    f"{PARTNERSHIP}!A1",
                    f"ligne « {column.header} » introuvable en colonne A : ne renommez ni ne supprimez les lignes "
                    "du formulaire",
                    Reason.MISSING_FIELD,
                )
                self.cells[path] = f"{PARTNERSHIP}!A1"
                continue
            n, value = found
            cell = f"{PARTNERSHIP}!B{n}"
            self.headers[cell] = f"ligne « {column.header} »"
            self.cells[path] = cell
            for k in range(1, len(path)):
                self.cells.setdefault(path[:k], cell)
            converted = self.convert(column, value, cell)
            if converted is not None and converted is not _BAD:
                _set(self.data, path, converted)

    def read_table(self, ws: Worksheet, sheet: str, columns: Sequence[Column]) -> list[tuple[int, dict[str, Any]]]:
        """The non-empty rows of a table sheet, as (row number, {key: value}); cells are recorded."""
        all_rows = list(_rows(ws))
        header_row = all_rows[0][1] if all_rows and all_rows[0][0] == 1 else ()
        found = {fold(h): i for i, h in enumerate(header_row) if isinstance(h, str) and h.strip()}
        position: dict[str, int] = {}
        for default, column in enumerate(columns):
            if column.key is None:
                continue
            if fold(column.header) in found:
                position[column.key] = found[fold(column.header)]
                continue
            index = default
            actual = header_row[index] if index < len(header_row) else None
            seen = f"la cellule contient « {actual} »" if actual not in (None, "") else "la cellule est vide"
            self.problem(
                f"{sheet}!{get_column_letter(index + 1)}1",
                f"colonne « {column.header} » introuvable ({seen}) : ne renommez pas les en-têtes",
                Reason.MISSING_FIELD,
            )
            self.broken_sheets.add(sheet)
        if sheet in self.broken_sheets:
            return []
        out = []
        for n, values in all_rows[1:]:
            raw = {key: values[i] if i < len(values) else None for key, i in position.items()}
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw.values()):
                continue
            record: dict[str, Any] = {}
            for column in columns:
                if column.key is None:
                    continue
                cell = f"{sheet}!{get_column_letter(position[column.key] + 1)}{n}"
                self.headers[cell] = f"colonne « {column.header} »"
                record[column.key] = (cell, self.convert(column, raw[column.key], cell))
            out.append((n, record))
        return out

    def add_rows(self, key: str, sheet: str, rows: Iterable[tuple[int, dict[str, Any]]], base: FieldPath = ()) -> None:
        items: list[dict[str, Any]] = []
        rows_list = list(rows)
        for n, record in rows_list:
            path = (*base, key, len(items))
            self.cells[path] = f"{sheet}!A{n}"
            item: dict[str, Any] = {}
            for name, (cell, value) in record.items():
                sub = tuple(name.split("."))
                self.cells[(*path, *sub)] = cell
                if len(sub) > 1:
                    self.cells.setdefault((*path, sub[0]), cell)
                if value is not None and value is not _BAD:
                    _set(item, sub, value)
            items.append(item)
        first = min((n for n, _ in rows_list), default=2)
        self.cells.setdefault((*base, key), f"{sheet}!A{first}")
        if items:
            _set(self.data, (*base, key), items)

    def add_links(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        projects: list[dict[str, Any]] = self.data.get("projects", [])
        index = {p["id"]: i for i, p in reversed(list(enumerate(projects))) if isinstance(p.get("id"), str)}
        per_project: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        for n, record in rows:
            cell, ref = record.pop("project")
            goal_cell, goal = record.pop("goal")
            target = record["target"][1]
            if ref is None:
                self.problem(cell, f"{_EMPTY} (colonne « Projet »)", Reason.MISSING_FIELD)
            elif ref not in index:
                if PROJECTS not in self.broken_sheets:
                    hint = did_you_mean_fr(ref, index)
                    message = f"le projet « {ref} » n'est pas dans la feuille Projets{hint} (colonne « Projet »)"
                    self.problem(cell, message, Reason.UNKNOWN_REFERENCE)
            else:
                per_project.setdefault(index[ref], []).append((n, record))
            if isinstance(goal, int) and isinstance(target, str) and target.split(".")[0] != str(goal):
                message = f"l'objectif {goal} ne correspond pas à la cible « {target} » (colonne « ODD »)"
                self.problem(goal_cell, message)
        for i, links in per_project.items():
            self.add_rows("links", LINKS, links, base=("projects", i))

    def locate(self, issue: FieldIssue) -> Problem:
        """The cell of a problem found in the partnership (the :data:`~cufstudy.sdg.partnerships.Locator`)."""
        loc, message = issue.path, issue.message
        cell = None
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.cells:
                cell = self.cells[loc[:n]]
                break
        header = self.headers.get(cell or "")
        if issue.kind in ("missing", "too_short") and loc == ("projects",):
            message = "aucun projet : décrivez au moins un projet"
        elif issue.kind == "missing":
            message = _EMPTY
        elif issue.kind not in ("value_error", "assertion_error", "reference"):
            message = _generic_fr(issue)  # pydantic's own checks, worded in French; ours are (lang="fr")
        if header:
            message += f" ({header})"
        return Problem(self.file, _fr(message), None, cell or PARTNERSHIP, issue.reason)


def _shown(value: Any) -> str:
    """A value a person typed, as a French message quotes it: ``« bientôt »``, ``6,5``, ``31/12/2022``."""
    if isinstance(value, bool):
        return "vrai" if value else "faux"
    if isinstance(value, int | float):
        return _number_text(value).replace(".", ",")
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return f"« {shorten(str(value), 60)} »"


#: pydantic's own checks (lengths, bounds, types), worded in French from the error's kind and context.
_GENERIC_FR: Final[dict[str, str]] = {
    "string_too_short": "texte trop court : au moins {min_length} caractère(s)",
    "string_too_long": "texte trop long : au plus {max_length} caractères",
    "too_short": "au moins {min_length} élément(s) attendu(s)",
    "too_long": "au plus {max_length} éléments",
    "greater_than_equal": "valeur {value} trop petite : au moins {ge}",
    "greater_than": "valeur {value} trop petite : plus de {gt}",
    "less_than_equal": "valeur {value} trop grande : au plus {le}",
    "less_than": "valeur {value} trop grande : moins de {lt}",
    "finite_number": "valeur {value} : un nombre fini est attendu",
    "enum": "valeur {value} hors liste ; valeurs possibles : {expected}",
    "literal_error": "valeur {value} hors liste ; valeurs possibles : {expected}",
    "string_pattern_mismatch": "valeur {value} refusée : elle ne suit pas la forme attendue",
}
_TYPES_FR: Final[dict[str, str]] = {
    "int": "un nombre entier", "float": "un nombre", "decimal": "un nombre", "string": "du texte",
    "date": "une date", "datetime": "une date", "bool": "oui ou non", "list": "une liste", "tuple": "une liste",
    "dict": "un ensemble de champs", "model": "un ensemble de champs",
}  # fmt: skip


def _generic_fr(issue: FieldIssue) -> str:
    """The French wording of a pydantic error that no check of ours worded (see :data:`_GENERIC_FR`)."""
    values = {k: _shown(v) if isinstance(v, int | float) else v for k, v in issue.context.items()}
    values["value"] = _shown(issue.value)
    template = _GENERIC_FR.get(issue.kind)
    if template is not None:
        with contextlib.suppress(KeyError, IndexError):
            return template.format(**values)
    kind = issue.kind.split("_", 1)[0]  # int_parsing, string_type, date_from_datetime_parsing...
    if kind in _TYPES_FR:
        return f"valeur {values['value']} : {_TYPES_FR[kind]} est attendu"
    return f"valeur {values['value']} refusée"


#: The messages of :func:`cufstudy.core.workbook.open_workbook`, in French (the grid's language).
_OPEN_FR: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"^a (\.\w+) file is not supported"),
     "un fichier {0} n'est pas accepté : enregistrez-le comme classeur Excel (.xlsx)"),
    (re.compile(r"^not an Excel workbook"), "ce n'est pas un classeur Excel : un fichier .xlsx est attendu"),
    (re.compile(r"^cannot read the file: No such file"), "fichier introuvable"),
    (re.compile(r"^cannot read the file"), "fichier illisible"),
    (re.compile(r"^the file is ([\d,]+) bytes; at most ([\d,]+)"),
     "le fichier fait {0} octets ; au plus {1} octets sont acceptés"),
    (re.compile(r"^not a readable \.xlsx workbook \(corrupt"),
     "classeur .xlsx illisible (endommagé, ou pas une archive zip)"),
    (re.compile(r"^not a readable \.xlsx workbook \((\w+)"), "classeur .xlsx illisible ({0})"),
    (re.compile(r"^the workbook expands to ([\d,]+) bytes"), "le classeur se décompresse en {0} octets : refusé"),
)  # fmt: skip


def _open_problem_fr(problem: Problem) -> Problem:
    """A problem of opening the workbook, in French (unchanged if its wording is unknown)."""
    for pattern, french in _OPEN_FR:
        match = pattern.match(problem.message)
        if match:
            groups = [g.replace(",", "\u202f") for g in match.groups()]
            return Problem(problem.file, _fr(french.format(*groups)), problem.line, problem.field, problem.reason)
    return problem


def _set(data: dict[str, Any], path: FieldPath, value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    node[path[-1]] = value


def import_grid(path: str | Path, framework: Framework) -> Partnership:
    """Read a filled grid into a :class:`~cufstudy.sdg.partnerships.Partnership`.

    Parameters
    ----------
    path
        The ``.xlsx`` workbook written by :func:`write_template` and filled in.
    framework
        The SDG framework the targets and UN indicator codes are checked against.

    Returns
    -------
    Partnership
        The validated partnership; nothing is returned unless the whole workbook is valid.

    Raises
    ------
    DataError
        With every problem at once, each with its sheet and cell in ``field`` (``Cibles!E7``):
        unreadable file, missing sheet, renamed header, empty required cell, unknown target, level out
        of range, unknown project, date that is not a date...
    """
    display = str(path)
    try:
        wb = _open(Path(path), display)
    except DataError as exc:
        n = len(exc.problems)
        summary = _fr(f"{n} problème{'s' if n > 1 else ''} dans {display} ; rien n'a été importé")
        raise DataError([_open_problem_fr(p) for p in exc.problems], summary=summary) from exc
    reader = _Reader(display)
    try:
        missing = [s for s in (PARTNERSHIP, PROJECTS, LINKS, INDICATORS, ROADMAP) if s not in wb.sheetnames]
        for sheet in missing:
            message = f"feuille « {sheet} » absente : repartez du modèle (cufstudy sdg grid-template)"
            reader.problem(sheet, message, Reason.MISSING_FIELD)
            reader.broken_sheets.add(sheet)
        if PARTNERSHIP not in missing:
            reader.read_form(_sheet(wb, PARTNERSHIP))
        tables = {s: reader.read_table(_sheet(wb, s), s, TABLES[s]) for s in TABLES if s not in missing}
    finally:
        wb.close()
    reader.add_rows("projects", PROJECTS, tables.get(PROJECTS, []))
    reader.add_links(tables.get(LINKS, []))
    reader.add_rows("indicators", INDICATORS, tables.get(INDICATORS, []))
    reader.add_rows("roadmap", ROADMAP, tables.get(ROADMAP, []))
    for sheet, key in ((INDICATORS, "indicator"), (PROJECTS, "project")):
        if sheet in reader.broken_sheets:  # references to a sheet that could not be read are not checked
            reader.bad_cells |= {c for p, c in reader.cells.items() if p[:1] == ("roadmap",) and p[-1:] == (key,)}
    problems = list(reader.problems)
    try:
        partnership = validate_partnership(reader.data, framework, reader.locate, lang="fr")
    except DataError as exc:
        problems += [
            p
            for p in exc.problems
            if p.field not in reader.bad_cells and (p.field or "").split("!")[0] not in reader.broken_sheets
        ]
    if problems:
        problems = _explain_formulas(Path(path), problems)
        n = len(problems)
        summary = _fr(f"{n} problème{'s' if n > 1 else ''} dans {display} ; rien n'a été importé")
        raise DataError(problems, summary=summary)
    return partnership


_EMPTY = "cellule obligatoire vide"


def _explain_formulas(path: Path, problems: list[Problem]) -> list[Problem]:
    """Name the formula behind an "empty" cell: a formula the file holds without its computed value.

    Cells are read as values (formulas are never evaluated). A workbook written by a program other than
    a spreadsheet has formulas but no computed values, which reads as empty: say so instead.
    """
    empty = [p for p in problems if p.message.startswith(_EMPTY) and p.field and "!" in p.field]
    if not empty:
        return problems
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # the values were readable; the formulas are only an explanation
        return problems
    formulas: dict[str, str] = {}
    try:
        for p in empty:
            sheet, ref = str(p.field).split("!", 1)
            with contextlib.suppress(KeyError, ValueError, AttributeError):
                value = wb[sheet][ref].value
                if isinstance(value, str) and value.startswith("="):
                    formulas[str(p.field)] = value
    finally:
        wb.close()
    out = []
    for p in problems:
        formula = formulas.get(str(p.field)) if p in empty else None
        if formula is None:
            out.append(p)
            continue
        shown = formula if len(formula) <= 60 else formula[:57] + "..."
        message = _fr(
            f"formule « {shown} » sans valeur calculée (les formules ne sont pas évaluées : le fichier n'a pas été "
            f"enregistré par un tableur) : saisissez la valeur elle-même{p.message.removeprefix(_fr(_EMPTY))}"
        )
        out.append(Problem(p.file, message, p.line, p.field, p.reason))
    return out


def _sheet(wb: Workbook, name: str) -> Worksheet:
    ws = wb[name]
    assert isinstance(ws, Worksheet) or hasattr(ws, "iter_rows")
    return ws


def to_yaml(
    partnership: Partnership,
    path: str | Path | None = None,
    *,
    data: str | Path = "data",
    overwrite: bool = False,
    source: str | None = None,
) -> Path:
    """Write a partnership to ``<data>/partnerships/<id>.yaml`` (or ``path``), atomically.

    Parameters
    ----------
    partnership
        The partnership, e.g. from :func:`import_grid`.
    path
        The file to write; default ``<data>/partnerships/<id>.yaml``.
    overwrite
        Replace an existing file (refused otherwise).
    source
        Where the partnership comes from (e.g. the workbook), noted in the file's header comment.

    Raises
    ------
    DataError
        If the file exists and ``overwrite`` is false, or its name is not ``<id>.yaml``.
    """
    target = Path(path) if path is not None else Path(data) / "partnerships" / f"{partnership.id}.yaml"
    if target.name != f"{partnership.id}.yaml":
        raise DataError.single(str(target), f"the file must be named after the partnership: {partnership.id}.yaml")
    if target.exists() and not overwrite:
        raise DataError.single(str(target), "the file exists; pass overwrite=True (--force) to replace it")
    lines = [f"Partenariat « {partnership.display_title} »."]
    if source:
        lines.append(f"Importé de {source} le {dt.date.today().isoformat()} par cufstudy sdg import.")
    if partnership.provenance is PartnershipProvenance.ILLUSTRATIVE:
        lines.append("VALEURS ILLUSTRATIVES : aucune valeur n'est mesurée.")
    atomic_write_text(target, dump_yaml(partnership, header="\n".join(lines)))
    return target
