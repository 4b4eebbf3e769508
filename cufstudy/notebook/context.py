"""What a study notebook starts from: the case base of the data folder, as a frame and as recommendations.

Every notebook of the study opens with the same step, one call::

    from cufstudy.notebook import setup

    study = setup(data)  # the public view of the case base
    frame, recs = study.frame, study.recs

:func:`setup` resolves the data folder from the project root (so the notebook runs the same under Papermill
and in JupyterLab), validates the cases, and gives the **public view** (no interviewee name, no interview
note): nothing confidential can reach a notebook output by mistake. The one internal notebook asks for the
confidential fields by name (``setup(data, internal=True)``). The typology and the organisation models of the
same data folder load on first use.

Every figure is computed on a named analysis population (:mod:`cufstudy.model.populations`) and says its
base: ``study.dcol`` is the :class:`Sample` of the DCOL strategy missions (``study.dcol.frame``,
``study.dcol.recs``, ``study.dcol.base_text`` = ``n = 18 missions DCOL``), ``study.comparison`` the
comparison authorities, ``study.pilot`` the SDG pilot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cufstudy.core.project import resolve
from cufstudy.core.sentences import base_text, count
from cufstudy.model.cases import CaseBase, load_cases
from cufstudy.model.populations import Population, population

if TYPE_CHECKING:
    import pandas as pd

    from cufstudy.study.organisation_models import DecisionAid, Organisations
    from cufstudy.study.typology import Typology

__all__ = ["NotebookContext", "Sample", "setup"]


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
        When a case file is invalid (every problem, located).

    Examples
    --------
    >>> study = setup("data")
    >>> len(study.frame) == len(study.base), study.internal
    (True, False)
    >>> any(i.interviewee or i.notes for case in study.base for i in case.interviews)
    False
    """
    folder = resolve(data)
    cases = load_cases(folder)
    base = cases if internal else cases.public()
    return NotebookContext(folder, base, base.frame, base.recommendations_frame(), internal)
