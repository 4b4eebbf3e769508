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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cufstudy.core.project import resolve
from cufstudy.model.cases import CaseBase, load_cases

if TYPE_CHECKING:
    import pandas as pd

    from cufstudy.study.organisation_models import Organisations
    from cufstudy.study.typology import Typology

__all__ = ["NotebookContext", "setup"]


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

    @cached_property
    def typology(self) -> Typology:
        """The expert typology of the data folder (``typology.yaml``)."""
        from cufstudy.study.typology import load_typology

        return load_typology(self.data)

    @cached_property
    def organisations(self) -> Organisations:
        """The organisation models of the IR service and the decision aid's rules (``organisation.yaml``)."""
        from cufstudy.study.organisation_models import load_organisations

        return load_organisations(self.data)


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
