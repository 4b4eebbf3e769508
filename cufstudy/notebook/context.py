"""What a study notebook starts from: the case base of the data folder, as a frame and as recommendations.

Every notebook of the study opens with the same step, one call::

    from cufstudy.notebook import setup

    study = setup(data)  # the public view of the case base
    frame, recs = study.frame, study.recs

:func:`setup` resolves the data folder from the project root (so the notebook runs the same under Papermill,
from any folder, and in JupyterLab: see :func:`data_folder`), validates the cases, and gives the **public view**
(no interviewee name, no interview note): nothing confidential can reach a notebook output by mistake. The one
internal notebook asks for the confidential fields by name (``setup(data, internal=True)``). The typology and
the organisation models of the same data folder load on first use.

Every figure is computed on a named analysis population (:mod:`cufstudy.model.populations`) and says its
base: ``study.dcol`` is the :class:`Sample` of the DCOL strategy missions (``study.dcol.frame``,
``study.dcol.recs``, ``study.dcol.base_text`` = ``n = 18 missions DCOL``), ``study.comparison`` the
comparison authorities, ``study.pilot`` the SDG pilot.

Parameters come from the notebook's ``parameters`` cell, typed the way ``papermill --help-notebook`` reads
them (``tier: str = "commune"  # tier group, one of: ...``); :func:`choice` checks a value against its
vocabulary, so that ``papermill ... -p tier regoin`` fails with the valid values, not a bare ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, overload

from cufstudy.core.errors import ArgumentError
from cufstudy.core.problems import did_you_mean, short_repr
from cufstudy.core.sentences import base_text, count
from cufstudy.model.cases import CaseBase, load_cases
from cufstudy.model.populations import Population, population
from cufstudy.notebook._root import locate_data

if TYPE_CHECKING:
    import pandas as pd

    from cufstudy.study.organisation_models import DecisionAid, Organisations
    from cufstudy.study.typology import Typology

__all__ = ["NotebookContext", "Sample", "choice", "data_folder", "setup"]

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class Sample:
    """The cases of one analysis population, as a notebook computes on them.

    Attributes
    ----------
    population
        The population (:data:`cufstudy.model.populations.POPULATIONS`).
    base
        Its cases.
    frame, recs
        Their case frame and their recommendations.
    """

    population: Population
    base: CaseBase
    frame: pd.DataFrame = field(repr=False)
    recs: pd.DataFrame = field(repr=False)

    @property
    def n(self) -> int:
        """Number of cases."""
        return len(self.base)

    @property
    def base_text(self) -> str:
        """The base a caption states: ``n = 18 missions DCOL``."""
        return self.population.base(self.n)

    @property
    def phrase(self) -> str:
        """The cases in running text: ``18 missions DCOL``, ``quatre collectivités de comparaison``."""
        return self.population.phrase(self.n)

    @property
    def recs_base_text(self) -> str:
        """The base of a figure on the recommendations: ``n = 73 recommandations de 18 missions DCOL``."""
        return f"{base_text(len(self.recs), 'recommandation')} de {self.phrase}"

    def tier_base_text(self, n: int) -> str:
        """The base of one tier's figure: ``n = 4 missions DCOL``."""
        return self.population.base(n)

    def count(self, n: int) -> str:
        """``n`` cases of this population in running text (``cinq missions``)."""
        return count(n, self.population.noun)


@dataclass(frozen=True)
class NotebookContext:
    """The data a study notebook works on.

    Attributes
    ----------
    data
        The data folder (absolute).
    base
        The case base: its public view unless the context was made with ``internal=True``.
    frame
        One row per case, :attr:`CaseBase.frame <cufstudy.model.cases.CaseBase.frame>`.
    recs
        One row per recommendation, :meth:`CaseBase.recommendations_frame
        <cufstudy.model.cases.CaseBase.recommendations_frame>`.
    internal
        Whether ``base`` holds the confidential fields.
    """

    data: Path
    base: CaseBase
    frame: pd.DataFrame = field(repr=False)
    recs: pd.DataFrame = field(repr=False)
    internal: bool = False

    @property
    def base_text(self) -> str:
        """The base of a figure on the whole case base: ``n = 23 collectivités : 18 missions DCOL, une
        collectivité pilote ODD et quatre collectivités de comparaison``."""
        from cufstudy.core.sentences import join
        from cufstudy.model.populations import POPULATIONS

        parts = [self.sample(k).phrase for k in POPULATIONS if len(self.base.population(k))]
        return f"{base_text(len(self.base), 'collectivité')} : {join(parts)}"

    def sample(self, key: str) -> Sample:
        """The cases of one analysis population (``dcol``, ``comparison``, ``pilot``)."""
        sub = self.base.population(key)
        return Sample(population(key), sub, sub.frame, sub.recommendations_frame())

    @cached_property
    def dcol(self) -> Sample:
        """The DCOL strategy missions: what every figure of the panorama is computed on."""
        return self.sample("dcol")

    @cached_property
    def comparison(self) -> Sample:
        """The non-DCOL comparison authorities."""
        return self.sample("comparison")

    @cached_property
    def pilot(self) -> Sample:
        """The SDG training-action pilot."""
        return self.sample("pilot")

    @cached_property
    def typology(self) -> Typology:
        """The expert typology of the data folder (``typology.yaml``)."""
        from cufstudy.study.typology import load_typology

        return load_typology(self.data)

    @cached_property
    def organisations(self) -> Organisations:
        """The organisation models of the IR service and the decision aid's rules (``organisation.yaml``)."""
        from cufstudy.study.organisation_models import load_organisations

        return load_organisations(self.data, strategy_types=self.typology.ids)

    @cached_property
    def classes(self) -> pd.DataFrame:
        """The expert type of every DCOL strategy mission (:func:`cufstudy.study.typology.classify_all`)."""
        from cufstudy.study.typology import classify_all

        return classify_all(self.dcol.base, self.typology)

    @cached_property
    def decision_aid(self) -> DecisionAid:
        """The decision aid's answers, overall and by tier, the cells without a DCOL mission left out
        (:func:`cufstudy.study.organisation_models.decision_aid`): the one answer every deliverable prints."""
        from cufstudy.study.organisation_models import cases_per_cell, decision_aid

        return decision_aid(self.organisations, self.typology.ids, cases_per_cell(self.classes))


def setup(data: str | Path = "data", *, internal: bool = False) -> NotebookContext:
    """Load the case base a notebook works on, in its public view unless asked otherwise.

    Parameters
    ----------
    data
        The data folder; a relative path is from the project root (the notebooks' ``data`` parameter).
    internal
        Keep the confidential fields (interviewee names, interview notes): only for a notebook that only
        internal deliverables embed.

    Returns
    -------
    NotebookContext
        The case base, its frame and its recommendations.

    Raises
    ------
    DataError
        When a case file is invalid (every problem, located), or the notebook runs outside its project
        (see :func:`data_folder`).

    Examples
    --------
    >>> study = setup("data")
    >>> len(study.frame) == len(study.base), study.internal
    (True, False)
    >>> any(i.interviewee or i.notes for case in study.base for i in case.interviews)
    False
    """
    folder = data_folder(data)
    cases = load_cases(folder)
    base = cases if internal else cases.public()
    return NotebookContext(folder, base, base.frame, base.recommendations_frame(), internal)


def data_folder(data: str | Path = "data") -> Path:
    """The absolute data folder of a notebook's ``data`` parameter, found wherever the notebook runs.

    A relative ``data`` is from the root of the project holding the working folder (the project root under
    ``cufstudy run``, ``notebooks/`` in JupyterLab); an absolute one names its project itself. That project
    is where the notebook's facts and tables are written.

    Raises
    ------
    DataError
        ``data`` is relative and the working folder is in no project; the message says to run papermill with
        ``--cwd /path/to/project`` or to pass ``-p data /path/to/project/data``.
    """
    return locate_data(data)


@overload
def choice(name: str, value: object, allowed: type[E]) -> E: ...
@overload
def choice(name: str, value: object, allowed: Sequence[str]) -> str: ...
def choice(name: str, value: object, allowed: type[Enum] | Sequence[str]) -> Enum | str:
    """Check a notebook parameter against its vocabulary: the member (or the value) if valid.

    Parameters
    ----------
    name
        The parameter, as papermill knows it (``tier``).
    value
        Its value (``-p tier region``).
    allowed
        An enumeration (:class:`~cufstudy.model.vocab.TierGroup`) or the valid values.

    Raises
    ------
    ArgumentError
        ``parameter tier: got 'regoin', expected one of: commune, epci, departement, region,
        statut_particulier (did you mean 'region'?)``.

    Examples
    --------
    >>> from cufstudy.model.vocab import TierGroup
    >>> choice("tier", "region", TierGroup)
    <TierGroup.REGION: 'region'>
    """
    values = [str(m.value) for m in allowed] if isinstance(allowed, type) else [str(v) for v in allowed]
    if isinstance(value, str) and value in values:
        return allowed(value) if isinstance(allowed, type) else value
    raise ArgumentError(
        f"parameter {name}: got {short_repr(value)}, expected one of: {', '.join(values)}{did_you_mean(value, values)}",
        name,
    )
