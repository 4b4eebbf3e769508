"""The case base: one coded case per YAML file, validated into immutable typed objects.

A case is an authority supported by a DCOL mission (or a non-DCOL comparison authority), with the
coding of its strategy, the organisation of its international-relations (IR) service before the
mission, as recommended and as observed afterwards, the recommendations with their follow-up, and
the interviews. Every case says where its coding comes from (``provenance``); the default data is
``illustrative``.

Fields marked :data:`~cufstudy.model.confidential.CONFIDENTIAL` (interviewee names, interview notes) exist
only in the internal view; :meth:`CaseBase.public` drops them (see :mod:`cufstudy.model.confidential`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cufstudy.core.errors import DataError, NotFoundError
from cufstudy.core.files import read_limited
from cufstudy.core.problems import (
    Problem,
    Problems,
    Reason,
    did_you_mean,
    nearest,
    say,
    short_repr,
    validation_issues,
)
from cufstudy.core.project import find_root
from cufstudy.core.yamlio import MAX_BYTES, YamlDoc, read_yaml
from cufstudy.model import _cache as _case_cache
from cufstudy.model import confidential as _confidential
from cufstudy.model.authority import Authority, Name
from cufstudy.model.confidential import CONFIDENTIAL, ConfidentialValue, public_view
from cufstudy.model.countries import COUNTRIES_FR
from cufstudy.model.populations import Population, PopulationKey, population, population_of
from cufstudy.model.programme import (
    PROGRAMME_FILE,
    Programme,
    check_interview_date,
    check_mission_year,
    load_programme,
    validation_context,
)
from cufstudy.model.vocab import (
    Ambition,
    Attachment,
    FollowUpStatus,
    InterviewFormat,
    MissionKind,
    Modality,
    Motivation,
    OrganisationView,
    Provenance,
    RecommendationKind,
    Theme,
    TierGroup,
    label,
)

if TYPE_CHECKING:  # pandas is imported where a frame is made: a no-op build does not pay for it
    import pandas as pd

__all__ = [
    "CONFIDENTIAL",
    "Case",
    "CaseBase",
    "FollowUp",
    "Interview",
    "Recommendation",
    "ServiceOrganisation",
    "ServiceSnapshot",
    "Strategy",
    "ValidationSummary",
    "confidential_fields",
    "load_cases",
    "validate_cases",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
#: The columns of :attr:`CaseBase.frame`, in order.
FRAME_COLUMNS: tuple[str, ...] = (
    "id",
    "nom",
    "tier",
    "tier_label",
    "group",
    "group_label",
    "dcol_call",
    "dcol_label",
    "role",
    "analysis_population",
    "mission_kind",
    "provenance",
    "population",
    "population_year",
    "region",
    "departement",
    "longitude",
    "latitude",
    "longitude_composite",
    "latitude_composite",
    "ambition",
    "ambition_label",
    "motivations",
    "modalities",
    "partner_countries",
    "n_partner_countries",
    "themes",
    "know_how_promotion",
    "attachment_before",
    "attachment_recommended",
    "attachment_after",
    "fte_before",
    "fte_recommended",
    "fte_after",
    "budget_before",
    "budget_recommended",
    "n_recommendations",
    "n_interviews",
)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
NON_DCOL = "non_dcol"


def _check_slug(value: str, context: object = None) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            say(
                context,
                f"{value!r} is not a safe id: expected lowercase letters, digits and single hyphens, "
                "e.g. 'ville-angers'",
                f"« {value} » n'est pas un identifiant valable : minuscules, chiffres et tirets simples, "
                "par exemple « eau-potable »",
            )
        )
    if value in _RESERVED:
        raise ValueError(
            say(
                context,
                f"{value!r} is a reserved file name on Windows; choose another id",
                f"« {value} » est un nom de fichier réservé sous Windows : choisissez un autre identifiant",
            )
        )
    return value


def _slug(value: Any, info: ValidationInfo) -> Any:
    return _check_slug(value, info.context) if isinstance(value, str) else value


Slug = Annotated[str, Field(min_length=2, max_length=80), BeforeValidator(_slug)]


def _dcol_call(value: Any) -> Any:
    if value == NON_DCOL:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError(f"expected a DCOL call number from 1 to 5, or '{NON_DCOL}' for a comparison authority")
    return value


DcolCall = Annotated[int | Literal["non_dcol"], BeforeValidator(_dcol_call)]


def _unique(values: Sequence[Any]) -> Sequence[Any]:
    seen = [v for v, n in Counter(values).items() if n > 1]
    if seen:
        raise ValueError(f"listed more than once: {', '.join(map(str, seen))}")
    return values


class Strategy(BaseModel):
    """The coding of an international-relations strategy."""

    model_config = _FROZEN

    ambition: Ambition
    motivations: tuple[Motivation, ...] = Field(min_length=1)
    modalities: tuple[Modality, ...] = Field(min_length=1)
    partner_countries: tuple[str, ...] = ()
    themes: tuple[Theme, ...] = ()
    know_how_promotion: bool = False

    @field_validator("motivations", "modalities", "themes", "partner_countries")
    @classmethod
    def _no_repeats(cls, values: tuple[Any, ...]) -> tuple[Any, ...]:
        _unique(values)
        return values

    @field_validator("partner_countries", mode="before")
    @classmethod
    def _iso(cls, values: Any) -> Any:
        if not isinstance(values, list | tuple):
            return values
        bad = [v for v in values if not isinstance(v, str) or v not in COUNTRIES_FR]
        if bad:
            hints = []
            for v in bad:
                near = nearest(str(v).upper(), COUNTRIES_FR)
                hints.append(f"{v!r}" + (f" (did you mean {near!r}?)" if near and str(v).upper() != v else ""))
            expected = "expected ISO 3166-1 alpha-2 codes in capitals, e.g. 'BF', 'ML'"
            raise ValueError(f"unknown country code {', '.join(hints)}: {expected}")
        return values


class ServiceSnapshot(BaseModel):
    """The IR service at one moment: where it is attached, its staff (FTE) and yearly budget."""

    model_config = _FROZEN

    attachment: Attachment
    fte: float = Field(ge=0, le=500)
    budget_eur: int | None = Field(default=None, ge=0, le=1_000_000_000)


class ServiceOrganisation(BaseModel):
    """The IR service before the mission, as recommended by it, and as observed at follow-up."""

    model_config = _FROZEN

    before: ServiceSnapshot | None = None
    recommended: ServiceSnapshot | None = None
    after: ServiceSnapshot | None = None


class FollowUp(BaseModel):
    """What became of a recommendation: its status, the obstacle met and what helped (``lever``)."""

    model_config = _FROZEN

    status: FollowUpStatus
    obstacle: str | None = Field(default=None, max_length=2000)
    lever: str | None = Field(default=None, max_length=2000)


class Recommendation(BaseModel):
    model_config = _FROZEN

    kind: RecommendationKind
    text: str = Field(min_length=3, max_length=2000)
    follow_up: FollowUp | None = None


class Interview(BaseModel):
    """An interview with the authority. Name and notes are confidential: internal study only.

    ``format`` is how it was held, ``organisation_view`` how the interviewee judges the change of organisation
    (for a comparison authority, its current organisation), ``imported`` the day its capture form was read
    back by ``cufstudy fieldwork import`` (absent for an interview typed into the file).
    """

    model_config = _FROZEN

    date: dt.date
    role: Name = Field(min_length=2)
    format: InterviewFormat | None = None
    interviewee: Name | None = Field(default=None, json_schema_extra=CONFIDENTIAL)
    notes: str | None = Field(default=None, max_length=10_000, json_schema_extra=CONFIDENTIAL)
    organisation_view: OrganisationView | None = None
    imported: dt.date | None = None

    @field_validator("date")
    @classmethod
    def _plausible_date(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return check_interview_date(value, info.context)


class Case(BaseModel):
    """One case of the study."""

    model_config = _FROZEN

    id: Slug
    provenance: Provenance
    provenance_note: str | None = Field(default=None, max_length=1000)
    authority: Authority
    dcol_call: DcolCall
    mission_kind: MissionKind | None = None
    mission_year: int | None = None
    """The year of the mission: not before the programme started, not in the future."""
    strategy: Strategy
    organisation: ServiceOrganisation = ServiceOrganisation()
    recommendations: tuple[Recommendation, ...] = ()
    interviews: tuple[Interview, ...] = ()

    @field_validator("mission_year")
    @classmethod
    def _plausible_year(cls, value: int | None, info: ValidationInfo) -> int | None:
        return None if value is None else check_mission_year(value, info.context)

    @model_validator(mode="after")
    def _mission_consistency(self) -> Case:
        if self.dcol_call != NON_DCOL and self.mission_kind is None:
            raise ValueError("a DCOL case needs its mission_kind (strategy, project or sdg_training)")
        return self

    @property
    def is_dcol(self) -> bool:
        """Supported by a DCOL mission (calls 1 to 5)."""
        return self.dcol_call != NON_DCOL

    @property
    def is_comparison(self) -> bool:
        """A non-DCOL comparison authority (no mission of any kind)."""
        return self.dcol_call == NON_DCOL and self.mission_kind is None

    @property
    def role(self) -> str:
        """``dcol``, ``pilot`` (a non-DCOL mission such as the SDG training-action) or ``comparison``."""
        return "dcol" if self.is_dcol else ("comparison" if self.is_comparison else "pilot")

    @property
    def dcol_label(self) -> str:
        return f"DCOL {self.dcol_call}" if self.is_dcol else "Hors DCOL"

    @property
    def analysis_population(self) -> PopulationKey | None:
        """The analysis population of the case (:mod:`cufstudy.model.populations`): ``dcol`` for a DCOL
        strategy mission, ``comparison``, ``pilot``; None for a DCOL mission of another kind."""
        return population_of(self)

    def public(self) -> Case:
        """This case without the fields the data model marks :data:`CONFIDENTIAL` (interviewee names, notes)."""
        return public_view(self)


def confidential_fields() -> list[str]:
    """Dotted names of the fields of a case the data model marks confidential (e.g. ``interviews.notes``)."""
    return _confidential.confidential_fields(Case)


class CaseBase:
    """The validated cases of a data folder, in file-name order."""

    def __init__(self, cases: Sequence[Case], source: Path, files: dict[str, str] | None = None) -> None:
        self.cases: tuple[Case, ...] = tuple(cases)
        self.source = source
        self.files: dict[str, str] = dict(files or {})
        self._by_id = {c.id: c for c in self.cases}

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def __getitem__(self, case_id: str) -> Case:
        try:
            return self._by_id[case_id]
        except KeyError:
            hint = did_you_mean(case_id, self._by_id)
            raise NotFoundError(f"no case {case_id!r} in {self.source}{hint}") from None

    @property
    def is_illustrative(self) -> bool:
        """True when any case's coding is illustrative: deliverables must then say so on every page."""
        return any(c.provenance is Provenance.ILLUSTRATIVE for c in self.cases)

    def public(self) -> CaseBase:
        """The public view: the same cases without any confidential field."""
        return CaseBase([c.public() for c in self.cases], self.source, self.files)

    def confidential_values(self) -> list[str]:
        """Every value of a field marked :data:`CONFIDENTIAL`, case by case (for leak checks of public outputs)."""
        return [value for case in self.cases for value in _confidential.confidential_values(case)]

    def confidential_entries(self) -> list[ConfidentialValue]:
        """:meth:`confidential_values` with the file and field of each, which a leak error names instead."""
        return [
            ConfidentialValue(value, self.files.get(case.id, ""), field)
            for case in self.cases
            for field, value in _confidential.confidential_items(case)
        ]
    def population(self, key: str | PopulationKey | Population) -> CaseBase:
        """The cases of one analysis population (``dcol``, ``comparison``, ``pilot``), in file-name order.

        Examples
        --------
        >>> load_cases("data").population("dcol").frame["analysis_population"].unique().tolist()  # doctest: +SKIP
        ['dcol']
        """
        wanted = key.key if isinstance(key, Population) else population(key).key
        return CaseBase([c for c in self.cases if c.analysis_population is wanted], self.source, self.files)

    def select(self, group: TierGroup | str | None = None, dcol_only: bool = False) -> CaseBase:
        cases = [c for c in self.cases if (group is None or c.authority.group == TierGroup(group))]
        if dcol_only:
            cases = [c for c in cases if c.is_dcol]
        return CaseBase(cases, self.source, self.files)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """One row per case, with codes and French labels, for notebooks."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for c in self.cases:
            a, s, o = c.authority, c.strategy, c.organisation
            rows.append(
                {
                    "id": c.id,
                    "nom": a.name,
                    "tier": a.tier.value,
                    "tier_label": label(a.tier),
                    "group": a.group.value,
                    "group_label": label(a.group),
                    "dcol_call": c.dcol_call if c.is_dcol else None,
                    "dcol_label": c.dcol_label,
                    "role": c.role,
                    "analysis_population": c.analysis_population.value if c.analysis_population else None,
                    "mission_kind": c.mission_kind.value if c.mission_kind else None,
                    "provenance": c.provenance.value,
                    "population": a.population.value if a.population else None,
                    "population_year": a.population.year if a.population else None,
                    "region": a.region,
                    "departement": a.departement,
                    "longitude": a.seat.longitude if a.seat else None,
                    "latitude": a.seat.latitude if a.seat else None,
                    "longitude_composite": (a.seat.longitude_composite or a.seat.longitude) if a.seat else None,
                    "latitude_composite": (a.seat.latitude_composite or a.seat.latitude) if a.seat else None,
                    "ambition": int(s.ambition),
                    "ambition_label": label(s.ambition),
                    "motivations": [m.value for m in s.motivations],
                    "modalities": [m.value for m in s.modalities],
                    "partner_countries": list(s.partner_countries),
                    "n_partner_countries": len(s.partner_countries),
                    "themes": [t.value for t in s.themes],
                    "know_how_promotion": s.know_how_promotion,
                    "attachment_before": o.before.attachment.value if o.before else None,
                    "attachment_recommended": o.recommended.attachment.value if o.recommended else None,
                    "attachment_after": o.after.attachment.value if o.after else None,
                    "fte_before": o.before.fte if o.before else None,
                    "fte_recommended": o.recommended.fte if o.recommended else None,
                    "fte_after": o.after.fte if o.after else None,
                    "budget_before": o.before.budget_eur if o.before else None,
                    "budget_recommended": o.recommended.budget_eur if o.recommended else None,
                    "n_recommendations": len(c.recommendations),
                    "n_interviews": len(c.interviews),
                }
            )
        # the columns even without a case (an empty population); tests keep FRAME_COLUMNS and the rows in step
        frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(FRAME_COLUMNS))
        for column in ("population", "population_year", "dcol_call"):
            if column in frame:
                frame[column] = frame[column].astype("Int64")
        if not frame.empty:
            frame = frame.set_index("id", drop=False)
        return frame

    def recommendations_frame(self) -> pd.DataFrame:
        """One row per recommendation: case, tier group, kind, follow-up status and obstacle."""
        import pandas as pd

        rows = [
            {
                "case": c.id,
                "group": c.authority.group.value,
                "group_label": label(c.authority.group),
                "index": i,
                "kind": r.kind.value,
                "kind_label": label(r.kind),
                "text": r.text,
                "status": r.follow_up.status.value if r.follow_up else None,
                "status_label": label(r.follow_up.status) if r.follow_up else "Non renseigné",
                "obstacle": r.follow_up.obstacle if r.follow_up else None,
                "lever": r.follow_up.lever if r.follow_up else None,
            }
            for c in self.cases
            for i, r in enumerate(c.recommendations)
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "case",
                "group",
                "group_label",
                "index",
                "kind",
                "kind_label",
                "text",
                "status",
                "status_label",
                "obstacle",
                "lever",
            ],
        )

    def counts(self) -> dict[str, Counter[str]]:
        return {
            "tier": Counter(label(c.authority.group) for c in self.cases),
            "provenance": Counter(c.provenance.value for c in self.cases),
        }

    def summary(self) -> str:
        """A short English summary for the command line."""
        counts = self.counts()
        tiers = ", ".join(f"{n} {k}" for k, n in sorted(counts["tier"].items()))
        prov = ", ".join(f"{n} {k}" for k, n in sorted(counts["provenance"].items()))
        roles = Counter(c.role for c in self.cases)
        lines = [
            f"{len(self)} valid cases in {self.source} ({roles['dcol']} DCOL missions, {roles['pilot']} pilot, "
            f"{roles['comparison']} non-DCOL comparison)",
            f"  by tier: {tiers}",
            f"  by provenance: {prov}",
        ]
        if self.is_illustrative:
            lines.append("  note: illustrative coding present; every deliverable will say so")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# loading and validation


def validate_case(doc: YamlDoc, programme: Programme | None = None) -> tuple[Case | None, list[Problem]]:
    """Validate one parsed case file; return the case or its problems (all of them).

    ``programme`` gives the launch date the case's dates are checked against (default: the start of 2018). A
    problem in a confidential field does not print its value (only its length).
    """
    if not isinstance(doc.data, dict):
        message = f"expected a YAML mapping of fields, got {type(doc.data).__name__}"
        return None, [Problem(doc.file, message, 1, None, Reason.WRONG_TYPE)]
    try:
        return Case.model_validate(doc.data, context=validation_context(programme)), []
    except ValidationError as exc:
        secret = set(confidential_fields())
        problems = []
        for issue in validation_issues(exc, Case):
            message = issue.message
            if ".".join(str(p) for p in issue.path if isinstance(p, str)) in secret and isinstance(issue.value, str):
                message = message.replace(short_repr(issue.value), f"a value of {len(issue.value)} characters")
            problems.append(doc.problem(issue.path, message, issue.reason))
        return None, problems


def case_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")], key=lambda p: p.name)


def _case_folder(path: str | Path) -> tuple[Path, Path, list[Path]]:
    """The data folder, the folder holding the case files, and the files (located errors if none)."""
    root = Path(path)
    folder = root / "cases" if (root / "cases").is_dir() else root
    if not folder.is_dir():
        what = "a file, not a folder" if root.exists() else "no such folder"
        raise DataError.single(
            str(root), f"{what}; expected a data folder holding cases/*.yaml", reason=Reason.UNREADABLE
        )
    files = case_files(folder)
    if not files:
        raise DataError.single(str(folder), "no case file (*.yaml) found", reason=Reason.UNREADABLE)
    return root, folder, files


@dataclass(frozen=True)
class ValidationSummary:
    """What a build needs to know of a valid case base, without the cases themselves."""

    n_cases: int
    illustrative: bool
    """Any case's coding is illustrative: every page of every deliverable must say so."""
    confidential_digest: str
    """SHA-256 of the sorted confidential values: they changed if it changed."""


def validate_cases(path: str | Path = "data") -> ValidationSummary:
    """Validate a data folder as :func:`load_cases` does, and summarise it.

    A folder already validated with the same files and the same library is not loaded again: its
    summary is kept beside the validated-case cache, which makes a no-op build fast with thousands of
    cases (unpickling 5,000 cases takes about 0.7 s).

    Raises
    ------
    DataError
        As :func:`load_cases`.
    """
    data_folder, folder, files = _case_folder(path)
    key = _cache_key(files, data_folder)
    cached = _case_cache.load_summary(folder, key) if key else None
    if cached is not None:
        with contextlib.suppress(TypeError):
            return ValidationSummary(**cached)
    base = load_cases(path)
    secrets = "\0".join(sorted(base.confidential_values()))
    summary = ValidationSummary(
        n_cases=len(base),
        illustrative=base.is_illustrative,
        confidential_digest=hashlib.sha256(secrets.encode("utf-8")).hexdigest(),
    )
    if key:
        _case_cache.store_summary(folder, key, dataclasses.asdict(summary))
    return summary


def load_cases(path: str | Path = "data") -> CaseBase:
    """Load and validate every case of a data folder.

    Parameters
    ----------
    path
        The data folder; cases are read from ``path/cases/*.yaml`` (or from ``path`` itself if it
        holds the YAML files directly).

    Returns
    -------
    CaseBase
        The typed case base (``.frame`` gives it as a pandas DataFrame).

    Raises
    ------
    DataError
        Listing every problem of every file at once: file, line, field, bad value, expected value.

    Examples
    --------
    >>> base = load_cases("data")  # doctest: +SKIP
    >>> base["ville-angers"].authority.tier.value  # doctest: +SKIP
    'commune'
    """
    root, folder, files = _case_folder(path)
    key = _cache_key(files, root)
    cached = _case_cache.load(folder, key) if key else None
    if isinstance(cached, tuple) and len(cached) == 2:  # file names: messages name the files as this caller does
        return CaseBase(cached[0], root, {case_id: str(folder / name) for case_id, name in cached[1].items()})
    problems = Problems(DataError)
    problems.extend(_name_collisions(files))
    programme: Programme | None = None  # the dates the cases are checked against (2018 without dcol.yaml)
    dcol_file = root / PROGRAMME_FILE
    if dcol_file.is_file() or dcol_file.is_symlink():
        try:
            programme = load_programme(root)
        except DataError as exc:
            problems.extend(exc.problems)
    cases: list[Case] = []
    origin: dict[str, str] = {}
    within = _within(folder)
    for file in files:
        display = str(file)
        try:
            doc = read_yaml(file, display, root=within)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        case, found = validate_case(doc, programme)
        problems.extend(found)
        if case is None:
            continue
        if case.id in origin:
            message = f"duplicate case id {case.id!r}: already used by {origin[case.id]}"
            problems.append(doc.problem(("id",), message, Reason.DUPLICATE))
            continue
        origin[case.id] = display
        cases.append(case)
    if problems:
        n_files = len({p.file for p in problems})
        plural = "s" if len(problems) > 1 else ""
        problems.raise_if_any(f"{len(problems)} problem{plural} in {n_files} of {len(files)} case files")
    if key:
        _case_cache.store(folder, key, (cases, {case_id: Path(shown).name for case_id, shown in origin.items()}))
    return CaseBase(cases, root, origin)


def _within(folder: Path) -> Path:
    """The folder case files must resolve into: the project's, or the case folder outside a project."""
    return find_root(folder) or folder


def _name_collisions(files: Sequence[Path]) -> list[Problem]:
    """Case files whose names differ only by case (or Unicode form): one file on macOS and Windows."""
    by_key: dict[str, list[Path]] = {}
    for file in files:
        by_key.setdefault(unicodedata.normalize("NFC", file.name).casefold(), []).append(file)
    problems = []
    for same in by_key.values():
        for file in same[1:]:
            message = (
                f"the file name differs from {same[0].name!r} only by case: the two are one file on macOS and "
                "Windows; rename one (case files are named after their id, in lowercase)"
            )
            problems.append(Problem(str(file), message, None, None, Reason.DUPLICATE))
    return problems


def _cache_key(files: list[Path], data_folder: Path) -> str | None:
    """The key of the validated-case cache; None when a file is refused or unreadable (the parser reports it)."""
    within = _within(files[0].parent) if files else None
    try:
        # names, not paths: "data" and "/project/data" are the same folder and must share one entry
        keyed = [(f.name, read_limited(f, MAX_BYTES, root=within)) for f in files]
        programme = data_folder / PROGRAMME_FILE
        if programme.is_file():  # the dates the cases are checked against
            keyed.append((f"../{PROGRAMME_FILE}", read_limited(programme, MAX_BYTES, root=within)))
        return _case_cache.cache_key(keyed)
    except DataError:
        return None
