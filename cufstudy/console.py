"""The ``cufstudy`` console script: a build with nothing to do is answered before the command line loads.

:func:`cufstudy.pipeline.uptodate.answer` needs only the standard library; every other command, and a build
with something to do, goes on to :mod:`cufstudy.cli` (Typer, Rich and the library).
"""

from __future__ import annotations

import sys
import time

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``cufstudy`` console script."""
    started = time.perf_counter()
    from cufstudy.pipeline.uptodate import answer

    if answer(sys.argv[1:], started=started):
        return
    from cufstudy.cli import main as cli

    cli()
