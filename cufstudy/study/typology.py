"""Typologies of international-action strategies: the experts' typology as data, and one drawn from the data.

Two typologies sit side by side so that analysts see where the data disagrees with the experts:

* **expert typology** (``typology.yaml`` of the data folder, else cufstudy's default): strategy types with
  French names, descriptions, sources, typical actions and typical organisations, and declarative *rules*
  on a case's political ambition, motivations, modalities, themes, tier group and know-how promotion.
  :func:`classify` tries the types in ``priority`` order and returns the first type with a matching rule,
  with the reasons; a ``fallback`` type takes the cases no rule describes;
* **data-driven typology** (:func:`mca_hca`): multiple correspondence analysis (ACM, ``prince.MCA``) of
  the coded categorical variables, then Ward hierarchical clustering (CAH, ``scipy``) of the factor
  coordinates, as French social-science studies do (FactoMineR's ``MCA`` + ``HCPC``);
* :func:`compare` crosses them: contingency table, adjusted Rand index, and the cases whose data cluster
  mostly holds another expert type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cufstudy.core.bibliography import bib_keys
from cufstudy.core.errors import AnalysisError, DataError, NotFoundError
from cufstudy.core.french import quote_fr
from cufstudy.core.problems import FieldPath, Problem, Reason, did_you_mean, validation_issues
from cufstudy.core.sentences import cardinal, count, in_sentence, join, sentence
from cufstudy.core.yamlio import YamlDoc, read_yaml
from cufstudy.model.cases import Case, CaseBase, Slug
from cufstudy.model.vocab import Ambition, Modality, Motivation, Theme, TierGroup, label
from cufstudy.resources import data_path

if TYPE_CHECKING:
    import pandas as pd

    from cufstudy.study._mca import MCA_VARIABLES, MIN_CASES, Comparison, DataTypology, coded_table, compare, mca_hca

# the data-driven typology (cufstudy.study._mca, on pandas and numpy) is loaded on first use, as pandas is here:
# classifying the cases needs neither (the build's leak check does it, 0.3 s of imports saved there)
_FROM_MCA = frozenset({"MCA_VARIABLES", "MIN_CASES", "Comparison", "DataTypology", "coded_table", "compare", "mca_hca"})


def __getattr__(name: str) -> Any:
    if name in _FROM_MCA:
        from cufstudy.study import _mca

        return getattr(_mca, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "MCA_VARIABLES",
    "MIN_CASES",
    "AmbitionCondition",
    "Classification",
    "Comparison",
    "DataTypology",
    "Rule",
    "SetCondition",
    "StrategyType",
    "TierCondition",
    "Typology",
    "classify",
    "classify_all",
    "coded_table",
    "compare",
    "describe_comparison",
    "examples_by_type",
    "load_typology",
    "mca_hca",
    "rules_note",
    "rules_table",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
E = TypeVar("E", Motivation, Modality, Theme)


def _no_repeats(values: tuple[Any, ...]) -> tuple[Any, ...]:
    repeated = sorted({str(getattr(v, "value", v)) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)}")
    return values


def _codes(values: Iterable[Any]) -> str:
    return "{" + ", ".join(str(getattr(v, "value", v)) for v in values) + "}"


# ---------------------------------------------------------------------------------------------------------
# the rule language


class AmbitionCondition(BaseModel):
    """``ambition: {min: 3}``, ``{max: 1}``, ``{min: 2, max: 3}`` or ``{in: [1, 4]}`` (all given must hold)."""

    model_config = _FROZEN

    min_: Ambition | None = Field(default=None, alias="min")
    max_: Ambition | None = Field(default=None, alias="max")
    in_: tuple[Ambition, ...] = Field(default=(), alias="in")

    _repeats = field_validator("in_")(_no_repeats)

    @model_validator(mode="after")
    def _consistent(self) -> AmbitionCondition:
        if self.min_ is None and self.max_ is None and not self.in_:
            raise ValueError("an ambition condition needs at least one of min, max, in")
        if self.min_ is not None and self.max_ is not None and self.min_ > self.max_:
            raise ValueError(f"min ({int(self.min_)}) is greater than max ({int(self.max_)}): no case can match")
        return self

    def describe(self) -> str:
        """The condition in French: ``ambition d'au moins 3``, ``ambition égale à 2``, ``ambition 1 ou 4``."""
        lo, hi = self.min_, self.max_
        parts = []
        if lo is not None and lo == hi:
            parts.append(f"ambition égale à {int(lo)}")
        elif lo is not None and hi is not None:
            parts.append(f"ambition de {int(lo)} à {int(hi)}")
        elif lo is not None:
            parts.append(f"ambition d'au moins {int(lo)}")
        elif hi is not None:
            parts.append(f"ambition d'au plus {int(hi)}")
        if self.in_:
            parts.append("ambition " + join([str(int(a)) for a in self.in_], "ou"))
        return " et ".join(parts)

    def explain(self, ambition: int) -> list[str] | None:
        """The satisfied conditions as text, or ``None`` when one fails."""
        texts = []
        lo, hi = self.min_, self.max_
        if (lo is not None and ambition < lo) or (hi is not None and ambition > hi):
            return None
        if lo is not None and lo == hi:
            texts.append(f"ambition {ambition} = {int(lo)}")
        else:
            texts += [f"ambition {ambition} ≥ {int(lo)}"] if lo is not None else []
            texts += [f"ambition {ambition} ≤ {int(hi)}"] if hi is not None else []
        if self.in_:
            if ambition not in self.in_:
                return None
            texts.append(f"ambition {ambition} ∈ {_codes(int(a) for a in self.in_)}")
        return texts


class TierCondition(BaseModel):
    """``tier_group: {in: [region, departement]}`` and/or ``{not_in: [commune]}``."""

    model_config = _FROZEN

    in_: tuple[TierGroup, ...] = Field(default=(), alias="in")
    not_in: tuple[TierGroup, ...] = ()

    _repeats = field_validator("in_", "not_in")(_no_repeats)

    @model_validator(mode="after")
    def _consistent(self) -> TierCondition:
        if not self.in_ and not self.not_in:
            raise ValueError("a tier_group condition needs in or not_in")
        return self

    def describe(self) -> str:
        """The condition in French: ``niveau : régions ou collectivités à statut particulier``."""
        parts = []
        if self.in_:
            parts.append("niveau : " + join([in_sentence(label(g)) for g in self.in_], "ou"))
        if self.not_in:
            parts.append("niveau autre que " + join([in_sentence(label(g)) for g in self.not_in], "ou"))
        return " et ".join(parts)

    def explain(self, group: TierGroup) -> list[str] | None:
        texts = []
        if self.in_:
            if group not in self.in_:
                return None
            texts.append(f"tier_group {group.value} ∈ {_codes(self.in_)}")
        if self.not_in:
            if group in self.not_in:
                return None
            texts.append(f"tier_group {group.value} ∉ {_codes(self.not_in)}")
        return texts


class SetCondition(BaseModel, Generic[E]):
    """On a coded list: ``any`` (at least one of), ``all`` (every one of), ``none`` (none of)."""

    model_config = _FROZEN

    any_: tuple[E, ...] = Field(default=(), alias="any")
    all_: tuple[E, ...] = Field(default=(), alias="all")
    none_: tuple[E, ...] = Field(default=(), alias="none")

    _repeats = field_validator("any_", "all_", "none_")(_no_repeats)

    @model_validator(mode="after")
    def _consistent(self) -> SetCondition[E]:
        if not (self.any_ or self.all_ or self.none_):
            raise ValueError("a list condition needs at least one of any, all, none")
        return self

    def describe(self, noun: str) -> str:
        """The condition in French, for a list named by ``noun`` (``motivation``, ``modalité``...):
        ``au moins une motivation parmi : a, b``, ``les motivations a et b``, ``aucune motivation parmi : a``."""
        def names(values: tuple[E, ...]) -> list[str]:
            return [quote_fr(in_sentence(label(v))) for v in values]

        parts = []
        if self.any_:
            if len(self.any_) == 1:
                parts.append(f"{noun} : {names(self.any_)[0]}")
            else:
                parts.append(f"au moins une {noun} parmi {join(names(self.any_), 'ou')}")
        if self.all_:
            parts.append(f"{'les ' + noun + 's' if len(self.all_) > 1 else 'la ' + noun} {join(names(self.all_))}")
        if self.none_:
            parts.append(f"aucune {noun} parmi {join(names(self.none_), 'ni')}")
        return " et ".join(parts)

    def explain(self, name: str, have: Sequence[E]) -> list[str] | None:
        texts = []
        if self.any_:
            common = [v for v in self.any_ if v in have]
            if not common:
                return None
            texts.append(f"{name} ∩ {_codes(self.any_)} = {_codes(common)}")
        if self.all_:
            if any(v not in have for v in self.all_):
                return None
            texts.append(f"{name} ⊇ {_codes(self.all_)}")
        if self.none_:
            if any(v in have for v in self.none_):
                return None
            texts.append(f"{name} ∩ {_codes(self.none_)} = ∅")
        return texts


class Rule(BaseModel):
    """A named conjunction of conditions: the rule matches a case when every condition given holds."""

    model_config = _FROZEN

    name: str = Field(min_length=3, max_length=200)
    ambition: AmbitionCondition | None = None
    tier_group: TierCondition | None = None
    motivations: SetCondition[Motivation] | None = None
    modalities: SetCondition[Modality] | None = None
    themes: SetCondition[Theme] | None = None
    know_how_promotion: bool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Rule:
        if all(getattr(self, f) is None for f in _CONDITIONS):
            raise ValueError(f"a rule needs at least one condition among: {', '.join(_CONDITIONS)}")
        return self

    def describe(self) -> str:
        """The rule's conditions in French, joined by *et* (all must hold)."""
        parts = []
        if self.ambition is not None:
            parts.append(self.ambition.describe())
        if self.tier_group is not None:
            parts.append(self.tier_group.describe())
        if self.motivations is not None:
            parts.append(self.motivations.describe("motivation"))
        if self.modalities is not None:
            parts.append(self.modalities.describe("modalité"))
        if self.themes is not None:
            parts.append(self.themes.describe("thématique"))
        if self.know_how_promotion is not None:
            prefix = "" if self.know_how_promotion else "sans "
            parts.append(f"{prefix}valorisation des savoir-faire locaux")
        return " ; ".join(parts)

    def explain(self, case: Case) -> tuple[str, ...] | None:
        """The conditions this case satisfies, as text, or ``None`` when the rule does not match."""
        s = case.strategy
        parts: list[list[str] | None] = []
        if self.ambition is not None:
            parts.append(self.ambition.explain(int(s.ambition)))
        if self.tier_group is not None:
            parts.append(self.tier_group.explain(case.authority.group))
        if self.motivations is not None:
            parts.append(self.motivations.explain("motivations", s.motivations))
        if self.modalities is not None:
            parts.append(self.modalities.explain("modalities", s.modalities))
        if self.themes is not None:
            parts.append(self.themes.explain("themes", s.themes))
        if self.know_how_promotion is not None:
            ok = s.know_how_promotion == self.know_how_promotion
            parts.append([f"know_how_promotion = {str(s.know_how_promotion).lower()}"] if ok else None)
        if any(p is None for p in parts):
            return None
        return tuple(t for p in parts if p is not None for t in p)


_CONDITIONS = ("ambition", "tier_group", "motivations", "modalities", "themes", "know_how_promotion")


class StrategyType(BaseModel):
    """One type of the expert typology."""

    model_config = _FROZEN

    id: Slug
    name: str = Field(min_length=3, max_length=120)
    priority: int = Field(ge=1, le=1000)
    description: str = Field(min_length=20, max_length=2000)
    source: str = Field(min_length=3, max_length=1000)
    references: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    typical_actions: tuple[str, ...] = Field(min_length=1)
    typical_organisations: None = Field(default=None, exclude=True, repr=False)
    """Retired: the organisations suited to a type are the decision aid's answer (``organisation.yaml``)."""

    _repeats = field_validator("references", "typical_actions")(_no_repeats)

    @field_validator("typical_organisations", mode="before")
    @classmethod
    def _retired(cls, value: Any) -> None:
        if value is not None:
            raise ValueError(
                "no longer read: the organisation models suited to a strategy type are the decision aid's answer, "
                "computed from the fit scores of organisation.yaml; remove this key"
            )
        return None

    def describe_rules(self) -> list[tuple[str, str]]:
        """Each rule of the type as ``(name, conditions in French)``, in the order of the file."""
        return [(rule.name, rule.describe()) for rule in self.rules]


class _TypologyFile(BaseModel):
    model_config = _FROZEN

    note: str | None = Field(default=None, max_length=2000)
    fallback: Slug
    types: tuple[StrategyType, ...] = Field(min_length=2)


@dataclass(frozen=True)
class Typology:
    """The expert typology: strategy types in priority order, and the fallback type's id."""

    types: tuple[StrategyType, ...]
    fallback: str
    note: str | None = None
    file: str | None = None

    def __iter__(self) -> Iterator[StrategyType]:
        return iter(self.types)

    def __len__(self) -> int:
        return len(self.types)

    def __getitem__(self, type_id: str) -> StrategyType:
        for t in self.types:
            if t.id == type_id:
                return t
        hint = did_you_mean(type_id, self.ids)
        raise NotFoundError(f"unknown strategy type {type_id!r}{hint}; expected one of {', '.join(self.ids)}")

    @property
    def ids(self) -> tuple[str, ...]:
        """Type ids in priority order."""
        return tuple(t.id for t in self.types)

    @property
    def names(self) -> dict[str, str]:
        """French name of each type, by id."""
        return {t.id: t.name for t in self.types}

    def to_frame(self) -> pd.DataFrame:
        """One row per type (priority order), with French organisation labels, for notebooks and tables."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "id": t.id,
                    "name": t.name,
                    "priority": t.priority,
                    "fallback": t.id == self.fallback,
                    "description": t.description,
                    "source": t.source,
                    "n_rules": len(t.rules),
                    "typical_actions": list(t.typical_actions),
                }
                for t in self.types
            ]
        )


# ---------------------------------------------------------------------------------------------------------
# loading and validation


def _is_echo(err: Mapping[str, Any]) -> bool:
    """A "too short after validation" error on a list whose items were already reported as invalid."""
    value, ctx = err.get("input"), err.get("ctx", {})
    return err["type"] == "too_short" and isinstance(value, list) and len(value) >= ctx.get("min_length", 0)


def _cross_checks(doc: YamlDoc, bib: set[str] | None) -> list[Problem]:
    """Checks across types, made on the raw data so they are reported even when a type has other errors."""
    data = doc.data
    types = data.get("types") if isinstance(data, dict) else None
    if not isinstance(types, list):
        return []
    problems: list[Problem] = []

    def add(path: FieldPath, message: str, reason: Reason) -> None:
        problems.append(doc.problem(path, message, reason))

    first_id: dict[str, int] = {}
    first_priority: dict[int, int] = {}
    fallback = data.get("fallback")
    for i, t in enumerate(types):
        if not isinstance(t, dict):
            continue
        tid, prio = t.get("id"), t.get("priority")
        if isinstance(tid, str):
            if tid in first_id:
                add(
                    ("types", i, "id"),
                    f"duplicate type id {tid!r}: already used by types[{first_id[tid]}]",
                    Reason.DUPLICATE,
                )
            first_id.setdefault(tid, i)
        if isinstance(prio, int) and not isinstance(prio, bool):
            if prio in first_priority:
                add(
                    ("types", i, "priority"),
                    f"priority {prio} is already the priority of types[{first_priority[prio]}]: "
                    "priorities must be distinct so the order is unambiguous",
                    Reason.DUPLICATE,
                )
            first_priority.setdefault(prio, i)
        if not t.get("rules") and tid != fallback:
            message = "a type without rules that is not the fallback can never be assigned"
            add(("types", i, "rules"), message, Reason.INVALID_VALUE)
        refs = t.get("references")
        if bib is not None and isinstance(refs, list):
            for j, ref in enumerate(refs):
                if isinstance(ref, str) and ref not in bib:
                    message = f"unknown reference {ref!r}: not a key of references.bib{did_you_mean(ref, bib)}"
                    add(("types", i, "references", j), message, Reason.UNKNOWN_REFERENCE)
    if isinstance(fallback, str) and first_id and fallback not in first_id:
        hint = did_you_mean(fallback, first_id)
        message = f"{fallback!r} is not the id of a type; expected one of: {', '.join(first_id)}{hint}"
        add(("fallback",), message, Reason.UNKNOWN_REFERENCE)
    return problems


def load_typology(path: str | Path = "data") -> Typology:
    """Load and validate the expert typology.

    Parameters
    ----------
    path
        The data folder, or the YAML file itself. The folder's ``typology.yaml`` is read, else the typology
        packaged with cufstudy (``cufstudy/resources/data/typology.yaml``). Every ``references`` key must be
        an entry of the folder's ``references.bib`` (else of the packaged one); a file given by its path is
        checked against the ``references.bib`` beside it, if any.

    Returns
    -------
    Typology
        The strategy types in priority order.

    Raises
    ------
    DataError
        Listing every problem at once, each with file, line, field and reason (unknown codes come with a
        "did you mean").

    Examples
    --------
    >>> typology = load_typology("data")  # doctest: +SKIP
    >>> typology.ids  # doctest: +SKIP
    ('influence', 'integree', 'solidarite', 'jumelages')
    """
    file = Path(path)
    bib: Path | None = None
    if file.is_dir():
        bib = data_path("references.bib", file)
        file = data_path("typology.yaml", file)
    if not file.is_file():
        message = "no such file; expected the typology (typology.yaml) of the data folder"
        raise DataError.single(str(file), message, reason=Reason.UNREADABLE)
    doc = read_yaml(file, str(file))
    if not isinstance(doc.data, dict):
        message = f"expected a YAML mapping, got {type(doc.data).__name__}"
        raise DataError.single(doc.file, message, line=1, reason=Reason.WRONG_TYPE)
    problems = _cross_checks(doc, bib_keys(bib if bib is not None else file.parent / "references.bib"))
    parsed: _TypologyFile | None = None
    try:
        parsed = _TypologyFile.model_validate(doc.data)
    except ValidationError as exc:
        issues = validation_issues(exc, _TypologyFile, keep=lambda err: not _is_echo(err))
        problems += [doc.problem(i.path, i.message, i.reason) for i in issues]
    if problems or parsed is None:
        raise DataError(problems, summary=f"{len(problems)} problem{'s' * (len(problems) > 1)} in {doc.file}")
    ordered = tuple(sorted(parsed.types, key=lambda t: t.priority))
    return Typology(types=ordered, fallback=parsed.fallback, note=parsed.note, file=doc.file)


# ---------------------------------------------------------------------------------------------------------
# classification


@dataclass(frozen=True)
class Classification:
    """The expert type of one case, and why.

    ``reasons`` has one text per matching rule of the type, naming the rule and the conditions that
    hold (e.g. ``règle « … » : ambition 4 ≥ 3; motivations ∩ {attractiveness, economic} = {attractiveness}``),
    or says that the fallback applied. ``rule`` is the first matching rule's name (``None`` for the fallback).
    """

    case_id: str
    type_id: str
    type_name: str
    reasons: tuple[str, ...]
    rule: str | None = None

    @property
    def is_fallback(self) -> bool:
        return self.rule is None


def classify(case: Case, typology: Typology) -> Classification:
    """Assign a case to the first type, in priority order, with a rule that matches it.

    Parameters
    ----------
    case
        A validated case.
    typology
        The expert typology (:func:`load_typology`).

    Returns
    -------
    Classification
        The type with the reasons; the fallback type when no rule matches.
    """
    for stype in typology.types:
        matched = [(rule.name, texts) for rule in stype.rules if (texts := rule.explain(case)) is not None]
        if matched:
            reasons = tuple(f"règle « {name} » : {'; '.join(texts)}" for name, texts in matched)
            return Classification(case.id, stype.id, stype.name, reasons, matched[0][0])
    fallback = typology[typology.fallback]
    s = case.strategy
    profile = (
        f"ambition {int(s.ambition)}; motivations {_codes(s.motivations)}; tier_group {case.authority.group.value}"
    )
    reason = f"aucune règle ne s'applique ({profile}) : type par défaut « {fallback.name} »"
    return Classification(case.id, fallback.id, fallback.name, (reason,), None)


def classify_all(cases: CaseBase | Iterable[Case], typology: Typology) -> pd.DataFrame:
    """Classify every case.

    Returns
    -------
    pandas.DataFrame
        Indexed by case id (and with an ``id`` column, as :attr:`CaseBase.frame`): ``id``, ``group``,
        ``type_id``, ``type_name``, ``rule`` and ``reasons`` (the reasons joined with `` | ``).
    """
    import pandas as pd

    rows = []
    for case in cases:
        c = classify(case, typology)
        rows.append(
            {
                "id": case.id,
                "group": case.authority.group.value,
                "type_id": c.type_id,
                "type_name": c.type_name,
                "rule": c.rule,
                "reasons": " | ".join(c.reasons),
            }
        )
    frame = pd.DataFrame(rows, columns=["id", "group", "type_id", "type_name", "rule", "reasons"])
    return frame.set_index("id", drop=False)


def examples_by_type(classes: pd.DataFrame, frame: pd.DataFrame, per_type: int = 5) -> pd.DataFrame:
    """At most ``per_type`` example cases of each strategy type, spread over the tiers.

    A guide shows a few examples, not the whole case base: with 5,000 authorities a list of every case
    would fill a hundred pages. Within a type, cases are taken in turn from each tier group (communes,
    intercommunalities, départements, régions...), in alphabetical order inside a group, so the examples
    cover the tiers where the type occurs.

    Parameters
    ----------
    classes
        :func:`classify_all` of the cases.
    frame
        :attr:`CaseBase.frame` of the same cases (gives ``nom`` and ``group``).
    per_type
        Largest number of examples of one type.

    Returns
    -------
    pandas.DataFrame
        Indexed by case id, ordered by type name then case name: ``type_id``, ``type_name``,
        ``n_type`` (the number of cases of the type) and the columns of ``frame``.
    """
    if per_type < 1:
        raise AnalysisError(f"per_type must be at least 1, got {per_type}")
    joined = frame.join(classes[["type_id", "type_name"]], how="inner")
    chosen: list[str] = []
    for _, cases in joined.groupby("type_id", sort=False):
        queues = [list(g.sort_values("nom").index) for _, g in cases.groupby("group", sort=True)]
        picked: list[str] = []
        while len(picked) < per_type and any(queues):
            for queue in queues:
                if queue and len(picked) < per_type:
                    picked.append(queue.pop(0))
        chosen += picked
    out = joined.loc[chosen].copy()
    out["n_type"] = out["type_id"].map(joined["type_id"].value_counts())
    return out.sort_values(["type_name", "nom"])


# ---------------------------------------------------------------------------------------------------------
# the rules and the comparison, as the study prints them


def rules_table(typology: Typology) -> pd.DataFrame:
    """Every rule of the expert typology, in the order they are tried: ``Ordre``, ``Type``, ``Règle``,
    ``Conditions (toutes requises)``; the fallback type has a row saying so."""
    import pandas as pd

    rows = []
    for rank, t in enumerate(typology.types, start=1):
        for name, conditions in t.describe_rules():
            rows.append({"Ordre": rank, "Type": t.name, "Règle": name, "Conditions (toutes requises)": conditions})
        if t.id == typology.fallback:
            rows.append(
                {
                    "Ordre": rank,
                    "Type": t.name,
                    "Règle": "Type par défaut",
                    "Conditions (toutes requises)": "aucune règle d'un autre type ne s'applique",
                }
            )
    return pd.DataFrame(rows, columns=["Ordre", "Type", "Règle", "Conditions (toutes requises)"])


def rules_note(typology: Typology) -> str:
    """How the rules are applied, in French, from the typology (its order and its fallback)."""
    fallback = typology[typology.fallback].name
    return (
        "Les types sont essayés dans l'ordre du tableau : une stratégie reçoit le premier type dont l'une des "
        f"règles s'applique (une règle s'applique quand toutes ses conditions sont vraies) ; une stratégie "
        f"qu'aucune règle ne décrit reçoit le type par défaut, « {fallback} »."
    )


def describe_comparison(
    comparison: Comparison,
    data_typology: DataTypology,
    typology: Typology,
    case_names: Mapping[str, str] | None = None,
    noun: str = "cas",
) -> list[str]:
    """The comparison of the two typologies in French sentences: which classes match which types, the types
    split between classes and, given ``case_names`` (internal documents only), which cases move.

    Parameters
    ----------
    comparison
        :func:`compare` of the expert types (ids) and the data clusters.
    data_typology
        The data-driven typology (its class names, :meth:`DataTypology.class_name`).
    typology
        The expert typology (the types' names).
    case_names
        Name of each case by id: the cases classed apart from their cluster's majority are then named.
    noun
        What a case is called in the sentences (``mission``).
    """
    names = typology.names
    table = comparison.contingency
    out: list[str] = []
    for cluster in table.columns:
        column = table[cluster]
        size = int(column.sum())
        title = f"la classe {cluster} « {data_typology.class_name(int(cluster))} » ({count(size, noun)})"
        present = column[column > 0].sort_values(ascending=False, kind="stable")
        top = [str(t) for t in present.index if present[t] == present.max()]
        if len(present) == 1:
            out.append(sentence(f"{title} ne réunit que des stratégies du type « {names[top[0]]} »"))
            continue
        quoted = join([f"« {names[t]} »" for t in top])
        best = int(present.max())
        if len(top) > 1:
            lead = f"{title} réunit à parts égales les types {quoted} ({count(best, noun)} chacun)"
        else:
            lead = f"{title} réunit surtout le type {quoted} ({count(best, noun)} sur {cardinal(size)})"
        others = [f"« {names[str(t)]} » ({count(int(present[t]), noun)})" for t in present.index if str(t) not in top]
        out.append(sentence(lead + (f", avec {join(others)}" if others else "")))
    for type_id in table.index:
        row = table.loc[type_id]
        clusters = [str(c) for c in row.index if row[c] > 0]
        if len(clusters) > 1:
            out.append(sentence(f"le type « {names[str(type_id)]} » se partage entre les classes {join(clusters)}"))
    moved = comparison.disagreements
    if case_names is not None:
        if moved.empty:
            out.append(sentence(f"aucun {noun} n'est classé à part de la majorité de sa classe"))
        else:
            items = []
            for row in moved.itertuples(index=False):
                majority = join([f"« {names.get(m, m)} »" for m in str(row.cluster_majority).split(" / ")])
                name = case_names.get(str(row.id), str(row.id))
                items.append(f"{name} (« {names[str(row.expert)]} », classe {row.cluster} où domine {majority})")
            subject = count(len(moved), noun)
            verb = "change" if len(moved) == 1 else "changent"
            out.append(sentence(f"{subject} {verb} de groupe d'une typologie à l'autre : {join(items)}"))
    return out

