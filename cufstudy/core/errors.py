"""The one error hierarchy of cufstudy.

Every error a user can cause derives from :class:`CufstudyError`. Errors about input files are
:class:`ProblemError`\\ s: they carry :class:`~cufstudy.core.problems.Problem` records (file, line,
field, message, reason code), and every check collects all the problems of its input before raising,
so an analyst fixes everything in one pass::

    CufstudyError
    ├── ProblemError          carries .problems
    │   ├── DataError         an input file (cases, typology, partnership, grid...) is invalid
    │   │   └── PlanError     the run plan of _quarto.yml is invalid
    │   └── SourceError       the sources of a deliverable use what the renderer cannot render (also a RenderError)
    ├── AnalysisError         an analysis cannot be computed from these cases or arguments (also a ValueError)
    │   └── InsufficientDataError   too few cases or values for it: carries what a deliverable says instead
    ├── NotFoundError         a strategy type, SDG code... asked for does not exist (also a KeyError)
    ├── ArgumentError         a command or function was called with an argument it cannot take (exit code 2)
    ├── RunError, FactError, LeakError, LockError
    ├── WriteError            a file cannot be written: disk full, permission denied, read-only folder
    ├── ProjectError          a project cannot be created there (cufstudy new: a folder not empty, a profile unknown)
    └── RenderError
        ├── LayoutError
        └── SourceError
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar, Self

from cufstudy.core.problems import Problem, Problems, Reason, report

__all__ = [
    "AnalysisError",
    "ArgumentError",
    "CufstudyError",
    "CufstudyWarning",
    "DataError",
    "FactError",
    "InsufficientDataError",
    "LayoutError",
    "LeakError",
    "LockError",
    "NotFoundError",
    "PlanError",
    "Problem",
    "ProblemError",
    "Problems",
    "ProjectError",
    "Reason",
    "RenderError",
    "RunError",
    "SourceError",
    "WriteError",
]


class CufstudyError(Exception):
    """Base class of every error cufstudy raises on purpose."""


class ProblemError(CufstudyError):
    """Invalid input: ``problems`` lists every located problem found, sorted by file and line.

    Parameters
    ----------
    problems
        The problems; repeated ones are listed once.
    summary
        The first line of the message (default: ``"<n> problems found"``).
    """

    noun: ClassVar[str] = "problem"
    """What the default summary counts."""

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(dict.fromkeys(problems), key=Problem.sort_key))
        n = len(self.problems)
        self.summary = summary or f"{n} {self.noun}{'s' if n != 1 else ''} found"
        super().__init__(report(self.summary, self.problems))

    @classmethod
    def single(
        cls,
        file: str | Path,
        message: str,
        line: int | None = None,
        field: str | None = None,
        reason: Reason = Reason.INVALID_VALUE,
    ) -> Self:
        """The error of one problem."""
        return cls([Problem(str(file), message, line, field, reason)])


class DataError(ProblemError):
    """One or more input files are invalid."""


class PlanError(DataError):
    """The run plan under the ``cufstudy:`` key of ``_quarto.yml`` is invalid."""


class AnalysisError(CufstudyError, ValueError):
    """An analysis cannot be computed from these cases or with these arguments (too few cases, unknown variable).

    Also a ``ValueError``, as the errors of pandas or scikit-learn in the same situation.
    """


class InsufficientDataError(AnalysisError):
    """The data are too few for an analysis or a chart (a study that starts with a handful of cases).

    Not a mistake of the analyst: a notebook catches it (:func:`cufstudy.notebook.enough_data`) and shows
    ``sentence`` in place of the result, so the deliverable says why the result is missing.

    Parameters
    ----------
    message
        What is missing, in English (logs, the command line).
    sentence
        The same in French, a whole sentence as the deliverable prints it (French typography).

    Examples
    --------
    >>> err = InsufficientDataError("no recommendation has a follow-up", "Aucun suivi n’est encore renseigné.")
    >>> str(err), err.sentence
    ('no recommendation has a follow-up', 'Aucun suivi n’est encore renseigné.')
    """

    def __init__(self, message: str, sentence: str) -> None:
        super().__init__(message)
        self.sentence = sentence

    def __reduce__(self) -> tuple[type[InsufficientDataError], tuple[str, str]]:  # picklable with its sentence
        return (type(self), (str(self), self.sentence))


class NotFoundError(CufstudyError, KeyError):
    """What was asked for (a strategy type, an SDG code, a case id) does not exist; the message names what does.

    Also a ``KeyError``, so that ``except KeyError`` and ``dict``-like use keep working.
    """

    def __str__(self) -> str:  # KeyError quotes its message; this one is a sentence
        return str(self.args[0]) if self.args else ""


class ArgumentError(CufstudyError):
    """A command or function was called with an argument it cannot take: an unknown profile, a format the
    profile does not have, an engine that is not installed, a parameter value outside its vocabulary.

    Raised before any work starts. The command line reports it as a usage error (exit code 2, as for an
    unknown option); the message names the valid values, with the nearest one (``did you mean``).

    Parameters
    ----------
    message
        What is wrong and what is valid.
    param
        The command-line parameter it came from (``--to``, ``PROFILE``), for the usage message.
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        self.param = param
        super().__init__(message)


class RunError(CufstudyError):
    """One or more notebook runs failed (their details are in the manifest)."""

    def __init__(self, message: str, failures: Sequence[str] = ()) -> None:
        self.failures = tuple(failures)
        super().__init__(message)


class FactError(CufstudyError):
    """A fact is missing, stale, or recorded twice with different values."""


class RenderError(CufstudyError):
    """A document could not be rendered (unsupported construct, conversion failure)."""


class SourceError(ProblemError, RenderError):
    """The sources of a deliverable use something the renderer cannot render."""

    noun = "render problem"


class LayoutError(RenderError):
    """A rendered deliverable breaks a layout rule (page count, paper size)."""


class LeakError(CufstudyError):
    """A confidential value was found in a public output."""


class LockError(CufstudyError):
    """Another build holds the project lock."""


_WRITE_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space, then run the command again",
    errno.EDQUOT: "the disk quota is exhausted: free some space, then run the command again",
    errno.EFBIG: "the file is too large for this file system",
    errno.EACCES: "permission denied: make the folder writable for this user (or run as its owner)",
    errno.EPERM: "operation not permitted: make the folder writable for this user (or run as its owner)",
    errno.EROFS: "the file system is read-only: work in a writable copy of the project",
}


class WriteError(CufstudyError, OSError):
    """A file could not be written: the disk is full, permission is denied, the folder is read-only.

    The message names the file (or the folder being written to) and what to do; files are written
    atomically (:mod:`cufstudy.core.atomic`), so the previous version of every file is kept. Also an
    ``OSError`` (with the ``errno`` of the failure), as the error it words: code that tolerates a failed
    write of a cache (``except OSError``) goes on tolerating it.
    """

    def __init__(self, path: str | Path | None, error: OSError, verb: str = "write") -> None:
        self.path = None if path is None else Path(path)
        advice = _WRITE_ADVICE.get(error.errno or 0) or (error.strerror or str(error))
        where = f"cannot {verb} {self.path}" if self.path is not None else f"cannot {verb} a file"
        self.message = f"{where}: {advice}; the previous files were kept"
        super().__init__(error.errno, self.message)

    def __str__(self) -> str:
        return self.message

    @staticmethod
    def handles(error: BaseException) -> bool:
        """Whether ``error`` is a failure to write that :class:`WriteError` words (disk full, permissions...),
        and not yet worded."""
        return isinstance(error, OSError) and not isinstance(error, WriteError) and error.errno in _WRITE_ADVICE

    @classmethod
    def from_os(cls, error: OSError, default: str | Path | None = None, verb: str = "write") -> WriteError:
        """The error of a failed write, naming the file the system named, else ``default``.

        ``verb`` says what failed, when it is not known to be a write (``"access"``).
        """
        if isinstance(error, WriteError):
            return error
        named = error.filename
        path = Path(os.fsdecode(named)) if isinstance(named, str | bytes | os.PathLike) else default
        return cls(path, error, verb)


class CufstudyWarning(UserWarning):
    """Something the user should know that does not stop the work (a workbook holding macros).

    Raised with :func:`warnings.warn`; the command line prints each as ``warning: <message>``.
    """
class ProjectError(CufstudyError):
    """A project cannot be created where asked (``cufstudy new``: the folder is not empty, a profile is unknown)."""
