"""Reading filled capture forms back into the case base: every problem at once, then minimal edits.

:func:`import_forms` reads every form (:mod:`cufstudy.fieldwork.forms`), checks it against the case base and
reports every problem of every form together, each located by file, sheet and cell (``Entretien!B12``):
not a form, a changed layout, a form for another case, the same case twice, an empty required cell, a
date that is not one or lies in the future, an unknown status, format, attachment or view, a
recommendation that does not belong to the case, a number out of range. Nothing is written unless every
form is valid. Then each case file is edited in place (:mod:`cufstudy.fieldwork._casefile`): the
follow-up of the recommendations given a status, the organisation today (``organisation.after``; for a
comparison authority, its current organisation ``organisation.before``), and the interview (added, or
updated when the file has one of the same date and role). Comments, key order and every other line
stay as they were. Each new text is validated by the project's case validator before any file is
replaced, and each file is replaced atomically.

The interviewee's name and the notes go to ``interviews[].interviewee`` and ``interviews[].notes``, the
fields the data model marks confidential: the public view drops them and the leak check looks for them
in every public deliverable.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from cufstudy.core.atomic import atomic_write_text
from cufstudy.core.errors import DataError, Problem
from cufstudy.core.workbook import BAD, fold, number_text, open_workbook, sheet_rows, to_date, to_number
from cufstudy.core.yamlio import parse_yaml
from cufstudy.fieldwork import forms as fm
from cufstudy.fieldwork._casefile import Update, apply_update
from cufstudy.model.cases import Case, CaseBase, FollowUp, Interview, ServiceSnapshot, validate_case

__all__ = ["CaseChange", "FormRecord", "ImportReport", "import_forms", "read_form"]

_EMPTY: Final = "empty required cell"
Choices = dict[str, str]


@dataclass(frozen=True)
class FormRecord:
    """What one valid form says, ready to apply to its case file."""

    file: str
    case_id: str
    update: Update
    n_follow_ups: int
    interview_date: dt.date


@dataclass(frozen=True)
class CaseChange:
    """One case file changed by the import (or that would change, in a dry run)."""

    case_id: str
    file: str
    form: str
    diff: str
    n_follow_ups: int
    interview_date: dt.date

    @property
    def changed(self) -> bool:
        return bool(self.diff)


@dataclass(frozen=True)
class ImportReport:
    changes: tuple[CaseChange, ...]
    written: bool

    def summary(self) -> str:
        lines = []
        for c in self.changes:
            what = f"{c.n_follow_ups} follow-up{'s' if c.n_follow_ups != 1 else ''}"
            state = "" if c.changed else " (no change)"
            lines.append(f"{c.case_id}: {what}, interview of {c.interview_date:%d/%m/%Y}{state} <- {c.form}")
        n = sum(c.changed for c in self.changes)
        verb = "updated" if self.written else "would be updated (dry run: nothing written)"
        lines.append(f"{n} case file{'s' if n != 1 else ''} {verb}, from {len(self.changes)} forms")
        return "\n".join(lines)


@dataclass
class _Reader:
    """Reads one form's cells, recording problems by cell."""

    file: str
    case: Case | None = None
    problems: list[Problem] = field(default_factory=list)

    def problem(self, ref: str, message: str) -> None:
        self.problems.append(Problem(self.file, message, None, ref))

    def text(self, ref: str, value: Any, what: str, *, required: bool = False) -> str | None:
        if isinstance(value, bool):
            value = "oui" if value else "non"
        elif isinstance(value, int | float):
            value = number_text(value)
        elif isinstance(value, dt.datetime | dt.date):
            value = value.strftime("%d/%m/%Y")
        text = str(value).strip() if value is not None else ""
        if not text:
            if required:
                self.problem(ref, f"{_EMPTY} ({what})")
            return None
        return text.replace("\r\n", "\n")

    def choice(self, ref: str, value: Any, choices: Choices, what: str, *, required: bool = False) -> Any:
        text = self.text(ref, value, what, required=required)
        if text is None:
            return None
        folded = {fold(k): v for k, v in choices.items()} | {fold(v): v for v in choices.values()}
        code = folded.get(fold(text))
        if code is None:
            near = difflib.get_close_matches(text, list(choices), n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            self.problem(ref, f"got {text!r}, expected one of: {', '.join(choices)}{hint} ({what})")
            return BAD
        return code

    def number(self, ref: str, value: Any, what: str, *, whole: bool) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        result = to_number(value, whole=whole)
        if result is BAD:
            self.problem(ref, f"got {value!r}: expected {'a whole number' if whole else 'a number'} ({what})")
        return result

    def model(self, model: type[BaseModel], data: dict[str, Any], cells: dict[str, tuple[str, str]]) -> bool:
        """Validate ``data`` with the case model's own constraints; problems located by ``cells``."""
        try:
            model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                key = str(err["loc"][0]) if err["loc"] else ""
                ref, what = cells.get(key, next(iter(cells.values())))
                if err["type"] == "missing":
                    self.problem(ref, f"{_EMPTY} ({what})")
                    continue
                value = err.get("input")
                shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
                self.problem(ref, f"got {shown}: {err['msg'][0].lower()}{err['msg'][1:]} ({what})")
            return False
        return True


def _grid(ws: Any) -> dict[tuple[int, int], Any]:
    return {(n, c): v for n, values in sheet_rows(ws) for c, v in enumerate(values, start=1) if v is not None}


def _col(letter: str) -> int:
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(letter)


def _value(grid: dict[tuple[int, int], Any], f: fm.Field) -> Any:
    return grid.get((f.row, _col(f.column)))


def _cut(text: str, limit: int = 100) -> str:
    """``text`` shortened at a word to at most ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _q(text: str) -> str:
    return f"« {text} »"


def _layout_ok(reader: _Reader, grid: dict[tuple[int, int], Any]) -> bool:
    """The labels of column A where the writer put them (the form was not rearranged)."""
    for f in (fm.CASE_ID, fm.AUTHORITY, fm.DATE, fm.FORMAT, fm.ROLE, fm.INTERVIEWEE, fm.ATTACHMENT, fm.FTE, fm.BUDGET):
        found = grid.get((f.row, 1))
        if not isinstance(found, str) or not fold(found).startswith(fold(f.label)):
            seen = f"found {str(found)!r}" if found is not None else "the cell is empty"
            reader.problem(
                f"{fm.INTERVIEW}!A{f.row}",
                f"expected {_q(f.label)} here ({seen}): the form's layout was changed; generate a new form "
                "(cufstudy fieldwork forms) and copy the answers into it",
            )
            return False
    return True


def _read_recommendations(
    reader: _Reader, ws: Any, case: Case, cited_obstacles: Sequence[str]
) -> dict[int, dict[str, Any]]:
    grid = _grid(ws)
    sheet = fm.RECOMMENDATIONS
    col = {k: _col(v) for k, v in fm.REC_COL.items()}
    head = grid.get((fm.REC_HEAD_ROW, col["status"]))
    if not isinstance(head, str) or fold(head) != fold(fm.REC_HEADERS["status"]):
        reader.problem(
            f"{sheet}!{fm.REC_COL['status']}{fm.REC_HEAD_ROW}",
            f"expected the header {_q(fm.REC_HEADERS['status'])} here: the form's layout was changed; generate a new "
            "form (cufstudy fieldwork forms) and copy the answers into it",
        )
        return {}
    last = max((r for r, _ in grid), default=fm.REC_FIRST_ROW)
    found: dict[int, int] = {}  # recommendation index -> row
    out: dict[int, dict[str, Any]] = {}
    n_recs = len(case.recommendations)
    known_obstacles = {fold(o): o for o in cited_obstacles}
    for r in range(fm.REC_FIRST_ROW, last + 1):
        cells = {k: grid.get((r, c)) for k, c in col.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue

        def ref(key: str, row: int = r) -> str:
            return f"{sheet}!{fm.REC_COL[key]}{row}"

        number = to_number(cells["number"], whole=True) if cells["number"] is not None else BAD
        if number is BAD:
            reader.problem(
                ref("number"), f"got {cells['number']!r}: expected the recommendation's number (column « N° »)"
            )
            continue
        assert isinstance(number, int)
        index = number - 1
        if not 0 <= index < n_recs:
            reader.problem(
                ref("number"),
                f"recommendation {number} does not exist: case {case.id!r} has {n_recs} recommendation"
                f"{'s' if n_recs != 1 else ''}; generate the form again",
            )
            continue
        if index in found:
            reader.problem(ref("number"), f"recommendation {number} is listed twice (first on row {found[index]})")
            continue
        found[index] = r
        expected = case.recommendations[index].text
        text = cells["text"]
        if not isinstance(text, str) or fold(text) != fold(expected):
            shown = _cut(str(text)) if text is not None else ""
            reader.problem(
                ref("text"),
                f"recommendation {number} {_q(shown)} does not belong to case {case.id!r}, whose recommendation "
                f"{number} is {_q(_cut(expected))}: the case file changed since the form was generated, or the row "
                "was edited; generate the form again",
            )
            continue
        status = reader.choice(ref("status"), cells["status"], fm.STATUSES, "column « Statut constaté »")
        obstacle = reader.text(ref("obstacle"), cells["obstacle"], "column « Obstacle rencontré »")
        if obstacle is not None:  # an obstacle already cited, typed with other accents, case or apostrophes
            obstacle = known_obstacles.get(fold(obstacle), obstacle)
        lever = reader.text(ref("lever"), cells["lever"], "column « Ce qui a aidé »")
        if status is None:
            if obstacle or lever:
                reader.problem(
                    ref("status"),
                    f"{_EMPTY} (column « Statut constaté »): an obstacle or what helped is given for recommendation "
                    f"{number}",
                )
            continue
        if status is BAD:
            continue
        data = {"status": status, "obstacle": obstacle, "lever": lever}
        located = {"status": (ref("status"), "column « Statut constaté »"),
                   "obstacle": (ref("obstacle"), "column « Obstacle rencontré »"),
                   "lever": (ref("lever"), "column « Ce qui a aidé »")}  # fmt: skip
        if reader.model(FollowUp, data, located):
            out[index] = data
    for index in range(n_recs):
        if index not in found:
            reader.problem(
                f"{sheet}!A{fm.REC_FIRST_ROW + index}",
                f"recommendation {index + 1} of case {case.id!r} is missing from the form; generate the form again",
            )
    return out


def read_form(
    path: str | Path, base: CaseBase, *, today: dt.date | None = None
) -> tuple[FormRecord | None, list[Problem]]:
    """Read one filled form; return its record, or ``None`` and every problem found (located by cell)."""
    display = str(path)
    today = today or dt.date.today()
    try:
        wb = open_workbook(Path(path), display)
    except DataError as exc:
        return None, list(exc.problems)
    reader = _Reader(display)
    try:
        names = wb.sheetnames
        if fm.INTERVIEW not in names or fm.LISTS not in names:
            missing = fm.INTERVIEW if fm.INTERVIEW not in names else fm.LISTS
            reader.problem(missing, f"no sheet {_q(missing)}: not a capture form made by cufstudy fieldwork forms")
            return None, reader.problems
        marker = next((v for _, values in sheet_rows(wb[fm.LISTS]) for v in values[:1]), None)
        if marker != fm.FORM_MARKER:
            reader.problem(f"{fm.LISTS}!A1", f"not a capture form made by cufstudy fieldwork forms (marker {marker!r})")
            return None, reader.problems
        grid = _grid(wb[fm.INTERVIEW])
        if not _layout_ok(reader, grid):
            return None, reader.problems
        case = _case_of(reader, grid, base)
        if case is None:
            return None, reader.problems
        follow_ups: dict[int, dict[str, Any]] = {}
        if case.role != "comparison":
            if fm.RECOMMENDATIONS not in names:
                reader.problem(fm.RECOMMENDATIONS, f"no sheet {_q(fm.RECOMMENDATIONS)}: generate the form again")
            else:
                cited = [f.obstacle for c in base for r in c.recommendations if (f := r.follow_up) and f.obstacle]
                follow_ups = _read_recommendations(reader, wb[fm.RECOMMENDATIONS], case, cited)
    finally:
        wb.close()
    interview = _read_interview(reader, grid, case, today)
    organisation = _read_organisation(reader, grid)
    if reader.problems or interview is None:
        return None, reader.problems
    update = Update(follow_ups, "before" if case.role == "comparison" else "after", organisation, interview)
    return FormRecord(display, case.id, update, len(follow_ups), interview["date"]), []


def _case_of(reader: _Reader, grid: dict[tuple[int, int], Any], base: CaseBase) -> Case | None:
    case_id = reader.text(fm.CASE_ID.ref, _value(grid, fm.CASE_ID), _q(fm.CASE_ID.label), required=True)
    if case_id is None:
        return None
    try:
        case = base[case_id]
    except KeyError:
        near = difflib.get_close_matches(case_id, [c.id for c in base], n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        reader.problem(fm.CASE_ID.ref, f"unknown case {case_id!r}{hint}: the form's case is not in the case base")
        return None
    name = reader.text(fm.AUTHORITY.ref, _value(grid, fm.AUTHORITY), _q(fm.AUTHORITY.label)) or ""
    if fold(name) != fold(case.authority.name):
        reader.problem(
            fm.AUTHORITY.ref,
            f"this form is for {_q(name)}, but case {case_id!r} is {_q(case.authority.name)}: a form for another "
            "case (was the case id changed?)",
        )
        return None
    return case


def _read_interview(
    reader: _Reader, grid: dict[tuple[int, int], Any], case: Case | None, today: dt.date
) -> dict[str, Any] | None:
    what = {f.key: _q(f.label) for f in fm.FIELDS}
    raw_date = _value(grid, fm.DATE)
    date: Any = None
    if raw_date is None or (isinstance(raw_date, str) and not raw_date.strip()):
        reader.problem(fm.DATE.ref, f"{_EMPTY} ({what['date']})")
    else:
        date = to_date(raw_date)
        if date is BAD:
            reader.problem(fm.DATE.ref, f"not a date: {raw_date!r}; enter a date such as 18/01/2022 ({what['date']})")
            date = None
        elif date > today:
            reader.problem(fm.DATE.ref, f"the date {date:%d/%m/%Y} is in the future ({what['date']})")
            date = None
        elif case is not None and case.mission_year is not None and date.year < case.mission_year:
            reader.problem(
                fm.DATE.ref,
                f"the interview ({date:%d/%m/%Y}) is before the mission ({case.mission_year}): a follow-up interview "
                f"comes after it ({what['date']})",
            )
            date = None
    fmt = reader.choice(fm.FORMAT.ref, _value(grid, fm.FORMAT), fm.FORMATS, what["format"], required=True)
    role = reader.text(fm.ROLE.ref, _value(grid, fm.ROLE), what["role"], required=True)
    interviewee = reader.text(fm.INTERVIEWEE.ref, _value(grid, fm.INTERVIEWEE), what["interviewee"])
    view_label = fm.VIEW_COMPARISON_LABEL if case is not None and case.role == "comparison" else fm.VIEW.label
    view = reader.choice(fm.VIEW.ref, _value(grid, fm.VIEW), fm.VIEWS, _q(view_label))
    notes = reader.text(f"{fm.INTERVIEW}!{fm.NOTES.cell}", _value(grid, fm.NOTES), "« Notes d'entretien »")
    if date is None or fmt in (None, BAD) or role is None or view is BAD:
        return None
    data = {"date": date, "role": role, "format": fmt, "interviewee": interviewee, "notes": notes,
            "organisation_view": view, "imported": today}  # fmt: skip
    cells = {"date": (fm.DATE.ref, what["date"]), "role": (fm.ROLE.ref, what["role"]),
             "format": (fm.FORMAT.ref, what["format"]),
             "interviewee": (fm.INTERVIEWEE.ref, what["interviewee"]),
             "notes": (f"{fm.INTERVIEW}!{fm.NOTES.cell}", "« Notes d'entretien »"),
             "organisation_view": (fm.VIEW.ref, _q(view_label)), "imported": (fm.DATE.ref, what["date"])}  # fmt: skip
    return data if reader.model(Interview, data, cells) else None


def _read_organisation(reader: _Reader, grid: dict[tuple[int, int], Any]) -> dict[str, Any] | None:
    attachment = reader.choice(
        fm.ATTACHMENT.ref, _value(grid, fm.ATTACHMENT), fm.ATTACHMENTS, _q(fm.ATTACHMENT.label)
    )
    fte = reader.number(fm.FTE.ref, _value(grid, fm.FTE), _q(fm.FTE.label), whole=False)
    budget = reader.number(fm.BUDGET.ref, _value(grid, fm.BUDGET), _q(fm.BUDGET.label), whole=True)
    given = [v for v in (attachment, fte, budget) if v is not None]
    if not given or BAD in given:
        return None
    why = "needed when the organisation today is given"
    if attachment is None:
        reader.problem(fm.ATTACHMENT.ref, f"{_EMPTY} ({_q(fm.ATTACHMENT.label)}, {why})")
    if fte is None:
        reader.problem(fm.FTE.ref, f"{_EMPTY} ({_q(fm.FTE.label)}, {why})")
    if attachment is None or fte is None:
        return None
    data = {"attachment": attachment, "fte": float(fte), "budget_eur": budget}
    cells = {"attachment": (fm.ATTACHMENT.ref, _q(fm.ATTACHMENT.label)), "fte": (fm.FTE.ref, _q(fm.FTE.label)),
             "budget_eur": (fm.BUDGET.ref, _q(fm.BUDGET.label))}  # fmt: skip
    return data if reader.model(ServiceSnapshot, data, cells) else None


def _diff(old: str, new: str, file: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"{file} (before)", file, n=2))


def import_forms(
    paths: Sequence[str | Path],
    data: str | Path = "data",
    *,
    dry_run: bool = False,
    today: dt.date | None = None,
    load: Callable[[str | Path], CaseBase] | None = None,
) -> ImportReport:
    """Check every form, then update the case files (unless ``dry_run``); all or nothing.

    Parameters
    ----------
    paths
        The filled ``.xlsx`` forms.
    data
        The data folder holding ``cases/``.
    dry_run
        Check and compute the changes (their diff is in the report) without writing anything.
    today
        The day of the import (the future-date check, ``interviews[].imported``); default: today.

    Returns
    -------
    ImportReport
        One change per form, with the unified diff of its case file.

    Raises
    ------
    DataError
        Every problem of every form, located by file and cell; no case file is changed.
    """
    from cufstudy.model.cases import load_cases

    if not paths:
        raise DataError.single("FORMS", "no form given: name the filled .xlsx forms to import")
    base = (load or load_cases)(data)
    today = today or dt.date.today()
    problems: list[Problem] = []
    records: list[FormRecord] = []
    seen: dict[str, str] = {}
    for path in dict.fromkeys(str(p) for p in paths):
        record, found = read_form(path, base, today=today)
        problems += found
        if record is None:
            continue
        if record.case_id in seen:
            message = f"case {record.case_id!r} is also in {seen[record.case_id]}: one form per case"
            problems.append(Problem(path, message, None, fm.CASE_ID.ref))
            continue
        seen[record.case_id] = path
        records.append(record)
    changes: list[CaseChange] = []
    texts: dict[Path, str] = {}
    for record in records:
        file = base.files.get(record.case_id)
        if file is None:  # pragma: no cover - every loaded case has its file
            raise DataError.single(record.file, f"no file known for case {record.case_id!r}")
        old = Path(file).read_text(encoding="utf-8")
        new = apply_update(old, record.update)
        doc = parse_yaml(new, file)
        case, invalid = validate_case(doc)
        if invalid or case is None or case.id != record.case_id:
            problems += [Problem(record.file, f"the updated case file would be invalid: {p}", None, fm.CASE_ID.ref)
                         for p in invalid]  # fmt: skip
            continue
        texts[Path(file)] = new
        diff = _diff(old, new, file)
        changes.append(CaseChange(record.case_id, file, record.file, diff, record.n_follow_ups, record.interview_date))
    if problems:
        n, files = len(problems), len({p.file for p in problems})
        raise DataError(
            problems,
            summary=f"{n} problem{'s' if n != 1 else ''} in {files} of {len(paths)} forms; no case file was changed",
        )
    if not dry_run:
        for target, text in texts.items():
            if target.read_text(encoding="utf-8") != text:
                atomic_write_text(target, text)
    return ImportReport(tuple(changes), written=not dry_run)
