"""Similarities and divergences between tiers of authority (niveaux de collectivité).

Works on the case frame (``CaseBase.frame``): distributions of ambition, motivations, modalities and
organisation per tier group, and the features that set one tier apart from the others (share in the tier
minus share elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pandas as pd

from cufstudy.model.vocab import Ambition, Attachment, Modality, Motivation, Theme, TierGroup, label

__all__ = [
    "Feature",
    "distinguishing_features",
    "distribution",
    "feature_matrix",
    "tier_summary",
]

_LIST_COLUMNS: dict[str, type[Enum]] = {"motivations": Motivation, "modalities": Modality, "themes": Theme}


def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per case, one boolean column per coded feature, named with French labels.

    Features: each motivation, modality and theme; each attachment before the mission; each ambition
    level; promotion of local know-how.
    """
    cols: dict[str, pd.Series] = {}
    for column, enum in _LIST_COLUMNS.items():
        for member in enum:
            cols[f"{column}:{member.value}"] = frame[column].apply(lambda xs, v=member.value: v in xs)
    for att in Attachment:
        cols[f"attachment_before:{att.value}"] = frame["attachment_before"] == att.value
    for amb in Ambition:
        cols[f"ambition:{int(amb)}"] = frame["ambition"] == int(amb)
    cols["know_how_promotion:true"] = frame["know_how_promotion"].astype(bool)
    return pd.DataFrame(cols, index=frame.index)


def feature_label(feature: str) -> str:
    """French label of a feature column of :func:`feature_matrix` (``motivations:solidarity`` -> ...)."""
    column, _, value = feature.partition(":")
    if column in _LIST_COLUMNS:
        return label(_LIST_COLUMNS[column](value))
    if column == "attachment_before":
        return f"Service rattaché avant la mission : {label(Attachment(value))}"
    if column == "ambition":
        return f"Ambition {value} : {label(Ambition(int(value)))}"
    return "Valorisation des savoir-faire locaux"


def distribution(frame: pd.DataFrame, column: str, normalize: bool = True) -> pd.DataFrame:
    """Distribution of a coded column by tier group (rows: values, columns: tier groups).

    List columns (motivations, modalities, themes) give the share of cases citing each value, so
    columns do not sum to 1.
    """
    if column in _LIST_COLUMNS:
        exploded = frame[["group", column]].explode(column).dropna()
        table = pd.crosstab(exploded[column], exploded["group"])
        if normalize:
            table = table / frame.groupby("group").size()
        return table.fillna(0)
    return pd.crosstab(frame[column], frame["group"], normalize="columns" if normalize else False)


@dataclass(frozen=True)
class Feature:
    """A feature that distinguishes a tier: its share in the tier, elsewhere, and the difference."""

    feature: str
    label: str
    share_in_tier: float
    share_elsewhere: float

    @property
    def difference(self) -> float:
        return self.share_in_tier - self.share_elsewhere


def distinguishing_features(
    frame: pd.DataFrame, tier: TierGroup | str, top: int = 5, min_difference: float = 0.25
) -> list[Feature]:
    """Features most over- or under-represented in a tier group compared with the other groups.

    Returns at most ``top`` features whose share differs by at least ``min_difference`` (25 points by
    default), largest absolute difference first. Empty when the tier has no case or is alone.
    """
    group = TierGroup(tier).value
    inside = frame["group"] == group
    if not inside.any() or inside.all():
        return []
    features = feature_matrix(frame)
    share_in = features[inside].mean()
    share_out = features[~inside].mean()
    diff = (share_in - share_out).sort_values(key=abs, ascending=False)
    found: list[Feature] = []
    for name, d in diff.items():
        if abs(d) < min_difference or len(found) >= top:
            break
        key = str(name)
        found.append(Feature(key, feature_label(key), float(share_in[key]), float(share_out[key])))
    return found


def tier_summary(frame: pd.DataFrame, tier: TierGroup | str) -> dict[str, float | int]:
    """Key figures of one tier group: number of cases, mean ambition, mean FTE before and recommended,
    share of cases promoting local know-how, mean number of partner countries."""
    sub = frame[frame["group"] == TierGroup(tier).value]
    if sub.empty:
        return {"n_cases": 0}
    return {
        "n_cases": len(sub),
        "mean_ambition": float(sub["ambition"].mean()),
        "mean_fte_before": float(sub["fte_before"].dropna().mean()) if sub["fte_before"].notna().any() else 0.0,
        "mean_fte_recommended": float(sub["fte_recommended"].dropna().mean())
        if sub["fte_recommended"].notna().any()
        else 0.0,
        "share_know_how": float(sub["know_how_promotion"].mean()),
        "mean_partner_countries": float(sub["n_partner_countries"].mean()),
    }
