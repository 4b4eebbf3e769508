"""Data-driven typology: multiple correspondence analysis (ACM) and Ward clustering (CAH), and the comparison
with the experts' typology. Public names are re-exported by :mod:`cufstudy.study.typology`.

``prince``, ``scipy`` and ``scikit-learn`` are imported by the functions that compute with them, not by this
module: :mod:`cufstudy.study.typology` (imported by every notebook reading the experts' typology) would
otherwise make each such kernel pay for them (about 1.5 s on 2 cores, altair included, which prince imports)
although only the data-driven typology uses them."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from cufstudy.core.errors import AnalysisError, InsufficientDataError
from cufstudy.core.french import NBSP, NNBSP
from cufstudy.core.sentences import in_sentence
from cufstudy.model.cases import CaseBase
from cufstudy.model.vocab import Ambition, Attachment, Modality, Motivation, Theme, TierGroup, label

__all__ = [
    "MCA_VARIABLES",
    "MIN_CASES",
    "V_TEST_THRESHOLD",
    "Comparison",
    "DataTypology",
    "coded_table",
    "compare",
    "mca_hca",
]

V_TEST_THRESHOLD = 2.0
"""A category with a test-value of at least 2 characterises a cluster (Lebart, Morineau & Piron)."""

# ---------------------------------------------------------------------------------------------------------
# data-driven typology: MCA (ACM) + Ward clustering (CAH)

#: The variables :func:`mca_hca` uses by default (``themes`` may be added).
MCA_VARIABLES: tuple[str, ...] = (
    "tier_group",
    "ambition",
    "motivations",
    "modalities",
    "know_how_promotion",
    "attachment_before",
)
_LISTS: dict[str, tuple[str, type[Motivation] | type[Modality] | type[Theme], str]] = {
    "motivations": ("motivations", Motivation, "Motivation"),
    "modalities": ("modalities", Modality, "Modalité"),
    "themes": ("themes", Theme, "Thème"),
}
_COLUMNS = {"tier_group": "group", "ambition": "ambition", "know_how_promotion": "know_how_promotion"}
_COLUMNS |= {"attachment_before": "attachment_before"} | {k: v[0] for k, v in _LISTS.items()}
_YES_NO = {"yes": "oui", "no": "non"}
#: The fewest cases :func:`mca_hca` classifies: below five, a partition into two or three classes holds classes of
#: one or two cases, which say nothing a reader could interpret.
MIN_CASES = 5


def coded_table(data: CaseBase | pd.DataFrame, variables: Sequence[str] = MCA_VARIABLES) -> pd.DataFrame:
    """The categorical table the MCA analyses: one row per case, one text column per variable.

    ``tier_group`` (commune, epci, ...), ``ambition`` (``"1"`` to ``"4"``: the ordinal scale taken as
    categories, as MCA does), one yes/no column per motivation (``motivations.solidarity``), per modality
    and per theme, ``know_how_promotion`` (yes/no), ``attachment_before`` (the IR service's attachment
    before the mission; ``unknown`` when not coded).

    Parameters
    ----------
    data
        A case base, or a frame shaped like :attr:`CaseBase.frame` (columns ``group``, ``ambition``,
        ``motivations`` and ``modalities`` as lists of codes, ...); case ids from its ``id`` column or index.
    variables
        Which of ``tier_group``, ``ambition``, ``motivations``, ``modalities``, ``themes``,
        ``know_how_promotion``, ``attachment_before`` to code.
    """
    frame = data.frame if isinstance(data, CaseBase) else data
    unknown = [v for v in variables if v not in _COLUMNS]
    if unknown:
        raise AnalysisError(f"unknown MCA variable(s) {unknown}; expected some of {sorted(_COLUMNS)}")
    missing = sorted({_COLUMNS[v] for v in variables} - set(frame.columns))
    if missing:
        raise AnalysisError(f"the frame lacks the column(s) {missing} needed by the variables {list(variables)}")
    ids = frame["id"].astype(str).tolist() if "id" in frame.columns else [str(i) for i in frame.index]
    out: dict[str, list[str]] = {}
    for var in variables:
        column = frame[_COLUMNS[var]].tolist()
        if var in _LISTS:
            enum = _LISTS[var][1]
            known = {m.value for m in enum}
            bad = sorted({str(v) for cell in column for v in cell} - known)
            if bad:
                raise AnalysisError(f"unknown {var} code(s) {bad} in column {_COLUMNS[var]!r}")
            for m in enum:
                out[f"{var}.{m.value}"] = ["yes" if m.value in cell else "no" for cell in column]
        elif var == "know_how_promotion":
            out[var] = ["yes" if bool(v) else "no" for v in column]
        elif var == "ambition":
            out[var] = [str(int(v)) for v in column]
        else:
            out[var] = ["unknown" if v is None or v != v else str(v) for v in column]
    return pd.DataFrame(out, index=pd.Index(ids, name="id"))


def _category_label(variable: str, category: str) -> str:
    """French label of one category of the coded table."""
    head, _, code = variable.partition(".")
    if head in _LISTS:
        enum, noun = _LISTS[head][1], _LISTS[head][2]
        return f"{noun} « {label(enum(code))} » : {_YES_NO.get(category, category)}"
    if variable == "know_how_promotion":
        return f"Valorisation des savoir-faire : {_YES_NO.get(category, category)}"
    if variable == "ambition":
        return f"Ambition {category} : {label(Ambition(int(category)))}"
    special = {"unknown": "non renseigné", "other": "autres"}
    if variable == "tier_group":
        return f"Niveau : {special.get(category) or label(TierGroup(category))}"
    if variable == "attachment_before":
        return f"Rattachement avant la mission : {special.get(category) or label(Attachment(category))}"
    return f"{variable} : {category}"


def _category_short(variable: str, category: str) -> str:
    """A short French name of one category, to name a class: ``régions``, ``ambition 4``, ``jumelage``."""
    head, _, code = variable.partition(".")
    if head in _LISTS:
        name = in_sentence(label(_LISTS[head][1](code)))
        return name if category == "yes" else f"sans {name}"
    if variable == "know_how_promotion":
        return "savoir-faire valorisés" if category == "yes" else "savoir-faire non valorisés"
    if variable == "ambition":
        return f"ambition {category}"
    if variable == "tier_group":
        return "niveau non renseigné" if category == "unknown" else in_sentence(label(TierGroup(category)))
    if variable == "attachment_before":
        return _SERVICE_SHORT.get(category, "rattachement non renseigné")
    return f"{variable} {category}"


_SERVICE_SHORT = {
    Attachment.CABINET.value: "service au cabinet",
    Attachment.DGS.value: "service à la direction générale",
    Attachment.ATTRACTIVENESS.value: "service à l'attractivité",
    Attachment.SOLIDARITY_CULTURE.value: "service à la solidarité ou à la culture",
    Attachment.SHARED.value: "service mutualisé",
    Attachment.EXTERNAL.value: "service délégué",
}


def _active_table(table: pd.DataFrame, min_count: int) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """The variables that can discriminate, the rare categories to make passive, and what was left out and why."""
    keep: list[str] = []
    passive: list[str] = []
    excluded: dict[str, str] = {}
    for var in table.columns:
        counts = table[var].value_counts()
        if len(counts) < 2:
            excluded[var] = f"a single category for every case ({counts.index[0]})"
        elif set(counts.index) <= set(_YES_NO) and counts.min() < min_count:
            excluded[var] = f"yes/no held by fewer than {min_count} cases on one side ({counts.to_dict()})"
        else:
            keep.append(var)
            for cat, count in counts.items():
                if count < min_count:
                    passive.append(f"{var}={cat}")
                    excluded[f"{var}={cat}"] = f"held by {count} case(s): passive category (subset MCA)"
    return table[keep], passive, excluded


def _largest_gap(heights: npt.NDArray[np.float64], min_clusters: int, max_clusters: int) -> tuple[int, pd.Series]:
    """Number of clusters whose cut leaves the largest jump before the next merge (ties: fewer clusters)."""
    n = len(heights) + 1
    low = max(2, min(min_clusters, n - 1))
    ks = list(range(low, max(low, min(max_clusters, n - 1)) + 1))
    jumps = [float(heights[n - k] - heights[n - k - 1]) for k in ks]
    gaps = pd.Series(jumps, index=pd.Index(ks, name="n_clusters"), name="gap", dtype=float)
    return ks[int(np.argmax(jumps))], gaps


def _by_first_appearance(raw: Sequence[int]) -> list[int]:
    order: dict[int, int] = {}
    for value in raw:
        order.setdefault(value, len(order) + 1)
    return [order[v] for v in raw]


def _over_represented(table: pd.DataFrame, labels: pd.Series, passive: set[str]) -> pd.DataFrame:
    """Categories more frequent in a cluster than overall, with Lebart's test-value (v-test).

    For a category j and a cluster k (n cases, n_k in the cluster, n_j with the category, n_kj both),
    ``v_test = (n_kj - n_k n_j / n) / sqrt(n_k (n - n_k) / (n - 1) * n_j / n * (1 - n_j / n))``, the
    standardised count under drawing the cluster at random (hypergeometric law); ``p_value`` is the
    exact one-sided hypergeometric probability of at least n_kj. |v| > 2 is the usual "characteristic"
    threshold (Lebart, Morineau & Piron; FactoMineR's ``catdes``), but with a few dozen cases read it
    as a ranking rather than a test.
    """
    from scipy.stats import hypergeom

    n = len(table)
    rows = []
    for var in table.columns:
        counts = pd.crosstab(labels, table[var])
        for cat in counts.columns:
            if f"{var}={cat}" in passive:
                continue
            n_j = int(counts[cat].sum())
            for k in counts.index:
                n_k, n_kj = int(counts.loc[k].sum()), int(counts.loc[k, cat])
                share_k, share = n_kj / n_k, n_j / n
                var_kj = n_k * (n - n_k) / (n - 1) * share * (1 - share) if n > 1 else 0.0
                v_test = (n_kj - n_k * share) / np.sqrt(var_kj) if var_kj > 0 else 0.0
                if share_k <= share:
                    continue
                rows.append(
                    {
                        "cluster": int(k),
                        "variable": var,
                        "category": str(cat),
                        "label": _category_label(var, str(cat)),
                        "n_in_cluster": n_kj,
                        "n_overall": n_j,
                        "cluster_size": n_k,
                        "share_cluster": share_k,
                        "share_overall": share,
                        "difference": share_k - share,
                        "v_test": float(v_test),
                        "p_value": float(hypergeom.sf(n_kj - 1, n, n_j, n_k)),
                    }
                )
    columns = ["cluster", "variable", "category", "label", "n_in_cluster", "n_overall", "cluster_size"]
    columns += ["share_cluster", "share_overall", "difference", "v_test", "p_value"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["cluster", "v_test", "variable"], ascending=[True, False, True], ignore_index=True)


@dataclass(frozen=True)
class DataTypology:
    """The result of :func:`mca_hca`.

    Attributes
    ----------
    labels
        Cluster of each case (1 to ``n_clusters``, numbered by first appearance in case order), by case id.
    coordinates
        Principal coordinates of the cases on the factor axes ``F1``, ``F2``, ... (for a factor map).
    category_coordinates
        Principal coordinates of the categories, with ``variable``, ``category`` and French ``label``.
    eigenvalues, explained_inertia
        Per axis: the eigenvalue and the percentage of the total inertia (uncorrected, as FactoMineR shows it).
    over_represented
        The categories more frequent in each cluster than overall, by decreasing test-value (see
        :meth:`class_profile`), to name the clusters in prose.
    linkage
        The Ward linkage matrix (scipy format), for a dendrogram.
    gaps
        For each candidate number of clusters, the jump of linkage height before the next merge.
    n_clusters, chosen_by
        The number of clusters and how it was chosen (``"given"`` or ``"largest gap"``).
    table, excluded
        The coded table analysed, and what was left out with the reason: variables, and the passive
        rare categories (``attachment_before=shared_service``), which are not reported as over-represented.
    """

    labels: pd.Series
    coordinates: pd.DataFrame
    category_coordinates: pd.DataFrame
    eigenvalues: pd.Series
    explained_inertia: pd.Series
    over_represented: pd.DataFrame
    linkage: npt.NDArray[np.float64]
    gaps: pd.Series
    n_clusters: int
    chosen_by: str
    table: pd.DataFrame
    excluded: dict[str, str] = field(default_factory=dict)
    random_state: int = 0

    def sizes(self) -> pd.Series:
        """Number of cases per cluster."""
        return self.labels.value_counts().sort_index()

    def class_profile(self, cluster: int, top: int = 5, absent: bool = False) -> tuple[str, ...]:
        """French labels of the ``top`` most over-represented categories of a cluster (by v-test).

        The "no" side of yes/no variables (``Motivation « … » : non``) is left out unless ``absent``.
        """
        rows = self.over_represented[self.over_represented["cluster"] == cluster]
        if not absent:
            rows = rows[rows["category"] != "no"]
        return tuple(rows["label"].head(top))

    def class_name(self, cluster: int, top: int = 2) -> str:
        """A name for a cluster from its ``top`` most over-represented categories (by v-test, the "yes" side
        of yes/no variables and the other variables' categories): ``Régions, ambition 4``.

        Categories with a test-value of at least 2 are preferred (Lebart's "characteristic" threshold); a
        cluster without any takes its best ones all the same, the name then says *tendance*.
        """
        rows = self.over_represented[
            (self.over_represented["cluster"] == cluster) & (self.over_represented["category"] != "no")
        ]
        strong = rows[rows["v_test"] >= V_TEST_THRESHOLD]
        chosen = strong if len(strong) else rows
        names = [_category_short(v, c) for v, c in zip(chosen["variable"], chosen["category"], strict=True)][:top]
        if not names:
            return f"Classe {cluster}"
        text = ", ".join(names)
        text = text[0].upper() + text[1:]
        return text if len(strong) else f"{text} (tendance)"

    def class_names(self, top: int = 2) -> dict[int, str]:
        """:meth:`class_name` of every cluster."""
        return {int(k): self.class_name(int(k), top) for k in self.sizes().index}

    def factor_map(self) -> pd.DataFrame:
        """Cases with their first two coordinates and cluster, ready for a scatter chart."""
        out = self.coordinates.iloc[:, :2].copy()
        out["cluster"] = self.labels
        return out.reset_index()


def mca_hca(
    data: CaseBase | pd.DataFrame,
    n_clusters: int | None = None,
    random_state: int = 0,
    n_components: int = 5,
    *,
    variables: Sequence[str] = MCA_VARIABLES,
    min_count: int = 2,
    min_clusters: int = 2,
    max_clusters: int = 8,
    engine: str = "scipy",
) -> DataTypology:
    """Data-driven typology: MCA of the coded variables, then Ward clustering of the factor coordinates.

    1. :func:`coded_table` codes the ``variables``. What cannot discriminate is left out (listed in
       ``excluded``): variables with a single category, and yes/no columns with fewer than ``min_count``
       cases on one side (a category held by one case would take an axis of its own). The rare
       categories of the other variables (``tier_group``, ``attachment_before``) are made passive:
       dropped from the active indicator columns (``one_hot_columns_to_drop``), i.e. a subset or
       "specific" MCA (Le Roux & Rouanet; Greenacre).
    2. ``prince.MCA`` on that table keeps ``n_components`` axes (5 by default, FactoMineR's ``ncp``;
       fewer when the data has fewer non-trivial axes). ``engine="scipy"`` is an exact SVD, so the
       result does not depend on ``random_state``; with ``engine="sklearn"`` (randomized SVD) the seed
       makes it reproducible. Axis signs are fixed so the case farthest from the origin on each axis
       has a positive coordinate.
    3. ``scipy.cluster.hierarchy.linkage(method="ward")`` on the cases' principal coordinates (Euclidean
       distances, equal weights, as FactoMineR's ``HCPC``), cut into ``n_clusters`` groups by
       ``cut_tree``. When ``n_clusters`` is None, the tree is cut where the jump between successive
       linkage heights is largest, trying ``min_clusters`` to ``max_clusters`` clusters (ties: fewer
       clusters). Ward heights grow towards the root, so this rule favours few clusters, often 2; set
       ``min_clusters=3`` (FactoMineR's ``HCPC`` default minimum) or ``n_clusters`` when the study needs
       a finer partition, and look at ``gaps``.

    Parameters
    ----------
    data
        The case base, or a frame shaped like :attr:`CaseBase.frame`.
    n_clusters
        Number of clusters, or None to choose it by the largest gap.
    random_state
        Seed passed to ``prince.MCA``.
    n_components
        Number of factor axes kept for the clustering.
    variables
        Variables to code (see :data:`MCA_VARIABLES`; ``themes`` may be added).
    min_count
        Minimum number of cases for a category to be active (see step 1).
    min_clusters, max_clusters
        Range of numbers of clusters tried when ``n_clusters`` is None.
    engine
        ``prince`` SVD engine: ``"scipy"`` (exact) or ``"sklearn"`` (randomized, seeded).

    Returns
    -------
    DataTypology
        Labels, coordinates, inertia, over-represented categories, linkage matrix.

    Raises
    ------
    InsufficientDataError
        Fewer than :data:`MIN_CASES` cases, or cases coded too alike for a factor axis: its ``sentence`` is what
        the deliverable says instead (``Trop peu de cas pour une typologie issue des données (n = 3 ; il en
        faut au moins 5).``).
    AnalysisError
        An unknown variable, a frame without the needed columns, a bad ``n_clusters``.

    Examples
    --------
    >>> result = mca_hca(load_cases("data"))  # doctest: +SKIP
    >>> result.class_profile(1, top=3)  # doctest: +SKIP
    """
    import prince
    from scipy.cluster.hierarchy import cut_tree, linkage

    table, passive, excluded = _active_table(coded_table(data, variables), min_count)
    n = len(table)
    if n < MIN_CASES:
        raise InsufficientDataError(
            f"too few cases for a data-driven typology (n = {n}, at least {MIN_CASES} needed)",
            f"Trop peu de cas pour une typologie issue des données (n{NBSP}={NBSP}{n}{NNBSP}; "
            f"il en faut au moins {MIN_CASES}).",
        )
    alike = (
        f"Les {n} cas sont codés de façon trop semblable pour une typologie issue des données{NBSP}: "
        "trop peu de variables les distinguent."
    )
    if table.shape[1] < 2:
        raise InsufficientDataError(f"fewer than 2 informative variables remain (left out: {excluded})", alike)
    n_axes = min(n_components, n - 1, int(table.nunique().sum()) - len(passive) - table.shape[1])
    if n_axes < 1:
        raise InsufficientDataError(
            f"no factor axis can be computed (n_components={n_components}): the {n} cases take too few distinct "
            f"categories ({int(table.nunique().sum())} in {table.shape[1]} columns); add cases or variables, "
            "or lower min_count",
            alike,
        )
    mca = prince.MCA(
        n_components=n_axes,
        engine=engine,
        random_state=random_state,
        one_hot_prefix_sep="=",
        one_hot_columns_to_drop=passive or None,
    )
    mca = mca.fit(table)
    axes = [f"F{i + 1}" for i in range(n_axes)]
    rows = mca.row_coordinates(table).iloc[:, :n_axes]
    cats = mca.column_coordinates(table).iloc[:, :n_axes]
    rows.columns, cats.columns = axes, axes
    signs = np.sign([rows[a].loc[rows[a].abs().idxmax()] for a in axes])
    signs[signs == 0] = 1
    rows, cats = rows * signs, cats * signs
    rows.index = table.index
    keys = [str(c).split("=", 1) for c in cats.index]
    cats.insert(0, "variable", [k[0] for k in keys])
    cats.insert(1, "category", [k[1] for k in keys])
    cats.insert(2, "label", [_category_label(k[0], k[1]) for k in keys])

    tree = np.asarray(linkage(rows.to_numpy(dtype=float), method="ward"), dtype=np.float64)
    k_gap, gaps = _largest_gap(tree[:, 2], min_clusters, max_clusters)
    if n_clusters is None:
        k, chosen_by = k_gap, "largest gap"
    elif not 2 <= n_clusters <= n:
        raise AnalysisError(f"n_clusters must be between 2 and the number of cases ({n}), got {n_clusters}")
    else:
        k, chosen_by = n_clusters, "given"
    raw = cut_tree(tree, n_clusters=k)[:, 0].tolist()
    labels = pd.Series(_by_first_appearance(raw), index=table.index, name="cluster")
    eig = np.asarray(mca.eigenvalues_, dtype=float)[:n_axes]
    pct = np.asarray(mca.percentage_of_variance_, dtype=float)[:n_axes]
    return DataTypology(
        labels=labels,
        coordinates=rows,
        category_coordinates=cats,
        eigenvalues=pd.Series(eig, index=axes, name="eigenvalue"),
        explained_inertia=pd.Series(pct, index=axes, name="explained_inertia_pct"),
        over_represented=_over_represented(table, labels, set(passive)),
        linkage=tree,
        gaps=gaps,
        n_clusters=k,
        chosen_by=chosen_by,
        table=table,
        excluded=excluded,
        random_state=random_state,
    )


# ---------------------------------------------------------------------------------------------------------
# comparing the two typologies


@dataclass(frozen=True)
class Comparison:
    """Expert types crossed with data clusters.

    Attributes
    ----------
    contingency
        Cases per expert type (rows) and data cluster (columns).
    ari
        Adjusted Rand index (1: same partition; about 0: no more agreement than chance).
    majority
        The most frequent expert type(s) of each data cluster (a tuple when tied).
    disagreements
        The cases whose expert type is not their cluster's majority: ``id``, ``expert``, ``cluster``,
        ``cluster_majority`` (where the data disagrees with the experts).
    """

    contingency: pd.DataFrame
    ari: float
    majority: dict[Hashable, tuple[Hashable, ...]]
    disagreements: pd.DataFrame

    @property
    def n_cases(self) -> int:
        return int(self.contingency.to_numpy().sum())


def compare(expert_labels: pd.Series | Sequence[Hashable], data_labels: pd.Series | Sequence[Hashable]) -> Comparison:
    """Compare the expert typology with the data clusters.

    Parameters
    ----------
    expert_labels
        Expert type per case, e.g. ``classify_all(base, typology)["type_id"]``.
    data_labels
        Data cluster per case, e.g. ``mca_hca(base).labels``. When both are Series they are aligned on
        their index (the case ids), which must hold the same cases; otherwise matched by position.

    Returns
    -------
    Comparison
        Contingency table, adjusted Rand index, majority type per cluster and the disagreements.
    """
    from sklearn.metrics import adjusted_rand_score

    expert = expert_labels.copy() if isinstance(expert_labels, pd.Series) else pd.Series(list(expert_labels))
    data = data_labels.copy() if isinstance(data_labels, pd.Series) else pd.Series(list(data_labels))
    if isinstance(expert_labels, pd.Series) and isinstance(data_labels, pd.Series):
        if set(expert.index) != set(data.index) or not expert.index.is_unique or not data.index.is_unique:
            only = sorted(map(str, set(expert.index) ^ set(data.index)))
            raise AnalysisError(f"the two labelings must cover the same cases (unique ids); differing: {only[:10]}")
        data = data.loc[expert.index]
    elif len(expert) != len(data):
        raise AnalysisError(f"the two labelings differ in length: {len(expert)} and {len(data)}")
    else:
        data.index = expert.index
    if expert.isna().any() or data.isna().any():
        raise AnalysisError("a labeling has missing values; every case needs an expert type and a cluster")
    index = pd.Index([str(i) for i in expert.index], name="id")
    expert.index, data.index = index, index
    table = pd.crosstab(expert.rename("expert"), data.rename("cluster"))
    majority: dict[Hashable, tuple[Hashable, ...]] = {}
    for cluster in table.columns:
        col = table[cluster]
        majority[cluster] = tuple(t for t in table.index if col[t] == col.max())
    rows = [
        {"id": i, "expert": expert[i], "cluster": data[i], "cluster_majority": " / ".join(map(str, majority[data[i]]))}
        for i in index
        if expert[i] not in majority[data[i]]
    ]
    disagreements = pd.DataFrame(rows, columns=["id", "expert", "cluster", "cluster_majority"])
    ari = float(adjusted_rand_score(expert.to_numpy(), data.to_numpy()))
    return Comparison(contingency=table, ari=ari, majority=majority, disagreements=disagreements)
