"""Follow-up of the missions' recommendations: what was implemented, by tier, strategy type and kind.

Works on :meth:`CaseBase.recommendations_frame`. A recommendation is *assessed* when its follow-up status
is known. The implementation rate counts recommendations implemented in full; the "engaged" rate adds
those partly implemented.
"""

from __future__ import annotations

import pandas as pd

from cufstudy.model.vocab import FollowUpStatus

__all__ = ["STATUS_ORDER", "obstacles", "rates", "status_shares"]

STATUS_ORDER = [s.value for s in FollowUpStatus]


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
            "implemented": grouped.apply(lambda s: float((s == FollowUpStatus.IMPLEMENTED.value).mean())),
            "engaged": grouped.apply(
                lambda s: float(s.isin([FollowUpStatus.IMPLEMENTED.value, FollowUpStatus.PARTLY.value]).mean())
            ),
        }
    )
    return out.fillna({"assessed": 0}).astype({"n": int, "assessed": int})


def obstacles(recs: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The obstacles cited for recommendations not (fully) implemented, most frequent first."""
    cited = recs[recs["obstacle"].notna() & (recs["status"] != FollowUpStatus.IMPLEMENTED.value)]
    counts = cited.groupby("obstacle").size().sort_values(ascending=False).head(top)
    return counts.rename_axis("Obstacle").reset_index(name="Recommandations concernées")
