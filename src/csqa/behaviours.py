"""The behaviour catalogue: ``BEHAVIOURS``, read once from the packaged ``behaviours.toml``."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources

from csqa.errors import UnknownNameError, did_you_mean


@dataclass(frozen=True)
class Behaviour:
    """One catalogue entry.

    Attributes
    ----------
    id : str
        Stable id (a public contract: output columns, scorecards and gold labels use it).
    level : {"utterance", "call"}
        Found in one turn, or decided over the whole conversation.
    polarity : {"credit", "cost", "signal"}
        Earns credit, costs credit, or is customer context that is never scored.
    speaker : {"agent", "customer", "any"}
        Whose turns it is found in; a hit in anyone else's turn is discarded.
    found_by : {"lexicon", "rule", "both"}
        Lexicon entries, a conversation rule, or both.
    description : str
    examples : tuple of str
    """

    id: str
    level: str
    polarity: str
    speaker: str
    found_by: str
    description: str
    examples: tuple[str, ...] = ()

    @property
    def lexical(self) -> bool:
        """True when lexicon entries can emit this behaviour."""
        return self.found_by in ("lexicon", "both")


class Catalogue(Mapping[str, Behaviour]):
    """A read-only, ordered mapping from behaviour id to :class:`Behaviour`."""

    def __init__(self, behaviours: list[Behaviour]) -> None:
        self._items = {b.id: b for b in behaviours}

    def __getitem__(self, key: str) -> Behaviour:
        try:
            return self._items[key]
        except KeyError:
            raise UnknownNameError(
                f'"{key}" is not a behaviour id{did_you_mean(key, self._items)}; '
                f"known ids: {', '.join(self._items)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Catalogue({', '.join(self._items)})"

    def ids(self, *, polarity: str | None = None, level: str | None = None) -> tuple[str, ...]:
        """Return behaviour ids, optionally only those of one polarity and/or level."""
        return tuple(
            b.id for b in self._items.values()
            if (polarity is None or b.polarity == polarity) and (level is None or b.level == level)
        )


def _load() -> Catalogue:
    text = resources.files("csqa").joinpath("behaviours.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return Catalogue([
        Behaviour(id=key, examples=tuple(entry.pop("examples", ())), **entry)
        for key, entry in data.items()
    ])


BEHAVIOURS: Catalogue = _load()
"""The catalogue, in the order of ``shared/docs/BEHAVIOURS.md``."""
