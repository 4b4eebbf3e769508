"""Progress of the fieldwork: interviews planned, held and imported, per tier; follow-ups known.

*Planned*: the terms of reference plan an interview with every authority a DCOL mission supported and with
the comparison authorities retained in the selection grid (all comparison cases when no grid is given).
*Held*: a planned authority whose file records an interview dated today or earlier that is fieldwork: read
back from a capture form (``interviews[].imported``), or in a case whose coding is not illustrative. An
interview typed into an illustrative case file is an *example* (:func:`interview_status`): it is counted apart
and never presented as fieldwork, here and in the study's table of interviews. *Imported*: a planned
authority with an interview read back from a capture form. A recommendation's follow-up is *known* when its
status is coded. Only counts are computed: the public view is enough.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cufstudy.fieldwork.selection import SelectionGrid
from cufstudy.model.cases import Case, CaseBase, Interview
from cufstudy.model.vocab import Provenance, TierGroup, label

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COMPARISON_ROW",
    "EXAMPLE",
    "HELD",
    "PLANNED",
    "RECOMMENDATIONS",
    "Progress",
    "ProgressRow",
    "interview_status",
    "planned_cases",
    "progress",
    "progress_table",
]

HELD = "mené"
RECOMMENDATIONS = "Recom\u00admandations"
"""The header of the recommendations column: a soft hyphen lets it break in its narrow column of the study's
table (tables are not hyphenated; the whole word ran over the column beside it)."""
EXAMPLE = "exemple"
PLANNED = "prévu"

COMPARISON_ROW = "Collectivités de comparaison"


@dataclass(frozen=True)
class ProgressRow:
    """The counts of one group of authorities."""

    group: str
    planned: int
    held: int
    imported: int
    recommendations: int
    known: int
    examples: int = 0
    """Authorities whose file holds only example interviews (illustrative coding, no form imported)."""


def interview_status(case: Case, interview: Interview, today: dt.date | None = None) -> str:
    """:data:`PLANNED` (dated after ``today``), :data:`EXAMPLE` (typed into an illustrative case file, not read
    back from a capture form: not fieldwork) or :data:`HELD`."""
    if interview.date > (today or dt.date.today()):
        return PLANNED
    if case.provenance is Provenance.ILLUSTRATIVE and interview.imported is None:
        return EXAMPLE
    return HELD


@dataclass(frozen=True)
class Progress:
    """The counts per tier group of the DCOL missions, for the comparison authorities, and in total."""

    rows: tuple[ProgressRow, ...]
    comparison: ProgressRow
    total: ProgressRow

    @property
    def share_known(self) -> float:
        """Share of the recommendations whose follow-up status is known, in % (0 without recommendations)."""
        t = self.total
        return round(100 * t.known / t.recommendations, 1) if t.recommendations else 0.0


def planned_cases(base: CaseBase, selection: SelectionGrid | None = None) -> list[Case]:
    """The cases an interview is planned with: every DCOL mission, and the retained comparison authorities."""
    if selection is None:
        comparison = {c.id for c in base if c.role == "comparison"}
    else:
        comparison = {c.case for c in selection.candidates if c.retained}
    return [c for c in base if c.role == "dcol" or c.id in comparison]


def _row(group: str, cases: list[Case], today: dt.date) -> ProgressRow:
    return ProgressRow(
        group=group,
        planned=len(cases),
        held=sum(any(interview_status(c, i, today) == HELD for i in c.interviews) for c in cases),
        imported=sum(any(i.imported is not None for i in c.interviews) for c in cases),
        recommendations=sum(len(c.recommendations) for c in cases),
        known=sum(r.follow_up is not None for c in cases for r in c.recommendations),
        examples=sum(
            bool(c.interviews) and all(interview_status(c, i, today) == EXAMPLE for i in c.interviews) for c in cases
        ),
    )


def progress(base: CaseBase, selection: SelectionGrid | None = None, today: dt.date | None = None) -> Progress:
    """Count the fieldwork's progress (see the module's definitions)."""
    today = today or dt.date.today()
    planned = planned_cases(base, selection)
    dcol = [c for c in planned if c.role == "dcol"]
    rows = tuple(
        _row(label(g), [c for c in dcol if c.authority.group is g], today)
        for g in TierGroup
        if any(c.authority.group is g for c in dcol)
    )
    comparison = _row(COMPARISON_ROW, [c for c in planned if c.role == "comparison"], today)
    return Progress(rows=rows, comparison=comparison, total=_row("Ensemble", planned, today))


def progress_table(p: Progress) -> pd.DataFrame:
    """The progress as a table for the study (French headers), one row per group and a total; while some
    interviews are examples of the illustrative coding, a column counts them apart from those held."""
    import pandas as pd

    rows = [*p.rows, p.comparison, p.total]
    examples = p.total.examples > 0
    frame = pd.DataFrame(
        [
            {
                "Collectivités": r.group,
                "Entretiens prévus": r.planned,
                "Entretiens menés": r.held,
                **({"Exemples (codage illustratif)": r.examples} if examples else {}),
                "Fiches importées": r.imported,
                RECOMMENDATIONS: r.recommendations if r is not p.comparison else None,
                "Suivi connu": r.known if r is not p.comparison else None,
            }
            for r in rows
        ]
    )
    return frame.astype({RECOMMENDATIONS: "Int64", "Suivi connu": "Int64"})
