"""Exceptions and warnings raised by csqa, and the one helper that words their messages.

Every error names the place (file, line or row, key), the bad value and, where it helps, the
fix. Each class also subclasses the builtin that existing ``except`` clauses expect.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CsqaError(Exception):
    """Base class of every error csqa raises on purpose."""


class InputError(CsqaError, ValueError):
    """A transcript file or table cannot be read, or a record in it is invalid."""


class ScorecardError(CsqaError, ValueError):
    """A scorecard file or object is invalid."""


class LexiconError(CsqaError, ValueError):
    """A lexicon file, one of its entries or a word set is invalid."""


class UnknownNameError(CsqaError, KeyError):
    """A name (behaviour, detector, format) is not known; the message lists what is."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ModelError(CsqaError, RuntimeError):
    """A model file cannot be loaded or does not match this version of csqa."""


class CsqaWarning(UserWarning):
    """Base class of csqa's warnings."""


class RejectedRecordsWarning(CsqaWarning):
    """Some input records were rejected; they are in the rejects table with their reason."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean "x"?)`` for the closest choice to ``value``, or ``""``.

    Parameters
    ----------
    value : str
        The unknown name the user wrote.
    choices : iterable of str
        The names that exist.
    """
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def not_one_of(where: str, field: str, value: object, choices: Iterable[str]) -> str:
    """Word the message for a value outside a closed set, in csqa's one template.

    Returns ``'<where>: <field> "<value>" is not one of: a, b, c (did you mean "b"?)'``.
    """
    options = sorted(choices)
    return (
        f'{where}: {field} "{value}" is not one of: {", ".join(options)}'
        f"{did_you_mean(str(value), options)}"
    )
