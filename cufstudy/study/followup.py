"""Follow-up of the missions' recommendations: what was implemented, by tier, strategy type and kind.

Works on :meth:`CaseBase.recommendations_frame`. A recommendation is *assessed* when its follow-up status
is known. The implementation rate counts recommendations implemented in full; the "engaged" rate adds
those partly implemented.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cufstudy.model.vocab import FollowUpStatus

__all__ = ["STATUS_ORDER", "Rates", "obstacles", "overall_rates", "rates", "status_shares"]

STATUS_ORDER = [s.value for s in FollowUpStatus]
_ENGAGED = [FollowUpStatus.IMPLEMENTED.value, FollowUpStatus.PARTLY.value]


def _implemented(statuses: pd.Series) -> float:
    """Share of the assessed statuses implemented in full."""
    return float((statuses == FollowUpStatus.IMPLEMENTED.value).mean())


def _engaged(statuses: pd.Series) -> float:
    """Share of the assessed statuses implemented in full or in part."""
    return float(statuses.isin(_ENGAGED).mean())


def status_shares(recs: pd.DataFrame, by: str) -> pd.DataFrame:
    """Share of each follow-up status among assessed recommendations, per value of ``by``.

    Rows: values of ``by`` (e.g. ``group``, ``kind``, ``type_id``); columns: statuses in their
    natural order (implemented, partly, not started, abandoned); rows sum to 1.
    """
    assessed = recs[recs["status"].notna()]
    table = pd.crosstab(assessed[by], assessed["status"], normalize="index")
    return table.reindex(columns=STATUS_ORDER, fill_value=0.0)


def rates(recs: pd.DataFrame, by: str) -> pd.DataFrame:
    """Implementation figures per value of ``by``.

    Columns: ``n`` (recommendations), ``assessed``, ``implemented`` (share implemented in full),
    ``engaged`` (share implemented in full or in part).
    """
    assessed = recs[recs["status"].notna()]
    grouped = assessed.groupby(by)["status"]
    out = pd.DataFrame(
        {
            "n": recs.groupby(by).size(),
            "assessed": grouped.size(),
            "implemented": grouped.apply(_implemented),
            "engaged": grouped.apply(_engaged),
        }
    )
    return out.fillna({"assessed": 0}).astype({"n": int, "assessed": int})


@dataclass(frozen=True)
class Rates:
    """Implementation figures of a set of recommendations (all of them, or one tier's).

    Attributes
    ----------
    n
        Recommendations.
    assessed
        Recommendations whose follow-up status is known.
    implemented, engaged
        Share of the assessed ones implemented in full, and in full or in part (0 to 1); ``None`` when none
        is assessed.
    """

    n: int
    assessed: int
    implemented: float | None
    engaged: float | None


def overall_rates(recs: pd.DataFrame) -> Rates:
    """The figures of :func:`rates` for all the recommendations of ``recs`` together.

    Examples
    --------
    >>> recs = pd.DataFrame({"status": ["implemented", "partly", None, "abandoned"]})
    >>> overall_rates(recs)
    Rates(n=4, assessed=3, implemented=0.3333333333333333, engaged=0.6666666666666666)
    """
    assessed = recs["status"].dropna()
    if assessed.empty:
        return Rates(len(recs), 0, None, None)
    return Rates(len(recs), len(assessed), _implemented(assessed), _engaged(assessed))


def obstacles(recs: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The obstacles cited for recommendations not (fully) implemented, most frequent first."""
    cited = recs[recs["obstacle"].notna() & (recs["status"] != FollowUpStatus.IMPLEMENTED.value)]
    counts = cited.groupby("obstacle").size().sort_values(ascending=False).head(top)
    return counts.rename_axis("Obstacle").reset_index(name="Recommandations concernées")
