"""A one-page English summary of the toolbox and of a partnership, for international forums (the UN High-Level
Political Forum, UCLG and PLATFORMA meetings).

Built from the same facts as the French toolbox: the partnership's summary (:func:`cufstudy.sdg.contribution.summary`),
its contributions by goal with the framework's English goal titles, the contribution scale, and the length of
the training-action. The text avoids the colon, the semicolon and the question and exclamation marks, which the
French typography of the deliverables would space the French way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cufstudy.sdg.framework import Framework
from cufstudy.sdg.partnerships import Level, Partnership, Side

__all__ = ["CONTACT_URL", "LEVEL_LABELS_EN", "GoalLine", "count_en", "forum_summary", "goal_lines"]

LEVEL_LABELS_EN: Final[dict[Level, str]] = {
    Level.NONE: "none",
    Level.AWARENESS: "awareness",
    Level.OUTPUT: "output",
    Level.OUTCOME: "outcome",
    Level.PRINCIPAL: "structural",
}
CONTACT_URL: Final = "https://cites-unies-france.org/"
"""Where a forum's participants find Cités Unies France."""
_WORDS: Final = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def count_en(n: int, noun: str, plural: str | None = None) -> str:
    """``three projects``, ``one goal``, ``12 targets``: a count in English running text (words below ten).

    Examples
    --------
    >>> count_en(3, "project"), count_en(1, "goal"), count_en(12, "target"), count_en(0, "activity", "activities")
    ('three projects', 'one goal', '12 targets', 'no activities')
    """
    word = _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"
    return f"{word} {noun if n == 1 else (plural or noun + 's')}"


@dataclass(frozen=True)
class GoalLine:
    """A goal the partnership contributes to: its highest level, its projects and its targets."""

    goal: int
    title_en: str
    max_level: Level
    projects: int
    targets: tuple[str, ...]


def _goal(code: str) -> int:
    return int(code.split(".")[0])


def goal_lines(partnership: Partnership, framework: Framework) -> list[GoalLine]:
    """The goals with a contribution (level 1 or more), by goal number."""
    by_goal: dict[int, list[tuple[str, Level, str]]] = {}
    for project in partnership.projects:
        for link in project.links:
            if link.level > 0:
                by_goal.setdefault(_goal(link.target), []).append((project.id, link.level, link.target))
    order = {t.code: i for i, t in enumerate(framework.targets)}
    return [
        GoalLine(
            goal=goal,
            title_en=framework.goal(goal).title_en,
            max_level=max(level for _, level, _ in rows),
            projects=len({p for p, _, _ in rows}),
            targets=tuple(sorted({t for _, _, t in rows}, key=lambda c: order.get(c, 0))),
        )
        for goal, rows in sorted(by_goal.items())
    ]


def _table(lines: Iterable[GoalLine]) -> str:
    out = ["| SDG | Highest contribution | Projects | Targets |", "|:---|:---|---:|:---|"]
    for g in lines:
        level = f"{int(g.max_level)} – {LEVEL_LABELS_EN[g.max_level]}"
        out.append(f"| {g.goal} – {g.title_en} | {level} | {g.projects} | {', '.join(g.targets)} |")
    return "\n".join(out)


def forum_summary(
    partnership: Partnership,
    framework: Framework,
    *,
    sessions: int | None = None,
    sessions_compact: int | None = None,
) -> str:
    """The English summary as Markdown: the method, the partnership's figures, a table by goal, key messages.

    Parameters
    ----------
    sessions, sessions_compact
        The half-days of the training-action, full and compact formats (from :mod:`cufstudy.sdg.training`).
    """
    links = [(p, k) for p in partnership.projects for k in p.links]
    contributing = [k for _, k in links if k.level > 0]
    goals = goal_lines(partnership, framework)
    structural = sum(1 for k in contributing if k.level is Level.PRINCIPAL)
    reciprocal = sum(1 for k in contributing if k.side in (Side.FRANCE, Side.BOTH))
    measured = [p for i in partnership.indicators if (p := i.progress) is not None]
    budget = sum(p.budget_eur or 0 for p in partnership.projects)
    un = sum(1 for i in partnership.indicators if i.source == "un")
    french, partner = partnership.french_authority.name, partnership.partner.name
    parts = []
    if partnership.is_illustrative:
        parts.append(
            "**Illustrative data.** The coding of this partnership is an example that shows what the grid produces. "
            "No figure below is a measured result. The coding agreed during the training-action will replace it."
        )
    training = ""
    if sessions:
        training = f" A training-action of {count_en(sessions, 'half-day')} by video-conference"
        if sessions_compact and sessions_compact != sessions:
            training += (
                f" (or {_WORDS[sessions_compact] if sessions_compact < 10 else sessions_compact} in a compact format)"
            )
        training += " builds the grid with both partners, session by session."
    parts.append(
        "**The toolbox.** Cités Unies France, the French network of local governments engaged in international "
        "action, has designed with the support of PLATFORMA and UCLG a toolbox that turns the SDGs into a common "
        "language for decentralised cooperation. The partners list their cooperation projects and link each project "
        "to the SDG targets it serves. They rate each link from 0 to 4, an extension of the OECD DAC policy markers "
        "(0 none, 1 awareness, 2 output, 3 outcome, 4 structural), justify every level and state the territory it "
        "acts on, in France, in the partner's territory or both. Indicators (UN global, national, territorial or "
        "local) are normalised from 0 at the baseline to 100 at the 2030 target, as in the OECD territorial approach "
        "to the SDGs, and a roadmap turns the grid into commitments. An Excel grid, checked automatically, makes the "
        "method transferable to any pair of local governments." + training
    )
    figures = (
        f"**The pilot partnership — {french} and {partner}.** The coding describes "
        f"{count_en(len(partnership.projects), 'project')} with a total budget of EUR {budget:,}, linked to "
        f"{count_en(len({k.target for k in contributing}), 'SDG target')} of {count_en(len(goals), 'goal')}. "
        f"{count_en(structural, 'contribution').capitalize()} {'is' if structural == 1 else 'are'} structural. "
        f"The partnership follows {count_en(len(partnership.indicators), 'indicator')}, "
        f"{'including ' + count_en(un, 'UN global indicator') if un else 'none of them a UN global indicator'}"
    )
    if measured:
        mean = sum(p.clipped for p in measured) / len(measured)
        measured_so_far = count_en(len(measured), "indicator")
        figures += (
            f". The {measured_so_far.removeprefix('one ')} measured so far "
            f"{'scores' if len(measured) == 1 else 'score'} {mean:.0f} out of 100"
            f"{'' if len(measured) == 1 else ' on average'} "
            "(0 at the baseline, 100 at the 2030 target)."
        )
    else:
        figures += "."
    parts.append(figures)
    parts.append(_table(goals))
    messages = [
        "Decentralised cooperation contributes to the SDGs on both territories — "
        f"{count_en(reciprocal, 'contribution')} out of {len(contributing)} also act in France.",
        "Each contribution is credited to the level of government that holds the function. The grid checks the "
        "ratings against the competences of local governments in the partner country.",
        "Few targets, well justified, measured with indicators the partners can collect themselves, make the "
        "contribution of decentralised cooperation visible in national reviews and at the HLPF.",
    ]
    parts.append("**Key messages.**\n\n" + "\n".join(f"- {m}" for m in messages))
    parts.append(f"**Contact.** Cités Unies France, SDG group — <{CONTACT_URL}>")
    return "\n\n".join(parts) + "\n"
