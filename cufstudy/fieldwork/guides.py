"""Interview guides: one per case, in French, built from the case data and the question set.

:func:`build_guide` turns a case and the :class:`~cufstudy.fieldwork.questions.QuestionSet` into a
:class:`Guide`, a small typed document (headings, paragraphs, numbered questions, tables of facts, tables
to fill). Two writers typeset it: DOCX with real Word styles (:mod:`cufstudy.fieldwork._guide_docx`) and
PDF through the embedded Typst engine (:mod:`cufstudy.fieldwork._guide_typst`), so both say the same thing.

A guide for an authority a mission supported has: the authority and its mission, the organisation of its
IR service before the mission and as recommended, the interview's particulars, the text to read at the
start, then the sections of the question set, with the questions of the ``recommendations`` section asked
about each recommendation (and a table: status, obstacle, what helped), and the ``organisation`` section
ending with a table of the organisation today. A comparison authority's guide has no mission: its
sections are about its strategy and organisation, what works and what does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from cufstudy.core.atomic import atomic_write_bytes
from cufstudy.core.errors import DataError
from cufstudy.core.french import NBSP, format_fr
from cufstudy.fieldwork._document import (
    AnswerRow,
    AnswerTable,
    Block,
    Guide,
    Heading,
    InfoTable,
    Paragraph,
    QuestionItem,
    fr,
)
from cufstudy.fieldwork.questions import QuestionSet, Section, fill
from cufstudy.model.cases import Case, CaseBase, ServiceSnapshot
from cufstudy.model.vocab import Attachment, FollowUpStatus, InterviewFormat, OrganisationView, Provenance, label

__all__ = [
    "AnswerRow",
    "AnswerTable",
    "Block",
    "Guide",
    "Heading",
    "InfoTable",
    "Paragraph",
    "QuestionItem",
    "build_guide",
    "default_cases",
    "fr",
    "guide_name",
    "select_cases",
    "write_guides",
]


def guide_name(case_id: str, suffix: str = ".docx") -> str:
    """The file name of a case's guide: ``guide-<id>.docx``."""
    return f"guide-{case_id}{suffix}"


def _snapshot(s: ServiceSnapshot | None) -> tuple[str, str, str]:
    if s is None:
        return ("non codé", "–", "–")
    budget = f"{format_fr(s.budget_eur)}{NBSP}€" if s.budget_eur is not None else "non codé"
    return (label(s.attachment), format_fr(s.fte), budget)


def _attachment(s: ServiceSnapshot | None) -> str:
    if s is None:
        return "non codé"
    return f"{label(s.attachment).lower()} ({format_fr(s.fte)}{NBSP}ETP)"


def _mission(case: Case) -> str:
    parts = [case.dcol_label]
    if case.mission_kind is not None:
        parts.append(label(case.mission_kind))
    if case.mission_year is not None:
        parts.append(str(case.mission_year))
    return " · ".join(parts)


def _values(case: Case) -> dict[str, str]:
    o = case.organisation
    mission = "la mission DCOL" if case.is_dcol else "la mission"
    return {
        "collectivite": case.authority.name,
        "niveau": label(case.authority.tier).lower(),
        "mission": mission,
        "annee_mission": str(case.mission_year) if case.mission_year else "(année non codée)",
        "rattachement_avant": _attachment(o.before),
        "rattachement_recommande": _attachment(o.recommended),
        "rattachement_actuel": _attachment(o.before),
    }


def _status(case: Case, index: int) -> str:
    follow_up = case.recommendations[index].follow_up
    if follow_up is None:
        return "non renseigné"
    text = label(follow_up.status)
    if follow_up.obstacle:
        text += f" (obstacle : {follow_up.obstacle})"
    return text


class _Builder:
    def __init__(self, case: Case, questions: QuestionSet) -> None:
        self.case = case
        self.questions = questions
        self.values = _values(case)
        self.blocks: list[Block] = []
        self.number = 0

    def add(self, block: Block) -> None:
        self.blocks.append(block)

    def para(self, text: str, style: Literal["body", "lead", "notice", "quote", "note"] = "body") -> None:
        self.add(Paragraph(fr(text), style))

    def ask(self, section: Section, extra: dict[str, str] | None = None, keep: bool = False) -> None:
        values = {**self.values, **(extra or {})}
        for q in section.questions:
            self.number += 1
            prompts = tuple(fr(fill(p, values)) for p in q.prompts)
            self.add(QuestionItem(self.number, fr(fill(q.text, values)), prompts, keep))

    def section(self, section: Section, comparison: bool) -> None:
        heading = section.title + (f" (≈{NBSP}{section.minutes}{NBSP}min)" if section.minutes else "")
        self.add(Heading(fr(heading), 1))
        if section.intro and section.kind != "recommendations":
            self.para(fill(section.intro, self.values))
        if section.kind == "recommendations":
            self.recommendations(section)
        elif section.kind == "organisation":
            self.ask(section)
            self.organisation_today(comparison)
        else:
            self.ask(section)

    def recommendations(self, section: Section) -> None:
        case = self.case
        if section.intro:
            self.para(fill(section.intro, self.values))
        if not case.recommendations:
            self.para("Aucune recommandation n'est codée pour cette mission.", "notice")
            return
        statuses = tuple(fr(label(s)) for s in FollowUpStatus)
        for i, rec in enumerate(case.recommendations):
            n = i + 1
            self.add(Heading(fr(f"Recommandation {n} : {label(rec.kind).lower()}"), 2))
            self.para(rec.text, "quote")
            self.para(f"Suivi connu avant l'entretien : {_status(case, i)}.", "note")
            self.ask(section, {"numero": str(n), "recommandation": rec.text}, keep=True)
            self.add(
                AnswerTable(
                    (
                        AnswerRow("Statut", statuses),
                        AnswerRow(fr("Obstacle rencontré"), lines=2),
                        AnswerRow(fr("Ce qui a aidé"), lines=2),
                    )
                )
            )

    def organisation_today(self, comparison: bool) -> None:
        view = "Appréciation de l'organisation actuelle" if comparison else "Appréciation du changement d'organisation"
        self.add(
            AnswerTable(
                (
                    AnswerRow("Rattachement", tuple(fr(label(a)) for a in Attachment)),
                    AnswerRow("Effectif (ETP)"),
                    AnswerRow(fr("Budget annuel (€)")),
                    AnswerRow(fr(view), tuple(fr(label(v)) for v in OrganisationView)),
                ),
                title=fr("L'organisation aujourd'hui"),
            )
        )

    def build(self) -> Guide:
        case, qs = self.case, self.questions
        comparison = case.role == "comparison"
        a = case.authority
        illustrative = case.provenance is Provenance.ILLUSTRATIVE
        if a.fictional:
            self.para(
                "Collectivité fictive, codage illustratif : ce guide est un exemple, à refaire pour une collectivité "
                "retenue.",
                "notice",
            )
        elif illustrative:
            note = case.provenance_note or f"{label(case.provenance)} : à remplacer par le codage des analystes."
            self.para(note, "notice")
        self.add(Heading(fr("La collectivité et la mission" if not comparison else "La collectivité"), 1))
        rows: list[tuple[str, ...]] = [("Collectivité", fr(a.name)), ("Niveau", label(a.tier))]
        if a.population is not None:
            rows.append(("Population", f"{format_fr(a.population.value)} habitants (INSEE {a.population.year})"))
        if comparison:
            rows.append(("Mission", "aucune : collectivité de comparaison, non bénéficiaire du DCOL"))
        else:
            rows.append(("Mission", _mission(case)))
        rows.append(("Codage", fr(label(case.provenance))))
        self.add(InfoTable(tuple(rows)))
        o = case.organisation
        if comparison:
            self.add(Heading(fr("Organisation codée du service des relations internationales"), 2))
            before = _snapshot(o.before)
            labels = ("Rattachement", "Effectif (ETP)", "Budget annuel")
            self.add(InfoTable(tuple((lab, fr(v)) for lab, v in zip(labels, before, strict=True))))
        else:
            self.add(Heading(fr("L'organisation du service des relations internationales"), 2))
            before, recommended = _snapshot(o.before), _snapshot(o.recommended)
            labels = ("Rattachement", "Effectif (ETP)", "Budget annuel")
            self.add(
                InfoTable(
                    tuple((lab, fr(b), fr(r)) for lab, b, r in zip(labels, before, recommended, strict=True)),
                    header=("", "Avant la mission", "Recommandée par la mission"),
                    widths=(1.0, 1.6, 1.6),
                )
            )
            if case.recommendations:
                self.add(Heading(fr("Les recommandations de la mission"), 2))
                self.add(
                    InfoTable(
                        tuple(
                            (str(i + 1), fr(label(r.kind)), fr(r.text), fr(_status(case, i)))
                            for i, r in enumerate(case.recommendations)
                        ),
                        header=("N°", "Type", "Recommandation", "Suivi connu"),
                        widths=(0.35, 1.3, 3.0, 1.6),
                    )
                )
        self.add(Heading(fr("L'entretien"), 1))
        formats = tuple(fr(label(f)) for f in InterviewFormat)
        self.add(
            AnswerTable(
                (
                    AnswerRow("Date"),
                    AnswerRow("Format", formats),
                    AnswerRow(fr("Personne interrogée (nom confidentiel)"), confidential=True),
                    AnswerRow("Fonction"),
                    AnswerRow(fr("Enquêteur ou enquêtrice")),
                )
            )
        )
        spec = qs.guide("comparison" if comparison else "mission")
        self.add(Heading(fr("À lire en ouverture"), 2))
        for text in spec.presentation:
            self.para(fill(text, self.values), "lead")
        self.para(fill(qs.confidentiality, self.values), "lead")
        if spec.duration:
            self.para(f"Durée prévue de l'entretien : {spec.duration}.", "note")
        for section in spec.sections:
            self.section(section, comparison)
        self.add(Heading(fr("Après l'entretien"), 1))
        self.para(
            f"Reporter les réponses dans la fiche de saisie fiche-{case.id}.xlsx (statuts, obstacles, organisation "
            "aujourd'hui, notes), puis la relire dans la base de cas avec la commande "
            f"« cufstudy fieldwork import fiche-{case.id}.xlsx ». Le nom de la personne interrogée et les notes "
            "restent confidentiels : ils ne figurent que dans l'étude interne."
        )
        kind = "collectivité de comparaison" if comparison else _mission(case)
        return Guide(
            case_id=case.id,
            title=fr("Guide d'entretien"),
            subtitle=fr(a.name),
            running_head=fr(f"Guide d'entretien — {a.name}"),
            footer=fr(f"Cités Unies France · étude de capitalisation DCOL · {kind}"),
            blocks=tuple(self.blocks),
            illustrative=illustrative,
        )


def build_guide(case: Case, questions: QuestionSet) -> Guide:
    """The interview guide of one case (the ``comparison`` variant for a comparison authority)."""
    return _Builder(case, questions).build()


def default_cases(base: CaseBase) -> list[Case]:
    """The cases the terms of reference plan an interview with: the DCOL missions and the comparison authorities."""
    return [c for c in base if c.role in ("dcol", "comparison")]


def select_cases(base: CaseBase, ids: Sequence[str] | None) -> list[Case]:
    """The cases named by ``ids`` (default: :func:`default_cases`); unknown ids are all reported at once."""
    if not ids:
        return default_cases(base)
    import difflib

    known = [c.id for c in base]
    problems = []
    for case_id in dict.fromkeys(ids):
        if case_id not in known:
            near = difflib.get_close_matches(case_id, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problems.append(f"unknown case {case_id!r}{hint}")
    if problems:
        from cufstudy.core.errors import Problem

        raise DataError([Problem("--cases", p) for p in problems])
    return [base[i] for i in dict.fromkeys(ids)]


def _refuse_existing(paths: Sequence[Path]) -> None:
    existing = [p for p in paths if p.exists()]
    if existing:
        from cufstudy.core.errors import Problem

        raise DataError(
            [Problem(str(p), "the file exists; pass overwrite=True (--force) to replace it") for p in existing],
            summary=f"{len(existing)} file{'s' if len(existing) > 1 else ''} would be overwritten; nothing was written",
        )


def write_guides(
    cases: Sequence[Case],
    questions: QuestionSet,
    to: str | Path,
    *,
    pdf: bool = False,
    fonts: Path | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write the guide of each case into ``to`` as ``guide-<id>.docx`` (and ``.pdf``), each file atomically.

    Parameters
    ----------
    cases
        The cases, e.g. :func:`select_cases`.
    questions
        The question set (:func:`~cufstudy.fieldwork.questions.load_questions`).
    to
        The folder (created if needed).
    pdf
        Also write a PDF, typeset by the embedded Typst engine.
    fonts
        A folder of fonts for the PDF (the project's ``templates/fonts``); Typst's own fonts otherwise.
    overwrite
        Replace existing files; otherwise nothing is written if any exists.

    Returns
    -------
    list of Path
        The files written, in case order.
    """
    from cufstudy.fieldwork import _guide_docx, _guide_typst

    folder = Path(to)
    if folder.exists() and not folder.is_dir():
        raise DataError.single(str(folder), "not a folder: --to names the folder the guides are written into")
    targets = [folder / guide_name(c.id, ext) for c in cases for ext in ((".docx", ".pdf") if pdf else (".docx",))]
    if not overwrite:
        _refuse_existing(targets)
    guides = [build_guide(c, questions) for c in cases]
    rendered: list[tuple[Path, bytes]] = []
    for guide in guides:
        rendered.append((folder / guide_name(guide.case_id), _guide_docx.render(guide)))
        if pdf:
            rendered.append((folder / guide_name(guide.case_id, ".pdf"), _guide_typst.render(guide, fonts)))
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in rendered:
        atomic_write_bytes(path, data)
    return [p for p, _ in rendered]
