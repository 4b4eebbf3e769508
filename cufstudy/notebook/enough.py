"""When the data are too few: the notebook cell shows a French sentence in place of the result.

A study starts with a handful of cases: a data-driven typology needs five, a chart of partner countries needs
one country coded, a follow-up chart one recommendation. The analyses and charts raise
:class:`~cufstudy.core.errors.InsufficientDataError` then, carrying the sentence a reader should see; a cell
that may meet it wraps its work in :func:`enough_data`::

    #| label: fig-carte-pays
    #| fig-cap: "Pays partenaires cités par les stratégies"
    with enough_data():
        charts.display(charts.partner_countries_map(frame, study.data))

With enough data the cell shows the chart; otherwise it shows « Carte non tracée : aucun pays partenaire
n’est encore codé. », which the deliverable prints in the chart's place (with its caption, so numbering and
cross-references stay as they are). Any other error still fails the run: only a lack of data is turned into
a sentence.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from cufstudy.core.errors import InsufficientDataError
from cufstudy.core.french import escape_md

__all__ = ["enough_data", "say"]


def say(sentence: str) -> None:
    """Show a French sentence as the cell's Markdown output (escaped: printed as written), in italics.

    Outside a notebook (a script, a test), the sentence is printed.
    """
    try:
        import IPython
        import IPython.display
    except ImportError:  # pragma: no cover - IPython is a dependency through ipykernel
        print(sentence)
        return
    if IPython.get_ipython() is None:
        print(sentence)
        return
    show: Any = IPython.display.display
    show({"text/markdown": f"*{escape_md(sentence)}*", "text/plain": sentence}, raw=True)


@contextlib.contextmanager
def enough_data() -> Iterator[None]:
    """Run the block; if the data are too few for it, show the error's French sentence instead (:func:`say`).

    Examples
    --------
    >>> with enough_data():
    ...     raise InsufficientDataError("no country", "Carte non tracée : aucun pays partenaire n’est codé.")
    Carte non tracée : aucun pays partenaire n’est codé.
    """
    try:
        yield
    except InsufficientDataError as exc:
        say(exc.sentence)
