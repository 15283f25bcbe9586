"""Conversation rules: behaviours decided over a call's turns rather than inside one turn.

Each rule is a small frozen dataclass registered under a versioned name; its fields are its
parameters (set from the scorecard's ``[detectors."<name>"]`` table). Rules read the
:class:`~csqa.detection.base.CallContext` and return new hits; they run in ``RULES`` order, so
a rule may read the hits of the rules before it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from csqa.detection.base import CallContext, hits_frame
from csqa.detection.names import CustomerName
from csqa.errors import UnknownNameError, did_you_mean
from csqa.nlp import HESITATIONS

RULES: dict[str, type] = {}
"""Registered conversation rules by name, in the order they run."""


def register(name: str) -> Callable[[type], type]:
    """Class decorator: register a conversation rule under ``name``."""

    def add(cls: type) -> type:
        RULES[name] = cls
        cls.name = name  # type: ignore[attr-defined]
        return cls

    return add


def build_rules(params: dict[str, dict[str, Any]] | None = None) -> list[Any]:
    """Instantiate every registered rule with its parameters.

    Raises
    ------
    UnknownNameError
        A parameter table names a rule that does not exist.
    """
    params = params or {}
    for name in params:
        if name not in RULES:
            raise UnknownNameError(f'detector "{name}" is not registered{did_you_mean(name, RULES)}; known: {", ".join(RULES)}')
    return [cls(**params.get(name, {})) for name, cls in RULES.items()]


def _previous(u: pd.DataFrame, column: str) -> pd.Series:
    """Value of ``column`` in the previous turn of the same call (NaN/None at a call's start)."""
    prev = u[column].shift(1)
    return prev.where(u["call_id"].eq(u["call_id"].shift(1)))


def _turn_hits(u: pd.DataFrame, mask: pd.Series, behaviour: str, source: str, evidence: pd.Series, confidence: float) -> pd.DataFrame:
    rows = u.loc[mask]
    return hits_frame(pd.DataFrame({
        "call_id": rows["call_id"], "turn": rows["turn"], "speaker": rows["speaker"],
        "behaviour": behaviour, "start_char": 0, "end_char": rows["text"].str.len(),
        "evidence": evidence.loc[mask], "source": source, "confidence": confidence,
    }))


register("csqa.customer_name.v1")(CustomerName)


@register("csqa.shouting.v1")
@dataclass(frozen=True)
class Shouting:
    """Shouting in text: ``always_words`` words in capitals, or ``min_words`` that are most of
    the turn (or "!!" from the customer).

    Customer shouting is ``customer_hostile``; agent shouting is ``rude_or_hostile``. Calls
    written all in capitals (some transcription systems do) are skipped.
    """

    min_words: int = 3
    min_share: float = 0.6
    always_words: int = 4
    emits: ClassVar[frozenset[str]] = frozenset({"customer_hostile", "rude_or_hostile"})

    def detect(self, ctx: CallContext) -> pd.DataFrame:
        u, s = ctx.utterances, ctx.stats
        call_share = s["n_upper"].groupby(u["call_id"]).transform("sum") / s["n_words"].groupby(u["call_id"]).transform("sum").clip(lower=1)
        caps = ((s["n_upper"] >= self.always_words) | ((s["n_upper"] >= self.min_words) & (s["n_upper"] >= self.min_share * s["n_words"]))) & (call_share < 0.8)
        bangs = u["text"].str.contains("!!", regex=False) & u["speaker"].eq("customer")
        out = []
        for speaker, behaviour in (("customer", "customer_hostile"), ("agent", "rude_or_hostile")):
            mask = (caps | bangs) & u["speaker"].eq(speaker)
            out.append(_turn_hits(u, mask, behaviour, self.name, u["text"], 0.7))  # type: ignore[attr-defined]
        return pd.concat(out, ignore_index=True)


@register("csqa.customer_signals.v1")
@dataclass(frozen=True)
class CustomerSignals:
    """Optionally one signal per customer turn where they overlap. By default a hostile turn
    that also states the problem carries both signals, as the catalogue and the gold labels have
    it (``docs/gold-labels.md``). A team whose analysts count a hostile repeat as anger only sets
    ``hostile_overrides_problem = true``: then a hostile turn that *repeats* a problem already
    reported earlier in the call is ``customer_hostile`` only, and the first report keeps both."""

    hostile_overrides_problem: bool = False
    emits: ClassVar[frozenset[str]] = frozenset({"customer_reported_problem"})
    replaces: ClassVar[frozenset[str]] = frozenset({"customer_reported_problem"})

    def detect(self, ctx: CallContext) -> pd.DataFrame:
        problems = ctx.hit_turns("customer_reported_problem")
        if not self.hostile_overrides_problem or problems.empty:
            return problems
        hostile = ctx.hit_turns("customer_hostile")
        hostile_keys = set(zip(hostile["call_id"], hostile["turn"]))
        first = problems.groupby("call_id")["turn"].transform("min")
        keep = [k not in hostile_keys or turn == f
                for k, turn, f in zip(zip(problems["call_id"], problems["turn"]), problems["turn"], first)]
        return problems[keep]


@register("csqa.soft_sell.v1")
@dataclass(frozen=True)
class SoftSell:
    """An offer of a product *after the customer showed interest* (BEHAVIOURS.md).

    Keeps lexical ``soft_sell`` hits within ``window_turns`` turns after a customer turn that
    shows interest, and adds the agent's answer right after it when that answer names a
    product and a price (``cue.offer`` plus ``price``). Interest is ``cue.interest``
    ("do you have", "magkano", "ada tak", or a need: "my data always runs out") or the customer
    naming a product (``cue.offer``). A hit in an agent turn that ties the offer to what the
    customer said (``cue.tailored``: "since you travel a lot", "kalau macam tu", "kung ganun po")
    is kept too: the need was there even where no cue found it. An unasked-for pitch is not a
    soft sell. Hits of a trained model (``source`` ``model:...``)
    are kept as they are: the model reads the turn before and was trained on the same rule.
    """

    window_turns: int = 6
    price: str = r"(?:(?:\b(?:rm|php|p|usd|sgd|myr)|s\$|\$|₱)\s?\d[\d,]*(?:\.\d+)?|\d[\d,.]*\s?(?:pesos?|ringgit|dollars?|piso|sen|cents?)\b)"
    emits: ClassVar[frozenset[str]] = frozenset({"soft_sell"})
    replaces: ClassVar[frozenset[str]] = frozenset({"soft_sell"})

    def detect(self, ctx: CallContext) -> pd.DataFrame:
        u = ctx.utterances
        found = ctx.hit_turns("soft_sell")
        by_model = found[found["source"].str.startswith("model:")]
        interest = ctx.cues[ctx.cues["cue"].isin(["cue.interest", "cue.offer"])]
        interest = interest[interest["speaker"].eq("customer")].groupby("call_id")["turn"].agg(list)
        lexical = found[~found.index.isin(by_model.index)]
        tailored = set(zip(*(ctx.cue_turns("cue.tailored")[c] for c in ("call_id", "turn"))))
        tied = lexical[[key in tailored for key in zip(lexical["call_id"], lexical["turn"])]]
        if interest.empty:
            return hits_frame(pd.concat([tied, by_model], ignore_index=True).drop_duplicates(["call_id", "turn"]))
        offers = set(zip(*(ctx.cue_turns("cue.offer")[c] for c in ("call_id", "turn"))))
        agent = u[u["speaker"].eq("agent") & u["call_id"].isin(interest.index)]
        priced = agent["text"].str.lower().str.extract(f"({self.price})", expand=False)
        keyed = lexical.set_index(["call_id", "turn"])
        rows = []
        for (call_id, turn, text), amount in zip(agent[["call_id", "turn", "text"]].itertuples(index=False), priced):
            if not any(0 < turn - t <= self.window_turns for t in interest[call_id]):
                continue
            if (call_id, turn) in keyed.index:
                rows.append(lexical[(lexical["call_id"] == call_id) & (lexical["turn"] == turn)].iloc[0].to_dict())
            elif isinstance(amount, str) and (call_id, turn) in offers and any(0 < turn - t <= 2 for t in interest[call_id]):
                start = text.lower().find(amount)
                rows.append({"call_id": call_id, "turn": turn, "speaker": "agent", "behaviour": "soft_sell",
                             "start_char": start, "end_char": start + len(amount), "evidence": text[start:start + len(amount)],
                             "source": self.name, "confidence": 0.75})  # type: ignore[attr-defined]
        kept = pd.concat([hits_frame(rows), tied, by_model], ignore_index=True)
        return hits_frame(kept.drop_duplicates(["call_id", "turn"]))


@register("csqa.dont_know.v1")
@dataclass(frozen=True)
class DontKnowNoFollowup:
    """The agent says it does not know, and neither that turn nor its next turn follows up."""

    rescues: tuple[str, ...] = ("offers_to_find_out", "escalation_offer")
    emits: ClassVar[frozenset[str]] = frozenset({"dont_know_no_followup"})

    def detect(self, ctx: CallContext) -> pd.DataFrame:
        u = ctx.utterances
        agent = u[u["speaker"].eq("agent")][["call_id", "turn"]].copy()
        key = list(zip(agent["call_id"], agent["turn"]))
        dk = ctx.cue_turns("cue.dont_know")
        dk = dk[dk["speaker"].eq("agent")].drop_duplicates(["call_id", "turn"])
        if dk.empty:
            return hits_frame()
        rescue_keys = set(zip(*(ctx.hit_turns(*self.rescues)[c] for c in ("call_id", "turn")))) | set(
            zip(*(ctx.cue_turns("cue.followup")[c] for c in ("call_id", "turn")))
        )
        agent["rescued"] = [k in rescue_keys for k in key]
        same_call_next = agent["call_id"].eq(agent["call_id"].shift(-1))
        agent["next_rescued"] = agent["rescued"].shift(-1, fill_value=False) & same_call_next
        flagged = dk.merge(agent, on=["call_id", "turn"])
        flagged = flagged[~flagged["rescued"] & ~flagged["next_rescued"]]
        text = u.set_index(["call_id", "turn"])["text"]
        evidence = [text[(c, t)][a:b] for c, t, a, b in zip(flagged["call_id"], flagged["turn"], flagged["start_char"], flagged["end_char"])]
        return hits_frame(pd.DataFrame({
            "call_id": flagged["call_id"], "turn": flagged["turn"], "speaker": "agent",
            "behaviour": "dont_know_no_followup", "start_char": flagged["start_char"], "end_char": flagged["end_char"],
            "evidence": evidence, "source": self.name, "confidence": 0.8,  # type: ignore[attr-defined]
        }))


_TRAILING_HESITATIONS = re.compile(r"(?:[\s,]+(?:" + "|".join(sorted(HESITATIONS | {"ah", "eh", "oh"})) + r"))*[\s,]*$",
                                   re.IGNORECASE)
"""Sounds of hesitation and interjections, and spaces, at the end of a turn ("to-- uh um", "the-- ah")."""


@register("csqa.interruption.v1")
@dataclass(frozen=True)
class Interruption:
    """The agent cuts in: starts ``min_overlap_s`` or more before the customer's turn ends, or
    the customer's turn ends in a cut-off mark (``--``, ``...``, ``…``), sounds of hesitation
    and "ah", "eh", "oh" after the mark aside ("i paid on the-- uh", "the-- ah")."""

    min_overlap_s: float = 0.3
    marks: tuple[str, ...] = ("--", "—", "–", "...", "…")
    emits: ClassVar[frozenset[str]] = frozenset({"interruption"})

    def __post_init__(self) -> None:
        if self.min_overlap_s < 0:
            raise ValueError(f"min_overlap_s {self.min_overlap_s} must be >= 0")

    def detect(self, ctx: CallContext) -> pd.DataFrame:
        u = ctx.utterances
        after_customer = u["speaker"].eq("agent") & _previous(u, "speaker").eq("customer")
        overlap = _previous(u, "end") - u["start"]
        timed = after_customer & overlap.ge(self.min_overlap_s - 1e-9)
        prev_text = (_previous(u, "text").fillna("").astype(str).where(after_customer, "")
                     .str.replace(_TRAILING_HESITATIONS, "", regex=True))
        marked = after_customer & prev_text.str.endswith(self.marks)
        evidence = pd.Series(
            np.where(timed, "starts " + overlap.round(1).astype(str) + " s before the customer finished", "customer cut off: " + prev_text.str[-40:]),
            index=u.index,
        )
        return _turn_hits(u, timed | marked, "interruption", self.name, evidence, 0.9)  # type: ignore[attr-defined]


@register("csqa.dead_air.v1")
@dataclass(frozen=True)
class DeadAir:
    """Silence longer than ``threshold_s`` between turns, not just after a hold announcement."""

    threshold_s: float = 10.0
    emits: ClassVar[frozenset[str]] = frozenset({"dead_air"})

    def __post_init__(self) -> None:
        if self.threshold_s <= 0:
            raise ValueError(f"threshold_s {self.threshold_s} must be > 0")

    def detect(self, ctx: CallContext) -> pd.DataFrame:
        u = ctx.utterances
        gap = u["start"] - _previous(u, "end")
        holds = ctx.cue_turns("cue.hold")
        hold_keys = set(zip(holds["call_id"], holds["turn"]))
        announced = pd.Series([(c, t - 1) in hold_keys or (c, t - 2) in hold_keys for c, t in zip(u["call_id"], u["turn"])], index=u.index)
        mask = gap.gt(self.threshold_s) & ~announced
        evidence = gap.round(1).astype(str) + " s of silence before this turn"
        return _turn_hits(u, mask, "dead_air", self.name, evidence, 0.9)  # type: ignore[attr-defined]


@register("csqa.stays_calm.v1")
@dataclass(frozen=True)
class StaysCalm:
    """The customer is hostile at least once, and no agent turn after the first hostile turn
    argues or is rude. One hit on the agent's last turn; the evidence names the hostile turns.

    A credit is withheld on doubt: an agent turn the trained model scores at ``doubt`` or more
    for a ``breaks`` behaviour also breaks calm, though that is below the model's threshold for
    calling the turn rude or argumentative (without a model only hits count)."""

    breaks: tuple[str, ...] = ("argues_with_customer", "rude_or_hostile")
    doubt: float = 0.6
    emits: ClassVar[frozenset[str]] = frozenset({"stays_calm"})

    def __post_init__(self) -> None:
        if not 0 < self.doubt <= 1:
            raise ValueError(f"doubt {self.doubt} must be in (0, 1]")

    def detect(self, ctx: CallContext) -> pd.DataFrame:
        hostile = ctx.hit_turns("customer_hostile")
        hostile = hostile[hostile["speaker"].eq("customer")]
        if hostile.empty:
            return hits_frame()
        u = ctx.utterances
        first = hostile.groupby("call_id")["turn"].min().rename("first_hostile")
        hostile_turns = hostile.groupby("call_id")["turn"].agg(lambda t: ", ".join(map(str, sorted(set(t))))).rename("hostile_turns")
        doubted = ctx.scores.reindex(index=u.index, columns=[b for b in self.breaks if b in ctx.scores]).ge(self.doubt).any(axis=1)
        agents = u[["call_id", "turn", "text"]].assign(doubted=doubted)[u["speaker"].eq("agent")]
        agents = agents.merge(first, left_on="call_id", right_index=True)
        after = agents[agents["turn"] > agents["first_hostile"]]
        bad = ctx.hit_turns(*self.breaks).merge(first, left_on="call_id", right_index=True)
        bad_calls = set(bad.loc[bad["turn"] > bad["first_hostile"], "call_id"]) | set(after.loc[after["doubted"], "call_id"])
        last = after[~after["call_id"].isin(bad_calls)].groupby("call_id").tail(1)
        last = last.merge(hostile_turns, left_on="call_id", right_index=True)
        n_after = after.groupby("call_id").size()
        return hits_frame(pd.DataFrame({
            "call_id": last["call_id"], "turn": last["turn"], "speaker": "agent", "behaviour": "stays_calm",
            "start_char": 0, "end_char": last["text"].str.len(),
            "evidence": "customer hostile at turn(s) " + last["hostile_turns"] + "; no arguing or rudeness in the agent's "
            + last["call_id"].map(n_after).astype(str) + " turn(s) after",
            "source": self.name, "confidence": 0.85,  # type: ignore[attr-defined]
        }))


def rule_params(rule: Any) -> dict[str, Any]:
    """The parameters of a rule instance (its dataclass fields)."""
    return {f.name: getattr(rule, f.name) for f in dataclasses.fields(rule)}
