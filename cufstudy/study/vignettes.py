"""Case vignettes: a short structured portrait of each case, built from its coding.

A vignette gives, for one DCOL mission: its **context** (tier, population, DCOL call and year), its
**strategy** (expert type, ambition, motivations, modalities, partner countries, themes), the
**organisation** of its international-relations service before the mission, as recommended and as
observed at follow-up, and its **recommendations** with what became of them. Every part comes from the
case file, so a vignette changes when the coding does; the analyst writes the commentary beside it.

The internal study prints the vignettes of every DCOL mission under the authority's name, with its
interviews (function, date, format and, in the internal view only, the notes, quoted). A public
deliverable may print a vignette only with ``public=True`` (:func:`vignettes`): the case is then named by
its neutral label (:func:`cufstudy.study.pseudonyms.neutral_labels`) while its coding is illustrative, and
the facts that would identify it beside that coding (population, DCOL call, year of the mission, partner
countries) and the interviews are left out, so no real authority is shown beside an invented coding.

Examples
--------
>>> from cufstudy.model.cases import load_cases  # doctest: +SKIP
>>> base = load_cases("data").population("dcol")  # doctest: +SKIP
>>> print(to_markdown(vignette(base["ville-pau"], "Diplomatie territoriale et influence")))  # doctest: +SKIP
### Ville de Pau
...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cufstudy.core.french import escape_md, format_date, format_fr, format_number
from cufstudy.core.sentences import cardinal, count, in_sentence, sentence
from cufstudy.model.cases import Case, CaseBase, ServiceSnapshot
from cufstudy.model.countries import COUNTRIES_FR
from cufstudy.model.vocab import FollowUpStatus, Provenance, label

__all__ = ["MOMENTS", "Vignette", "to_markdown", "vignette", "vignettes"]

MOMENTS: Mapping[str, str] = {
    "before": "Avant la mission",
    "recommended": "Recommandée par la mission",
    "after": "Observée au suivi",
}
"""The three moments of a service's organisation, as a vignette titles them."""

_ENGAGED = (FollowUpStatus.IMPLEMENTED, FollowUpStatus.PARTLY)


@dataclass(frozen=True)
class Vignette:
    """The portrait of one case, as French text in parts.

    Attributes
    ----------
    case_id
        The case.
    name
        The name it is printed under (its own, or its neutral label in a public vignette).
    context, follow_up
        One or two sentences each.
    strategy
        ``(field, value)`` pairs: type, ambition, motivations, modalities, themes, partner countries.
    organisation
        ``(moment, description)`` for each moment coded (:data:`MOMENTS`).
    recommendations
        ``(text, status, obstacle or lever)``, in the order of the case file.
    interviews
        One line per interview (internal vignettes only).
    public
        Made for a public deliverable (neutral label, identifying facts left out).
    illustrative
        The case's coding is illustrative (the vignette says so).
    """

    case_id: str
    name: str
    context: str
    strategy: tuple[tuple[str, str], ...]
    organisation: tuple[tuple[str, str], ...]
    recommendations: tuple[tuple[str, str, str | None], ...]
    follow_up: str
    interviews: tuple[str, ...] = ()
    public: bool = False
    illustrative: bool = False


def _snapshot(snap: ServiceSnapshot) -> str:
    parts = [in_sentence(label(snap.attachment)), format_fr(float(snap.fte), "ETP", decimals=1)]
    if snap.budget_eur is not None:
        parts.append(f"budget annuel de {format_fr(snap.budget_eur, '€')}")
    return ", ".join(parts)


def _context(case: Case, public: bool) -> str:
    a = case.authority
    text = label(a.tier)
    if public:
        text += ", accompagnée par le DCOL pour sa stratégie" if case.is_dcol else ", hors DCOL"
    else:
        if a.population is not None:
            text += f" de {format_number(a.population.value, unit='habitants')} ({a.population.year})"
        call = f"accompagnée lors de l'appel {case.dcol_label}" if case.is_dcol else "hors DCOL"
        year = f", mission de {case.mission_year}" if case.mission_year else ""
        text += f", {call}{year}"
    return sentence(text)


def _strategy(case: Case, type_name: str | None, public: bool) -> tuple[tuple[str, str], ...]:
    s = case.strategy
    parts: list[tuple[str, str]] = []
    if type_name:
        parts.append(("Type", f"« {type_name} »"))
    parts.append(("Ambition", f"{in_sentence(label(s.ambition))} (niveau {int(s.ambition)} sur 4)"))
    parts.append(("Motivations", ", ".join(in_sentence(label(m)) for m in s.motivations)))
    parts.append(("Modalités", ", ".join(in_sentence(label(m)) for m in s.modalities)))
    if s.themes:
        parts.append(("Thématiques", ", ".join(in_sentence(label(t)) for t in s.themes)))
    if s.partner_countries and not public:
        parts.append(("Pays partenaires", ", ".join(COUNTRIES_FR.get(c, c) for c in s.partner_countries)))
    parts.append(("Savoir-faire du territoire", "valorisés à l'international" if s.know_how_promotion else "non cités"))
    return tuple(parts)


def _follow_up(case: Case) -> str:
    recs = case.recommendations
    if not recs:
        return sentence("la mission n'a pas formulé de recommandation codée")
    followed = [r for r in recs if r.follow_up is not None]
    if not followed:
        return sentence(f"le suivi des {count(len(recs), 'recommandation')} n'est pas encore renseigné")
    engaged = sum(1 for r in followed if r.follow_up is not None and r.follow_up.status in _ENGAGED)
    if len(followed) == 1:
        text = "la recommandation suivie " + ("est engagée" if engaged else "n'est pas engagée")
    elif engaged == 0:
        text = f"aucune des {count(len(followed), 'recommandation')} suivies n'est engagée"
    else:
        verb = "est engagée" if engaged == 1 else "sont engagées"
        text = f"{count(engaged, 'recommandation')} sur {cardinal(len(followed), feminine=True)} suivies {verb}"
    if engaged:
        text += " totalement ou en partie"
    o = case.organisation
    if o.before and o.recommended and o.after and o.recommended.attachment is not o.before.attachment:
        if o.after.attachment is o.recommended.attachment:
            text += " ; le rattachement recommandé a été adopté"
        elif o.after.attachment is o.before.attachment:
            text += " ; le service a gardé son rattachement d'avant la mission"
        else:
            text += " ; le service a pris un autre rattachement que celui recommandé"
    return sentence(text)


def _interviews(case: Case) -> tuple[str, ...]:
    lines = []
    example = " (exemple du codage illustratif)" if case.provenance is Provenance.ILLUSTRATIVE else ""
    for i in case.interviews:
        how = f", {in_sentence(label(i.format))}" if i.format else ""
        line = f"Entretien du {format_date(i.date)}{how} : {in_sentence(i.role)}{example}"
        if i.organisation_view is not None:
            line += f" ; appréciation de l'organisation : {in_sentence(label(i.organisation_view))}"
        if i.notes:
            line += f" — « {i.notes.strip()} »"
        lines.append(line)
    return tuple(lines)


def vignette(case: Case, type_name: str | None = None, name: str | None = None, *, public: bool = False) -> Vignette:
    """The vignette of one case.

    Parameters
    ----------
    case
        The case (its public view leaves out the interview notes).
    type_name
        Its expert strategy type, when classified.
    name
        The name to print (default: the authority's name; a public vignette needs its neutral label).
    public
        Leave out the facts that identify the case and the interviews.
    """
    o = case.organisation
    organisation = tuple(
        (MOMENTS[moment], _snapshot(snap))
        for moment, snap in (("before", o.before), ("recommended", o.recommended), ("after", o.after))
        if snap is not None
    )
    recommendations = tuple(
        (
            r.text,
            label(r.follow_up.status) if r.follow_up else "Suivi non renseigné",
            (r.follow_up.obstacle or r.follow_up.lever) if r.follow_up else None,
        )
        for r in case.recommendations
    )
    return Vignette(
        case_id=case.id,
        name=name or case.authority.name,
        context=_context(case, public),
        strategy=_strategy(case, type_name, public),
        organisation=organisation,
        recommendations=recommendations,
        follow_up=_follow_up(case),
        interviews=() if public else _interviews(case),
        public=public,
        illustrative=case.provenance is Provenance.ILLUSTRATIVE,
    )


def vignettes(
    cases: CaseBase | Iterable[Case],
    type_names: Mapping[str, str] | None = None,
    *,
    public: bool = False,
    everyone: CaseBase | Iterable[Case] | None = None,
) -> list[Vignette]:
    """The vignettes of ``cases``, in the order of their names (or of their neutral labels when public).

    Parameters
    ----------
    cases
        The cases to portray (``study.dcol.base``).
    type_names
        The expert type of each case, by id.
    public
        For a public deliverable: neutral labels while the coding is illustrative
        (:func:`cufstudy.study.pseudonyms.public_names`, computed on ``everyone``, the whole case base, so a
        case has the same label in every deliverable), identifying facts and interviews left out.
    """
    chosen = list(cases)
    names: Mapping[str, str] = {}
    if public:
        from cufstudy.study.pseudonyms import public_names

        names = public_names(list(everyone) if everyone is not None else chosen)
    out = [vignette(c, (type_names or {}).get(c.id), names.get(c.id), public=public) for c in chosen]
    return sorted(out, key=lambda v: v.name)


def to_markdown(v: Vignette, level: int = 3) -> str:
    """The vignette as Markdown: a heading, then its parts as a short list (French-escaped)."""
    hashes = "#" * level
    lines = [f"{hashes} {escape_md(v.name)}", ""]
    if v.illustrative:
        lines += ["*Codage illustratif : portrait d'exemple, à remplacer par le codage des analystes.*", ""]
    lines += [f"**Contexte.** {escape_md(v.context)}", "", "**Stratégie.**", ""]
    lines += [f"- {name} : {escape_md(text)}" for name, text in v.strategy]
    lines.append("")
    if v.organisation:
        lines.append("**Organisation du service.**")
        lines.append("")
        lines += [f"- {moment} : {escape_md(text)}" for moment, text in v.organisation]
        lines.append("")
    if v.recommendations:
        lines.append("**Recommandations et suivi.**")
        lines.append("")
        for i, (text, status, note) in enumerate(v.recommendations, start=1):
            tail = f" ({escape_md(in_sentence(note))})" if note else ""
            lines.append(f"{i}. {escape_md(text)} : *{escape_md(in_sentence(status))}*{tail}")
        lines.append("")
    lines += [f"**Bilan.** {escape_md(v.follow_up)}", ""]
    if v.interviews:
        lines.append("**Entretiens.**")
        lines.append("")
        lines += [f"- {escape_md(line)}" for line in v.interviews]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
