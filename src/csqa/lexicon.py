"""Load and validate lexicon files: the phrases that lexical behaviours and cues are found by.

Layout (package data, and the same shape for an analyst's own files)::

    lexicons/<lang>/<family>.jsonl   one rule per line (see docs/lexicons.md)
    lexicons/<lang>/sets.toml        named word sets used as @name in patterns

Every rule is checked when loaded; a bad one stops with ``LexiconError`` naming the file, the
line, the field and the fix (``apology.jsonl:12: label "apologie" is not a behaviour id or
cue (did you mean "apology"?)``).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from csqa.behaviours import BEHAVIOURS
from csqa.errors import LexiconError, did_you_mean
from csqa.nlp import NAME_WORD, norm
from csqa.patterns import Pattern, PatternSyntaxError, compile_pattern
from csqa.types import LANGS, PathLike

CUES: dict[str, str] = {
    "cue.negator": "a negation that cancels a phrase right after it (not, tak, hindi)",
    "cue.reported": "reported speech or a quoted question (you said, sabi mo, kata encik)",
    "cue.dont_know": "the agent says it does not know (i don't know, saya tak tahu, hindi ko alam)",
    "cue.followup": "an offer to check, call back or transfer that answers a cue.dont_know",
    "cue.hold": "a hold announcement (may i put you on hold, tunggu sekejap, hold lang po)",
    "cue.self_intro": "a speaker introducing itself by name; the name follows the phrase",
    "cue.address": "words that address someone by name (sir, puan, ma'am) right before the name",
    "cue.name_before": "a phrase that follows the speaker's own name (kevin here, maria santos po ito, aina sini)",
    "cue.name_request": "the agent asks for the customer's name (may i have your name, boleh saya dapatkan nama)",
    "cue.nickname": "the customer gives the name to be called by (just call me, panggil saya, tawagin nyo akong)",
    "cue.other_name_request": "the agent asks for someone else's name (the patient's, nama anak, pangalan ng pasyente)",
    "cue.offer": "a product or price word that makes an agent turn an offer (plan, add-on, a month)",
    "cue.interest": "the customer shows interest in a product (how much is, magkano, berapa harga) or a need one answers",
    "cue.tailored": "the agent ties an offer to what the customer said (since you travel, in that case, kalau macam tu)",
}
"""Cue labels: found like behaviours but consumed by guards and conversation rules, never output.

A label ``not.<behaviour>`` (or ``not.<cue>``) is a veto: a match of it that overlaps a match of
``<behaviour>`` in the same utterance cancels that match ("sorry, could you repeat that" is not
an apology; "i don't know if you got our sms" is not the agent not knowing)."""

RULE_FIELDS = {"id", "label", "pattern", "confidence", "negatable", "where", "final", "speaker", "note"}
WHERE = ("anywhere", "opening", "closing")


@dataclass(frozen=True)
class Rule:
    """One lexicon line, validated and compiled.

    Attributes
    ----------
    id : str
        Unique rule id, ``<lang>.<label>.<name>``; it is the ``source`` of the hits it makes.
    label : str
        A behaviour id or a cue label (``cue.*``).
    lang : str
        Language folder it came from (``en``, ``ms``, ``tl``) or ``xx`` for an analyst's file.
    pattern : Pattern
    confidence : float
    negatable : bool
        Whether a negator just before the match cancels it (false for phrases that carry
        their own negation, such as "i don't know").
    where : {"anywhere", "opening", "closing"}
        ``opening`` / ``closing`` keep the match only in the agent's first / last turns.
    origin : str
        ``file:line`` the rule came from.
    final : bool
        Whether its hits stand as found: the trained model does not overrule them (its
        ``confirm_floor``). True by default for an analyst's own files, whose phrases say what
        the analyst wants counted; false by default for the shipped rules.
    """

    id: str
    label: str
    lang: str
    pattern: Pattern
    confidence: float = 0.9
    negatable: bool = True
    where: str = "anywhere"
    origin: str = ""
    final: bool = False


@dataclass(frozen=True)
class Lexicon:
    """All rules and word sets in force for one run."""

    rules: tuple[Rule, ...]
    sets: Mapping[str, frozenset[str]]
    names: frozenset[str] = frozenset()
    """Given and family names from the ``names.txt`` files (normal forms)."""

    def labels(self) -> set[str]:
        """Every label some rule emits."""
        return {r.label for r in self.rules}

    def languages(self, label: str) -> set[str]:
        """Languages that have at least one rule for ``label``."""
        return {r.lang for r in self.rules if r.label == label}


def _package_root() -> Path:
    return Path(str(resources.files("csqa").joinpath("lexicons")))


def _lexicon_files(root: Path) -> dict[str, list[tuple[str, Path]]]:
    """(lang, path) pairs under a lexicon folder or file, by kind: ``.jsonl`` rules, ``.toml``
    word sets, ``names.txt`` (``*names.txt``) name lists. Other files in a folder are not
    lexicon files; a single file of another kind is an error."""
    files: dict[str, list[tuple[str, Path]]] = {".jsonl": [], ".toml": [], ".txt": []}
    for path in [root] if root.is_file() else sorted(root.rglob("*")):
        kind = path.suffix if path.suffix in (".jsonl", ".toml") else ".txt" if path.name.endswith("names.txt") else None
        if kind:
            files[kind].append((path.parent.name if path.parent.name in LANGS else "xx", path))
        elif path == root:
            raise LexiconError(f"{path}: not a lexicon file (.jsonl rules, .toml word sets or a *names.txt name list)")
    return files


def _read_lines(path: Path, what: str) -> list[str]:
    """The lines of a UTF-8 text file, or a LexiconError naming the file and ``what`` it holds."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(f"{path}: cannot read {what}: {exc}") from None


def _read_names(files: Iterable[tuple[str, Path]]) -> frozenset[str]:
    """The words of name-list files: names separated by spaces or lines, ``#`` starts a comment."""
    names: set[str] = set()
    for _, path in files:
        for number, line in enumerate(_read_lines(path, "name list"), start=1):
            for word in line.split("#", 1)[0].split():
                if not NAME_WORD.fullmatch(word):
                    raise LexiconError(f"{path}:{number}: {word!r} is not a name (letters, apostrophes and hyphens only)")
                names.add(norm(word))
    return frozenset(names)


def _read_sets(files: Iterable[tuple[str, Path]]) -> dict[str, frozenset[str]]:
    merged: dict[str, set[str]] = {}
    for _, path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise LexiconError(f"{path}: cannot read word sets: {exc}") from None
        for name, words in data.get("sets", {}).items():
            if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
                raise LexiconError(f"{path}: [sets] {name} must be a list of non-empty strings")
            merged.setdefault(name, set()).update(norm(w.strip()) for w in words)
    return {k: frozenset(v) for k, v in merged.items()}


def _check_rule(raw: object, where: str, lang: str, sets: Mapping[str, frozenset[str]], final: bool = False) -> Rule:
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: a rule must be a JSON object")
    unknown = set(raw) - RULE_FIELDS
    if unknown:
        field = sorted(unknown)[0]
        raise LexiconError(f'{where}: field "{field}" is not one of: {", ".join(sorted(RULE_FIELDS))}{did_you_mean(field, RULE_FIELDS)}')
    for field in ("id", "label", "pattern"):
        if field not in raw:
            raise LexiconError(f'{where}: field "{field}" is missing')
    rid, label = raw["id"], raw["label"]
    if not isinstance(rid, str) or not rid:
        raise LexiconError(f"{where}: id must be a non-empty string")
    known = [b for b in BEHAVIOURS if BEHAVIOURS[b].lexical] + list(CUES)
    known += [f"not.{b}" for b in BEHAVIOURS if BEHAVIOURS[b].lexical] + [f"not.{c}" for c in CUES]
    if label not in known:
        hint = did_you_mean(str(label), known)
        extra = " (its behaviour is found by a conversation rule, not a lexicon)" if label in BEHAVIOURS else ""
        raise LexiconError(f'{where}: label "{label}" is not a lexical behaviour id or cue{extra}{hint}')
    conf = raw.get("confidence", 0.9)
    if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0.0 < conf <= 1.0:
        raise LexiconError(f"{where}: confidence {conf!r} is not a number in (0, 1]")
    negatable = raw.get("negatable", True)
    if not isinstance(negatable, bool):
        raise LexiconError(f"{where}: negatable {negatable!r} is not true or false")
    final = raw.get("final", final)
    if not isinstance(final, bool):
        raise LexiconError(f"{where}: final {final!r} is not true or false")
    position = raw.get("where", "anywhere")
    if position not in WHERE:
        raise LexiconError(f'{where}: where "{position}" is not one of: {", ".join(WHERE)}')
    try:
        pattern = compile_pattern(raw["pattern"], sets)
    except PatternSyntaxError as exc:
        raise LexiconError(f"{where}: pattern {json.dumps(raw['pattern'], ensure_ascii=False)}: {exc}") from None
    return Rule(rid, label, lang, pattern, float(conf), negatable, position, where, final)


def _read_rules(files: Iterable[tuple[str, Path]], sets: Mapping[str, frozenset[str]],
                analyst: frozenset[Path] = frozenset()) -> list[Rule]:
    """The rules of ``.jsonl`` files, validated; rules of the ``analyst`` files are final by default."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for lang, path in files:
        for number, line in enumerate(_read_lines(path, "lexicon"), start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            where = f"{path.name}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LexiconError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            rule = _check_rule(raw, f"{path}:{number}", lang, sets, final=path in analyst)
            if rule.id in seen:
                raise LexiconError(f'{path}:{number}: id "{rule.id}" is already used at {seen[rule.id]}')
            seen[rule.id] = where
            rules.append(rule)
    return rules


@lru_cache(maxsize=8)
def _load(extra: tuple[str, ...]) -> Lexicon:
    root = _package_root()
    files = _lexicon_files(root)
    shipped = {path for _, path in files[".jsonl"]}
    for item in extra:
        path = Path(item)
        if not path.exists():
            raise LexiconError(f"{path}: lexicon file or folder not found")
        if path.resolve().is_relative_to(root.resolve()):
            continue  # a shipped file: already loaded
        for kind, more in _lexicon_files(path).items():
            files[kind] += more
    sets = _read_sets(files[".toml"])
    analyst = frozenset(path for _, path in files[".jsonl"] if path not in shipped)
    return Lexicon(tuple(_read_rules(files[".jsonl"], sets, analyst)), sets, _read_names(files[".txt"]))


def load_lexicon(extra: Iterable[PathLike] = ()) -> Lexicon:
    """Return the shipped lexicons plus the analyst's extra files or folders, validated.

    Parameters
    ----------
    extra : iterable of path
        ``.jsonl`` rule files, ``.toml`` word-set files, ``.txt`` name lists (given and family
        names, read by the customer-name rule), or folders holding them (a folder named
        ``en``/``ms``/``tl`` gives its rules that language; anything else is ``xx``).

    Returns
    -------
    Lexicon
        Cached per set of paths, so repeated calls are free.

    Raises
    ------
    LexiconError
        Naming the file, the line and the problem.
    """
    return _load(tuple(str(Path(p).resolve()) for p in extra))
