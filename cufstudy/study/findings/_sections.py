"""The findings of each analytical section, computed from the population's frames."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cufstudy.core.french import format_fr, format_number, round_fr
from cufstudy.core.sentences import base_text, cardinal, in_sentence, join, sentence
from cufstudy.model.countries import COUNTRIES_FR
from cufstudy.model.populations import POPULATIONS, Population
from cufstudy.model.vocab import (
    Ambition,
    Attachment,
    FollowUpStatus,
    RecommendationKind,
    TierGroup,
    label,
)
from cufstudy.study import followup as _followup
from cufstudy.study.findings._model import (
    _LIST_ENUMS,
    _LIST_WORDS,
    Finding,
    Rules,
    Section,
    _all_of,
    _fisher,
    _lone,
    _none,
    _of,
    _only_one,
    _pct,
    _points,
    _share_of_list,
    _share_words,
    count,
    noun,
)
from cufstudy.study.tiers import feature_matrix

__all__ = ["actions", "characterisation", "followup", "organisation", "tiers", "typology"]


# ---------------------------------------------------------------------------------------------------------
# characterisation


def characterisation(
    frame: pd.DataFrame, rules: Rules | None = None, population: Population | None = None
) -> list[Finding]:
    """What the strategies look like: ambition, motivations, modalities, themes, know-how, partner countries."""
    pop = population or POPULATIONS["dcol"]
    rules = rules or Rules()
    n = len(frame)
    base = pop.base(n)
    what = pop.noun
    out: list[Finding] = []
    if n == 0:
        return out
    sec = Section.CHARACTERISATION
    amb = frame["ambition"].value_counts()
    top = int(amb.max())
    modes = sorted(int(a) for a in amb.index if amb[a] == top)
    names = join(f"« {label(Ambition(a))} » (niveau {a})" for a in modes)
    head = (
        "le niveau d'ambition le plus fréquent est"
        if len(modes) == 1
        else "les niveaux d'ambition les plus fréquents sont"
    )
    spread = join(f"{count(int(amb.get(a, 0)), what)} au niveau {a}" for a in sorted(int(x) for x in amb.index))
    out.append(
        Finding(
            sec,
            "caracterisation.ambition",
            sentence(f"{head} {names}, avec {_of(top, n, what)} ({_pct(top / n)}) ; en tout, {spread}"),
            base,
            weight=top / n,
        )
    )
    high = int((frame["ambition"] >= int(Ambition.ACTION_INTEGREE)).sum())
    out.append(
        Finding(
            sec,
            "caracterisation.ambition_haute",
            sentence(
                f"{_of(high, n, what)} ({_pct(high / n)}) visent au moins une action internationale intégrée aux "
                "politiques locales (niveau 3 ou 4)"
            ),
            base,
            weight=abs(high / n - 0.5),
        )
    )
    for column, enum in _LIST_ENUMS.items():
        shares = _share_of_list(frame, column)
        word, participle = _LIST_WORDS[column]
        if shares.empty:
            continue
        common = [(str(v), float(s)) for v, s in shares.items() if s >= rules.min_share]
        share_words = _share_words(rules.min_share)
        if common:
            items = join(f"« {in_sentence(label(enum(v)))} » ({_pct(s)})" for v, s in common)
            n_common = len(common)
            subject = count(n_common, word)
            verb = "est" if n_common == 1 else "sont"
            said = _agree_participle(participle, word, n_common)
            text = f"{subject} {verb} {said} par {share_words} des {noun(what).plural} au moins : {items}"
        else:
            v, s = str(shares.index[0]), float(shares.iloc[0])
            text = (
                f"aucune {word} n'est {participle} par {share_words} des {noun(what).plural} ; la plus "
                f"fréquente est « {in_sentence(label(enum(v)))} » ({_of(round(s * n), n, what)})"
            )
        out.append(
            Finding(
                sec,
                f"caracterisation.{column}",
                sentence(text),
                base,
                rule=f"{share_words} des {noun(what).plural} au moins",
                weight=float(shares.iloc[0]),
            )
        )
    know = int(frame["know_how_promotion"].astype(bool).sum())
    out.append(
        Finding(
            sec,
            "caracterisation.savoir_faire",
            sentence(
                f"{_of(know, n, what)} ({_pct(know / n)}) font de la valorisation à l'international des "
                "savoir-faire de leur territoire un axe de leur stratégie"
            ),
            base,
            weight=abs(know / n - 0.5),
        )
    )
    countries = frame["partner_countries"].explode().dropna()
    if not countries.empty:
        per = countries.value_counts().sort_values(ascending=False, kind="stable")
        top_n = int(per.iloc[0])
        leaders = [str(c) for c in per.index if per[c] == top_n]
        names_c = join(COUNTRIES_FR.get(c, c) for c in leaders)
        mean = float(frame["n_partner_countries"].mean())
        verb = "pays le plus cité :" if len(leaders) == 1 else "pays les plus cités :"
        each = " chacun" if len(leaders) > 1 else ""
        out.append(
            Finding(
                sec,
                "caracterisation.pays",
                sentence(
                    f"les stratégies citent {count(len(per), 'pays')} partenaires, "
                    f"{format_number(round_fr(mean, 1))} en moyenne par {noun(what).singular} ; {verb} {names_c} "
                    f"({count(top_n, what)}{each})"
                ),
                base,
                weight=top_n / n,
            )
        )
    return out


def _mean(value: float) -> str:
    """A mean on the ambition scale, one decimal: ``2,3``."""
    return format_fr(round_fr(float(value), 1), decimals=1)


def _agree_participle(participle: str, word: str, n: int) -> str:
    from cufstudy.core.sentences import agree

    stem = participle[:-1] if participle.endswith("e") else participle  # given feminine: "citée" -> "cité"
    return agree(stem, noun(word), n)


# ---------------------------------------------------------------------------------------------------------
# typology


def typology(
    classes: pd.DataFrame,
    names: Mapping[str, str],
    rules: Rules | None = None,
    population: Population | None = None,
    fallback: str | None = None,
) -> list[Finding]:
    """How the cases spread over the expert types, which types a tier carries, how many fell to the fallback.

    Parameters
    ----------
    classes
        :func:`cufstudy.study.typology.classify_all` of the population (``type_id``, ``group``, ``rule``).
    names
        The name of each type, in the typology's order (:attr:`Typology.names`).
    fallback
        The id of the fallback type (its cases are counted apart).
    """
    pop = population or POPULATIONS["dcol"]
    rules = rules or Rules()
    what = pop.noun
    n = len(classes)
    base = pop.base(n)
    sec = Section.TYPOLOGY
    out: list[Finding] = []
    if n == 0:
        return out
    per = classes["type_id"].value_counts()
    present = [(t, int(per.get(t, 0))) for t in names if per.get(t, 0)]
    present.sort(key=lambda item: -item[1])
    items = join(f"« {names[t]} » ({count(k, what)})" for t, k in present)
    out.append(
        Finding(
            sec,
            "typologie.repartition",
            sentence(f"la typologie d'experts répartit les {pop.phrase(n)} en {count(len(present), 'type')} : {items}"),
            base,
            weight=present[0][1] / n if present else 0.0,
        )
    )
    empty = [names[t] for t in names if not per.get(t, 0)]
    if empty:
        quoted = join((f"« {e} »" for e in empty), "ni du type")
        out.append(
            Finding(
                sec,
                "typologie.types_vides",
                sentence(f"{_none(what)} {noun(what).singular} ne relève du type {quoted}"),
                base,
            )
        )
    if fallback is not None and "rule" in classes:
        fell = int(classes["rule"].isna().sum())
        if fell:
            fallback_name = names.get(fallback, fallback)
            if fell == 1:
                text = (
                    f"{_only_one(what)} {noun(what).singular} ne relève d'aucune règle et reçoit le type par défaut "
                    f"« {fallback_name} »"
                )
            else:
                text = (
                    f"{_of(fell, n, what)} ne relèvent d'aucune règle et reçoivent le type par défaut "
                    f"« {fallback_name} » : c'est là que les règles sont à revoir en premier"
                )
            out.append(Finding(sec, "typologie.type_defaut", sentence(text), base, weight=fell / n))
    dominant = _share_words(rules.min_dominant)
    for t, k in present:
        if k < rules.min_group:
            continue
        groups = classes.loc[classes["type_id"] == t, "group"].value_counts()
        g, top = str(groups.index[0]), int(groups.iloc[0])
        if top / k >= rules.min_dominant and len(groups) >= 1:
            out.append(
                Finding(
                    sec,
                    f"typologie.porte.{t}",
                    sentence(
                        f"le type « {names[t]} » est surtout porté par les {in_sentence(label(TierGroup(g)))} : "
                        + (_of(top, k, what) if top < k else _all_of(k, what))
                    ),
                    base,
                    kind="difference",
                    rule=f"{dominant} au moins des {noun(what).plural} du type, "
                    f"sur {count(rules.min_group, what)} au moins",
                    weight=top / k,
                )
            )
    return out


# ---------------------------------------------------------------------------------------------------------
# actions


def actions(
    classes: pd.DataFrame,
    recs: pd.DataFrame,
    names: Mapping[str, str],
    rules: Rules | None = None,
    population: Population | None = None,
) -> list[Finding]:
    """What the missions of each type recommended (the kinds of recommendation) and how far it was taken up."""
    pop = population or POPULATIONS["dcol"]
    rules = rules or Rules()
    what = pop.noun
    sec = Section.ACTIONS
    out: list[Finding] = []
    if classes.empty or recs.empty:
        return out
    joined = recs.join(classes[["type_id"]], on="case", how="inner")
    base_all = f"{pop.base(len(classes))}, {count(len(joined), 'recommandation')}"
    overall = _followup.overall_rates(joined)
    for t in names:
        sub = joined[joined["type_id"] == t]
        n_cases = int((classes["type_id"] == t).sum())
        if sub.empty:
            continue
        kinds = sub["kind"].value_counts().sort_values(ascending=False, kind="stable")
        top = int(kinds.iloc[0])
        leaders = [str(k) for k in kinds.index if kinds[k] == top]
        labels = join(f"« {in_sentence(label(RecommendationKind(k)))} »" for k in leaders)
        base = f"{pop.base(n_cases)}, {count(len(sub), 'recommandation')}"
        out.append(
            Finding(
                sec,
                f"actions.{t}.recommandations",
                sentence(
                    f"pour le type « {names[t]} » ({count(n_cases, what)}), les missions ont formulé "
                    f"{count(len(sub), 'recommandation')}, le plus souvent sur {labels} "
                    f"({_of(top, len(sub), 'recommandation')})"
                ),
                base,
                weight=top / len(sub),
            )
        )
        rates = _followup.overall_rates(sub)
        others = _followup.overall_rates(joined[joined["type_id"] != t])
        if (
            rates.engaged is not None
            and others.engaged is not None
            and rates.assessed >= rules.min_assessed
            and others.assessed >= rules.min_assessed
            and abs(rates.engaged - others.engaged) >= rules.min_gap
        ):
            more = rates.engaged > others.engaged
            engaged_in = round(rates.engaged * rates.assessed)
            engaged_out = round(others.engaged * others.assessed)
            out.append(
                Finding(
                    sec,
                    f"actions.{t}.engagement",
                    sentence(
                        f"les recommandations du type « {names[t]} » sont {'plus' if more else 'moins'} souvent "
                        f"engagées que celles des autres types : {_pct(rates.engaged)} contre "
                        f"{_pct(others.engaged)}, soit {_points(rates.engaged - others.engaged)} d'écart"
                    ),
                    base,
                    kind="difference",
                    rule=f"écart d'au moins {rules.gap_points}, sur {count(rules.min_assessed, 'recommandation')} "
                    "suivies au moins de chaque côté",
                    weight=abs(rates.engaged - others.engaged),
                    p_value=_fisher(engaged_in, rates.assessed, engaged_out, others.assessed),
                )
            )
    if overall.engaged is not None and not out:
        out.append(
            Finding(
                sec,
                "actions.ensemble",
                sentence(f"les recommandations suivies sont engagées à {_pct(overall.engaged)}"),
                base_all,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------------------
# organisation


def organisation(
    frame: pd.DataFrame, rules: Rules | None = None, population: Population | None = None
) -> list[Finding]:
    """Where the service was attached, what the missions recommended, what was done, and the staff."""
    pop = population or POPULATIONS["dcol"]
    rules = rules or Rules()
    what = pop.noun
    sec = Section.ORGANISATION
    out: list[Finding] = []
    known = frame.dropna(subset=["attachment_before"])
    if known.empty:
        return out
    n = len(known)
    base = pop.base(n)
    before = known["attachment_before"].value_counts().sort_values(ascending=False, kind="stable")
    top = int(before.iloc[0])
    leaders = [str(a) for a in before.index if before[a] == top]
    out.append(
        Finding(
            sec,
            "organisation.avant",
            sentence(
                f"avant la mission, le rattachement le plus fréquent du service était "
                f"{join(f'« {in_sentence(label(Attachment(a)))} »' for a in leaders)} ({_of(top, n, what)}), "
                f"parmi {count(len(before), 'rattachement')} observés"
            ),
            base,
            weight=top / n,
        )
    )
    both = known.dropna(subset=["attachment_recommended"])
    if not both.empty:
        changed = both[both["attachment_recommended"] != both["attachment_before"]]
        m = len(both)
        target = changed["attachment_recommended"].value_counts().sort_values(ascending=False, kind="stable")
        text = f"{_of(len(changed), m, what)} ({_pct(len(changed) / m)}) ont recommandé un autre rattachement"
        if not target.empty:
            k = int(target.iloc[0])
            lead = [str(a) for a in target.index if target[a] == k]
            named = join(f"« {in_sentence(label(Attachment(a)))} »" for a in lead)
            each = " chacun" if len(lead) > 1 else ""  # « rattachement » is masculine
            text += f", le plus souvent {named} ({count(k, what)}{each})"
        out.append(Finding(sec, "organisation.recommande", sentence(text), pop.base(m), weight=len(changed) / m))
    followed = frame.dropna(subset=["attachment_recommended", "attachment_after"])
    followed = followed[followed["attachment_recommended"] != followed["attachment_before"]]
    if not followed.empty:
        m = len(followed)
        adopted = int((followed["attachment_after"] == followed["attachment_recommended"]).sum())
        kept = int((followed["attachment_after"] == followed["attachment_before"]).sum())
        other = m - adopted - kept
        fem = noun(what).feminine
        has = "l'a" if adopted == 1 else "l'ont"
        parts = [f"{_lone(adopted, fem)} {has} adopté"]
        if kept:
            parts.append(f"{_lone(kept, fem)} {'a' if kept == 1 else 'ont'} gardé l'organisation d'avant")
        if other:
            parts.append(f"{_lone(other, fem)} {'a' if other == 1 else 'ont'} choisi un troisième rattachement")
        out.append(
            Finding(
                sec,
                "organisation.suivi",
                sentence(
                    f"parmi les {count(m, what)} où un autre rattachement était recommandé et où le suivi est "
                    f"connu, {join(parts)}"
                ),
                pop.base(m),
                weight=abs(adopted / m - 0.5),
                values={"adopted": adopted, "kept": kept, "followed": m},
            )
        )
    fte = [frame[c].dropna() for c in ("fte_before", "fte_recommended", "fte_after")]
    if all(not s.empty for s in fte[:2]):
        b, r = (format_fr(round_fr(float(s.mean()), 1), "ETP", decimals=1) for s in fte[:2])
        text = f"l'effectif moyen du service passe de {b} avant la mission à {r} recommandés"
        if not fte[2].empty:
            text += f", et {format_fr(round_fr(float(fte[2].mean()), 1), 'ETP', decimals=1)} observés au suivi"
        out.append(Finding(sec, "organisation.effectifs", sentence(text), base))
    return out


# ---------------------------------------------------------------------------------------------------------
# tiers


def _feature_phrase(feature: str) -> str:
    column, _, value = feature.partition(":")
    if column in _LIST_ENUMS:
        word = _LIST_WORDS[column][0]
        article = "la"
        return f"{article} {word} « {in_sentence(label(_LIST_ENUMS[column](value)))} »"
    if column == "attachment_before":
        return f"le rattachement « {in_sentence(label(Attachment(value)))} » avant la mission"
    if column == "ambition":
        return f"l'ambition « {in_sentence(label(Ambition(int(value))))} »"
    return "la valorisation des savoir-faire locaux"


def tiers(
    frame: pd.DataFrame, recs: pd.DataFrame, rules: Rules | None = None, population: Population | None = None
) -> list[Finding]:
    """Similarities and differences between tiers: the features that set a tier apart (tested), those every
    compared tier shares, the range of the mean ambition and of the implementation rates; tiers too small to
    compare are said so."""
    pop = population or POPULATIONS["dcol"]
    rules = rules or Rules()
    what = pop.noun
    sec = Section.TIERS
    out: list[Finding] = []
    n = len(frame)
    if n == 0:
        return out
    base = pop.base(n)
    sizes = frame["group"].value_counts()
    groups = [g for g in TierGroup if sizes.get(g.value, 0)]
    compared = [g for g in groups if sizes[g.value] >= rules.min_group and n - sizes[g.value] >= rules.min_group]
    small = [g for g in groups if g not in compared]
    if small:
        items = join(f"les {in_sentence(label(g))} ({count(int(sizes[g.value]), what)})" for g in small)
        out.append(
            Finding(
                sec,
                "niveaux.trop_petits",
                sentence(
                    f"{items} : trop peu de cas pour une comparaison avec les autres niveaux (moins de "
                    f"{count(rules.min_group, what)} d'un côté) ; leurs chiffres sont donnés sans commentaire"
                ),
                base,
                kind="caution",
            )
        )
    features = feature_matrix(frame)
    for g in compared:
        inside = frame["group"] == g.value
        n_in, n_out = int(inside.sum()), int((~inside).sum())
        share_in = features[inside].mean()
        share_out = features[~inside].mean()
        diff = (share_in - share_out).sort_values(key=abs, ascending=False, kind="stable")
        subject = f"les {in_sentence(label(g))}"
        large = [(str(name), float(d)) for name, d in diff.items() if abs(d) >= rules.min_gap]
        for name, d in large[: rules.max_per_group]:
            feat = str(name)
            a = int(features.loc[inside, feat].sum())
            b = int(features.loc[~inside, feat].sum())
            p_in, p_out = _pct(float(share_in[feat])), _pct(float(share_out[feat]))
            phrase = _feature_phrase(feat)
            if d > 0:
                text = (
                    f"{subject} ({count(n_in, what)}) se distinguent par {phrase} : {p_in} de leurs "
                    f"{noun(what).plural} contre {p_out} dans les autres niveaux, soit {_points(d)} d'écart"
                )
            else:
                text = (
                    f"{phrase} est plus rare chez {subject} ({count(n_in, what)}) : {p_in} de leurs "
                    f"{noun(what).plural} contre {p_out} dans les autres niveaux, soit {_points(d)} d'écart"
                )
            out.append(
                Finding(
                    sec,
                    f"niveaux.{g.value}.{feat.replace(':', '-').replace('_', '-')}",
                    sentence(text),
                    f"{pop.base(n_in)} ; autres niveaux : {pop.base(n_out)}",
                    kind="difference",
                    rule=f"écart d'au moins {rules.gap_points}, {count(rules.min_group, what)} au moins de chaque côté",
                    weight=abs(float(d)),
                    p_value=_fisher(a, n_in, b, n_out),
                )
            )
        rest = len(large) - rules.max_per_group
        if rest > 0:
            out.append(
                Finding(
                    sec,
                    f"niveaux.{g.value}.autres",
                    sentence(
                        f"{subject} présentent aussi {count(rest, 'écart')} d'au moins {rules.gap_points}, "
                        "moins marqués : leur profil par niveau les donne"
                    ),
                    f"{pop.base(n_in)} ; autres niveaux : {pop.base(n_out)}",
                )
            )
    if len(compared) >= 2:
        masks = {g: frame["group"] == g.value for g in compared}
        shared = [
            str(f)
            for f in features.columns
            if f.split(":")[0] in _LIST_ENUMS
            and all(features.loc[m, f].mean() >= rules.min_share for m in masks.values())
        ]
        if shared:
            items = join(_feature_phrase(f) for f in shared)
            out.append(
                Finding(
                    sec,
                    "niveaux.similitudes",
                    sentence(
                        f"dans chacun des {count(len(compared), 'niveau')} comparés, {_share_words(rules.min_share)} "
                        f"des {noun(what).plural} au moins partagent {items}"
                    ),
                    base,
                    kind="similarity",
                    weight=0.5,
                )
            )
        else:
            out.append(
                Finding(
                    sec,
                    "niveaux.similitudes",
                    sentence(
                        f"aucune motivation, modalité ou thématique n'est partagée par {_share_words(rules.min_share)} "
                        f"des {noun(what).plural} dans chacun des {count(len(compared), 'niveau')} comparés"
                    ),
                    base,
                    kind="similarity",
                )
            )
    means = frame.groupby("group")["ambition"].mean()
    if len(compared) >= 2:
        lo = min(compared, key=lambda g: (means[g.value], g.value))
        hi = max(compared, key=lambda g: (means[g.value], g.value))
        if lo is not hi:
            out.append(
                Finding(
                    sec,
                    "niveaux.ambition",
                    sentence(
                        f"l'ambition moyenne va de {_mean(means[lo.value])} chez les {in_sentence(label(lo))} "
                        f"à {_mean(means[hi.value])} "
                        f"chez les {in_sentence(label(hi))}, sur une échelle de 1 à 4, parmi les niveaux comparés"
                    ),
                    base,
                    weight=float(means[hi.value] - means[lo.value]) / 3,
                )
            )
    rates = {g: _followup.overall_rates(recs[recs["group"] == g.value]) for g in compared}
    rated = {g: r for g, r in rates.items() if r.engaged is not None and r.assessed >= rules.min_assessed}
    if len(rated) >= 2:
        lo = min(rated, key=lambda g: (rated[g].engaged or 0.0, g.value))
        hi = max(rated, key=lambda g: (rated[g].engaged or 0.0, g.value))
        gap = (rated[hi].engaged or 0.0) - (rated[lo].engaged or 0.0)
        if gap >= rules.min_gap:
            rh, rl = rated[hi], rated[lo]
            out.append(
                Finding(
                    sec,
                    "niveaux.suivi",
                    sentence(
                        f"les recommandations sont plus souvent engagées chez les {in_sentence(label(hi))} "
                        f"({_pct(rh.engaged or 0.0)}) que chez les {in_sentence(label(lo))} "
                        f"({_pct(rl.engaged or 0.0)}), "
                        f"soit {_points(gap)} d'écart"
                    ),
                    f"{base_text(rh.assessed + rl.assessed, 'recommandation')} suivies dans ces deux niveaux",
                    kind="difference",
                    rule=f"écart d'au moins {rules.gap_points}, "
                    f"sur {count(rules.min_assessed, 'recommandation')} suivies au moins",
                    weight=gap,
                    p_value=_fisher(
                        round((rh.engaged or 0.0) * rh.assessed),
                        rh.assessed,
                        round((rl.engaged or 0.0) * rl.assessed),
                        rl.assessed,
                    ),
                )
            )
        else:
            out.append(
                Finding(
                    sec,
                    "niveaux.suivi",
                    sentence(
                        "les taux d'engagement des recommandations restent proches d'un niveau à l'autre parmi les "
                        f"niveaux comparés, de "
                        f"{_pct(rated[lo].engaged or 0.0)} à {_pct(rated[hi].engaged or 0.0)} : moins de "
                        f"{rules.gap_points} d'écart"
                    ),
                    base,
                    kind="similarity",
                )
            )
    return out


# ---------------------------------------------------------------------------------------------------------
# follow-up


def followup(
    recs: pd.DataFrame, rules: Rules | None = None, population: Population | None = None, n_cases: int | None = None
) -> list[Finding]:
    """What became of the recommendations: overall rates, statuses, the kinds most and least taken up,
    the obstacles cited and the levers."""
    pop = population or POPULATIONS["dcol"]
    rules = rules or Rules()
    sec = Section.FOLLOWUP
    out: list[Finding] = []
    if recs.empty:
        return out
    rates = _followup.overall_rates(recs)
    cases = recs["case"].nunique() if n_cases is None else n_cases
    base = f"{count(rates.n, 'recommandation')} de {pop.phrase(cases)}"
    if rates.implemented is None or rates.engaged is None:
        out.append(
            Finding(
                sec,
                "suivi.ensemble",
                sentence(f"le suivi des {count(rates.n, 'recommandation')} n'est pas encore renseigné"),
                base,
                kind="caution",
            )
        )
        return out
    if rates.assessed == rates.n:
        known = f"le suivi des {count(rates.n, 'recommandation')} est renseigné"
    else:
        verb = "a" if rates.assessed == 1 else "ont"
        assessed_words = cardinal(rates.assessed, feminine=True)
        known = f"sur {count(rates.n, 'recommandation')}, {assessed_words} {verb} un suivi renseigné"
    out.append(
        Finding(
            sec,
            "suivi.ensemble",
            sentence(
                f"{known} : {_pct(rates.implemented)} sont mises en œuvre et {_pct(rates.engaged)} le sont "
                "totalement ou en partie"
            ),
            base,
            weight=rates.engaged,
        )
    )
    assessed = recs[recs["status"].notna()]
    stalled = int((assessed["status"] == FollowUpStatus.NOT_STARTED.value).sum())
    dropped = int((assessed["status"] == FollowUpStatus.ABANDONED.value).sum())
    out.append(
        Finding(
            sec,
            "suivi.non_engagees",
            sentence(
                f"{_of(stalled, rates.assessed, 'recommandation')} ne sont pas engagées et "
                f"{count(dropped, 'recommandation')} {'a' if dropped == 1 else 'ont'} été "
                f"{'abandonnée' if dropped == 1 else 'abandonnées'}"
            ),
            base,
            weight=(stalled + dropped) / rates.assessed,
        )
    )
    by_kind = _followup.rates(recs, "kind")
    by_kind = by_kind[by_kind["assessed"] >= rules.min_assessed].dropna(subset=["engaged"])
    if len(by_kind) >= 2:
        ordered = by_kind.sort_values("engaged", kind="stable")
        lo, hi = str(ordered.index[0]), str(ordered.index[-1])
        engaged = ordered["engaged"].astype(float)
        e_lo, e_hi = float(engaged[lo]), float(engaged[hi])
        gap = e_hi - e_lo
        label_hi, label_lo = in_sentence(label(RecommendationKind(hi))), in_sentence(label(RecommendationKind(lo)))
        if gap >= rules.min_gap:
            counted = ordered["assessed"].astype(int)
            a_hi, a_lo = int(counted[hi]), int(counted[lo])
            out.append(
                Finding(
                    sec,
                    "suivi.types",
                    sentence(
                        f"les recommandations sur « {label_hi} » sont les plus souvent engagées ({_pct(e_hi)}), "
                        f"celles sur « {label_lo} » les moins souvent ({_pct(e_lo)}), soit {_points(gap)} d'écart"
                    ),
                    f"{base_text(a_hi + a_lo, 'recommandation')} suivies de ces deux types",
                    kind="difference",
                    rule=f"écart d'au moins {rules.gap_points}, sur {count(rules.min_assessed, 'recommandation')} "
                    "suivies au moins par type",
                    weight=gap,
                    p_value=_fisher(round(e_hi * a_hi), a_hi, round(e_lo * a_lo), a_lo),
                )
            )
        else:
            out.append(
                Finding(
                    sec,
                    "suivi.types",
                    sentence(
                        f"d'un type de recommandation à l'autre, l'engagement varie peu : de {_pct(e_lo)} "
                        f"(« {label_lo} ») à {_pct(e_hi)} (« {label_hi} »)"
                    ),
                    base,
                    kind="similarity",
                )
            )
    obst = _followup.obstacles(recs, top=3)
    if not obst.empty:
        total = int(assessed["status"].ne(FollowUpStatus.IMPLEMENTED.value).sum())
        first, k = str(obst.iloc[0]["Obstacle"]), int(obst.iloc[0]["Recommandations concernées"])
        text = (
            f"l'obstacle le plus cité est « {in_sentence(first)} » "
            f"({_of(k, total, 'recommandation')} non entièrement mises en œuvre)"
        )
        rest = [
            f"« {in_sentence(str(row['Obstacle']))} » "
            f"({count(int(row['Recommandations concernées']), 'recommandation')})"
            for _, row in obst.iloc[1:].iterrows()
        ]
        if rest:
            text += f", devant {join(rest)}"
        out.append(Finding(sec, "suivi.obstacles", sentence(text), base, weight=k / max(total, 1)))
    levers = recs["lever"].dropna()
    if not levers.empty:
        per = levers.value_counts().sort_values(ascending=False, kind="stable")
        out.append(
            Finding(
                sec,
                "suivi.leviers",
                sentence(
                    f"le levier le plus cité est « {in_sentence(str(per.index[0]))} » "
                    f"({count(int(per.iloc[0]), 'recommandation')})"
                ),
                base,
            )
        )
    return out
