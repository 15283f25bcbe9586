"""The customer's name: where it comes from, and when the agent uses it.

The customer's name is the CRM's (``customer_name``), the words the customer says after a
``customer_name_stated`` phrase ("my name is", "nama saya", "ako po si") or inside one that
ends with a ``cue.name_before`` phrase or an ``AFTER_NAME`` word ("si *jun dela paz* po ito"),
the words right before a ``cue.name_before`` phrase at the start of a clause ("kevin *here*",
"maria santos *po ito*", "aina *sini*"), or the customer's answer to the agent's name request
(``cue.name_request``); the last two are then also ``customer_name_stated``. Two more ways a
customer turn states the name need no phrase: a known given or family name (the lexicons'
name lists, ``lexicons/xx/names.txt`` and the analyst's own, or the CRM's, or a word beside
"bin" / "binti") right after an introducing word at the start of a clause ("saya faizal nak
tanya", "saya hafizah binti osman", "oy si boyet santos to", "farah ni"), and a turn that is
nothing but a name ("teresita manalo po"); the CRM name said anywhere in a customer turn also
counts (:func:`_name_of_phrase` says where a listed name is needed), and so does a full name
anywhere in the turn (two listed names in a row: "five j five sixty bernardo aquino") unless a
kinship word before it makes it someone else's; a caller who says whose relative it is names
itself ("i'm her son *razak*", "saya anak dia *aina*"). A ``cue.nickname`` phrase gives the name the
caller wants to be called by ("just call me *jun*", "panggil *mani* je"), which counts besides
the full name. The agent's own name is the word after a
``cue.self_intro`` phrase in an agent turn and never counts; a caller may greet it first ("hi
sharon, i'm khairul"). A bare name answering a ``cue.other_name_request`` ("the patient's name")
is that person's, not the caller's. A name that is also a common word
("Joy", "Hope", "Bunga", "Ligaya") only counts where it is used to address someone: after an
honorific (``cue.address``), or alone at the start or end of the turn.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from csqa.detection.base import CallContext, hits_frame
from csqa.language import word_languages
from csqa.nlp import NAME_WORD, NUMBER_WORDS, norm

TITLES = frozenset(
    "mr mrs ms miss mister madam maam sir dr encik en puan pn cik tuan bin binti bte bt a/l a/p al ap "
    "ma de dela del delos san sta ate kuya aling mang manang manong mam dato datuk datin haji hajah sri seri".split()
)
"""Words in a CRM name that are not the name itself."""

COMMON_WORD_NAMES = frozenset(
    "joy hope faith grace mercy charity patience honey sunny rose may june april dawn summer will "
    "bill mark pat sky star lucky precious princess angel ruby pearl jade amber crystal bunga intan "
    "suria cahaya mawar melati ligaya tala bituin luningning liwayway ayu manis murni sri boy baby bing ging cherry lovely".split()
)
"""Names that are also ordinary words, so they need an addressing context to count."""

WORD_NAMES_AFTER_SAYA = frozenset("bunga intan suria cahaya mawar melati ayu murni".split())
"""Malay names that are also nouns, read as a name right after "saya" ("saya *bunga* nak tanya")."""


_SKIP = frozenset("po ho ah uh um umm uhm hmm hm mm mhm eh erm ya yes si is ay its ito haha hahaha hehe".split())
"""Fillers and particles between a name phrase and the name ("ako po si Liza")."""


def _name_regex(word: str) -> str:
    """A word written with or without apostrophes ("oconnor" finds "O'Connor")."""
    return "['’]?".join(map(re.escape, word))


NAME_PARTICLES = frozenset("de dela del delos la los san sta bin binti bt bte".split())
"""Words inside a full name, between its parts ("rosario *dela* cruz", "hafizah *binti* osman")."""


KIN_AS_TITLE = frozenset("nanay tatay mama papa lola lolo".split())
"""Kinship words also said as a title before the speaker's own name ("ako po si *nanay* fely")."""
OWNERS = frozenset("si ni ko saya my ku nya niya ng".split())
"""Words after a kinship word that make it someone's relative ("kay lola *si* carmen", "nanay *ko*")."""


def _names_after(text: str, pos: int, *, titles: bool = True, max_words: int = 3) -> tuple[list[str], int, int] | None:
    """The name words at or after ``pos`` (fillers, kinship titles and, when ``titles``, titles skipped):
    (words, start, end), or None when the first real word is not a plausible name."""
    words: list[str] = []
    start = end = gap = -1
    joined = False
    for match in NAME_WORD.finditer(text, pos):
        word = norm(match.group())
        if not words and word in KIN_WORDS:
            after = NAME_WORD.search(text, match.end())
            if word in KIN_AS_TITLE and not (after and norm(after.group()) in OWNERS):
                continue  # "ako po si nanay fely": a kinship word used as a title
            return None  # "nakapangalan po kay lola si carmen", "my husband ahmad": a relative's name follows
        if not words and (word in _SKIP or word in KIN_TITLES or word in ANSWER_WORDS or (titles and word in TITLES)):
            continue
        if words and word in NAME_PARTICLES and not text[gap:match.start()].strip(" "):
            gap, joined = match.end(), True
            continue  # "rosario dela cruz", "hafizah binti osman": one more word belongs to the name
        if word in word_languages() or len(word) < 2 or word in TITLES or word in _SKIP or word in NUMBER_WORDS \
                or word in ANSWER_WORDS:
            break
        if words and text[gap:match.start()].strip(" "):
            break  # punctuation between: the name has ended
        words.append(word)
        start = match.start() if start < 0 else start
        end = gap = match.end()
        if len(words) == max_words or joined:
            break
    return (words, start, end) if words else None


OPENERS = frozenset(
    "hi hello helo hallo hey hai hye yeah yes ya yup ok okay oh uh um umm erm er ah eh ha haa hah oy uy hoy good morning afternoon "
    "evening pagi petang tengah tengahari hari selamat malam assalamualaikum waalaikumsalam salam magandang umaga tanghali hapon gabi "
    "po opo si ni ini this is it its".split()
)
"""Words that may come before a name at the start of a turn ("yeah hi, kevin here")."""


INTRODUCERS = frozenset("saya sy aku ako ni ini nama im i am m its it s is this here speaking".split())
"""Words right before the speaker's own name ("saya faizal", "ako po si liza", "its kevin")."""

AFTER_NAME = frozenset("ni sini here speaking ito to eto ire cakap bercakap".split())
"""Words right after the speaker's own name ("farah ni", "boyet santos to", "kevin here")."""

PATRONYMIC = frozenset("bin binti bt bte".split())
"""Words that join a Malay name to the father's ("hafizah binti osman")."""

PLACE_WORDS = frozenset(
    "taman jalan jln lorong blok block lot kampung kampong kg bandar persiaran lebuh lebuhraya tingkat "
    "pangsapuri kondominium condo apartment flat unit street st avenue ave road rd barangay brgy purok sitio "
    "subdivision subd village phase hotel resort hospital clinic klinik kedai restoran restaurant mall".split()
)
"""Words that open an address: a bare answer starting with one is not a name ("taman sri indah jalan lima")."""

UNDER_NAME = frozenset("nakapangalan nakarehistro registered under atas booking order tracking reference account "
                       "akaun policy polisi card kad email emel nombor number ic".split())
"""Words that open a bare answer that is no name: "(it is) under the name of ..." names the account
holder, who may be someone else ("nakapangalan sa biyenan ko"); a detail read out first
("booking reference x k seven ...") is not a name either."""

KIN_TITLES = frozenset("mak pak makcik pakcik kak akak abang bang adik ate kuya tita tito lola lolo".split())
"""Kinship words used as titles before a caller's name ("mak cik kiah", "ate liza")."""

ALSO = frozenset("pun juga also too din rin".split())
"""Words for "also" between an introducer and a name the agent shares ("saya *pun* farah", "i'm *also* ben")."""

FILLERS = _SKIP - INTRODUCERS
"""Fillers and particles that may stand between an introducer and the name ("saya ah hazwan")."""

ANSWER_WORDS = frozenset("opo oo yes ya yup yeah ok okay".split())
"""Words that may stand beside a name given as an answer ("opo, ernesto tan po")."""

KIN_WORDS = frozenset(
    "husband wife son daughter father mother dad mum mom brother sister friend suami isteri anak ayah ibu "
    "emak kakak kawan asawa nanay tatay kapatid kaibigan misis mama papa lola lolo "
    "biyenan byenan manugang bayaw hipag mertua menantu ipar"  # in-laws
    .split()
)
"""Words before a CRM name that make it someone else's ("my husband ahmad", "anak saya aina")."""

ING_NOT_NAME = re.compile(r"^[a-z]{3,}ing$")
"""An English -ing form ("flying", "working") after "i'm": not a name unless the name list has it."""

_GREETING = OPENERS | TITLES | KIN_TITLES
"""Words that may come right before a greeted name ("hi", "kuya", "kak")."""
_BEFORE_NAME = TITLES | KIN_TITLES | FILLERS
"""Words between an introducer and the name ("ni mak cik kiah", "ako po si liza")."""
_CLAUSE_OPENING = OPENERS | TITLES | KIN_TITLES | _SKIP | INTRODUCERS | ANSWER_WORDS
"""Words that may open a clause before a self-stated name."""
_BESIDE_WHOLE_NAME = _SKIP | TITLES | ANSWER_WORDS
"""Words that may stand beside a name in a turn that is nothing but the name ("opo, ernesto tan po")."""


@functools.lru_cache(maxsize=8)
def usable_names(listed: frozenset[str]) -> frozenset[str]:
    """The names of the lexicons' name lists (``lexicons/xx/names.txt`` and the analyst's own
    ``.txt`` files) that can stand as a name without a phrase: words that are also function words,
    number words, titles, fillers, openers or ordinary words are left out."""
    ordinary = set(word_languages()) | NUMBER_WORDS | TITLES | _SKIP | OPENERS | COMMON_WORD_NAMES | INTRODUCERS
    return frozenset(listed - ordinary)


def _name_words(said: str) -> tuple[list[re.Match[str]], list[str]]:
    """The word matches of ``said`` and their normal forms."""
    tokens = list(NAME_WORD.finditer(said))
    return tokens, [norm(t.group()) for t in tokens]


def _self_named(said: str, names: frozenset[str] | set[str]) -> tuple[list[str], int, int] | None:
    """The speaker's own name stated without a name phrase: a run of ``names`` words at the
    start of a clause (after nothing but openers, titles, fillers, introducers or a greeted
    name: a listed name, or one other word right after an opener or a title, "hi sharon i'm
    khairul", "hi kuya carlo, this is ..."), unless a relative's name ("anak saya aina"), with an introducer right before it ("saya faizal") or an ``AFTER_NAME``
    word right after it ("farah ni"), or making up the whole turn ("teresita manalo po"):
    (words, start, end), or None."""
    tokens, words = _name_words(said)
    # a word beside "bin" / "binti" is a name too ("saya hafizah binti osman")
    names = set(names) | {words[j] for i, w in enumerate(words) if w in PATRONYMIC for j in (i - 1, i + 1)
                          if 0 <= j < len(words) and len(words[j]) > 2 and words[j] not in word_languages()
                          and words[j] not in TITLES and words[j] not in NUMBER_WORDS}
    names |= {w for i, w in enumerate(words) if w in WORD_NAMES_AFTER_SAYA and i > 0 and words[i - 1] in {"saya", "sy", "aku"}}

    def new_clause(i: int) -> bool:
        return i > 0 and bool(said[tokens[i - 1].end():tokens[i].start()].strip(" "))

    whole = any(w in names for w in words) and all(w in names or w in _BESIDE_WHOLE_NAME for w in words)
    i, clause_ok = 0, True
    while i < len(words):
        clause_ok = clause_ok or new_clause(i)
        if words[i] in names:
            j = i + 1
            while j < len(words) and words[j] in names and not new_clause(j):
                j += 1
            k = i - 1
            while k >= 0 and words[k] in _BEFORE_NAME | ALSO and not new_clause(k + 1):
                k -= 1  # "ni mak cik kiah", "ako po si liza", "saya pun farah"
            before = words[k] if k >= 0 and not new_clause(k + 1) else ""
            after = words[j] if j < len(words) else ""
            # mid-sentence only when nothing else can be meant: "... saya pun farah", "... ni faizal bin hamdan"
            said_outright = before in INTRODUCERS and (after in PATRONYMIC or bool(ALSO.intersection(words[k + 1:i])))
            if ((clause_ok or said_outright) and (whole or before in INTRODUCERS or after in AFTER_NAME)
                    and not _kin_before(words, k)) or (before and _relative_introduced(words, k)):
                return words[i:j], tokens[i].start(), tokens[j - 1].end()
            if clause_ok:
                i = j  # a greeted name ("hi alvin, si nestor ramos to"): the clause goes on
                continue
        clause_ok = clause_ok and (words[i] in _CLAUSE_OPENING or (_greeted(words, i) and not new_clause(i)))
        i += 1
    return None


SELF_WORDS = frozenset("me myself mine i im ako akong akin sakin saken sarili mismo saya sy sendiri aku".split())
"""Words with which a caller says a name asked for as someone else's is its own ("para sa akin po")."""

POSSESSIVES = frozenset("saya sy aku ku ko my".split())
"""Words that make a kinship title someone's relative ("nama mak saya ...")."""
NAME_NOUNS = frozenset("nama name pangalan".split())
"""The word "name", before a kinship title that makes the name a relative's ("nama mak saya ...")."""


THATS_ME = frozenset({("thats", "me"), ("that", "me"), ("is", "me"), ("ako", "yun"), ("ako", "yon"), ("itu", "saya")})
"""Word pairs with which a caller says a name it gave as someone's is its own ("... that's me", "ako yun")."""


def _someone_elses_name(words: list[str]) -> bool:
    """Whether a turn says whose name it gives and it is someone else's: "name" with a third-person
    or kinship word right after it ("nama *dia* nur syafiqah", "nama *ayah* saya haji yunus",
    "pangalan *niya*") or "his" / "her" before it, unless the caller then says it is them
    ("nama dia tan mei ling *that's me*")."""
    if THATS_ME.intersection(zip(words, words[1:])):
        return False
    return any(word in NAME_NOUNS and ((i + 1 < len(words) and words[i + 1] in _OTHERS_AFTER_NAME_NOUN)
                                       or (i > 0 and words[i - 1] in {"his", "her", "their"}))
               for i, word in enumerate(words))


def _kin_before(words: list[str], k: int) -> bool:
    """Whether the words up to ``words[k]`` (the introducer before a name) name a relative: a
    kinship word ("anak saya aina") or "name" with a kinship title and a possessive ("nama mak
    saya bunga"; "pagi kak, saya ruslan" greets the agent)."""
    near = range(max(0, k - 2), k + 1)
    return any(words[x] in KIN_WORDS
               or (x > 0 and words[x - 1] in NAME_NOUNS and words[x] in KIN_TITLES
                   and x + 1 < len(words) and words[x + 1] in POSSESSIVES)
               for x in near)


RELATIVES = KIN_WORDS | frozenset(
    "niece nephew grandson granddaughter grandchild cousin guardian caregiver anak saudara cucu menantu "
    "penjaga waris apo pamangkin pinsan manugang".split())
"""Words for how a caller is related to the person the call is about ("i'm her *son*", "saya *anak* dia")."""
THIRD_PERSON = frozenset("her his their the dia beliau niya nya nila".split())
"""Words that point the relation at someone else: "i'm *her* son", "saya anak *dia*", "asawa *niya*"."""

_OTHERS_AFTER_NAME_NOUN = THIRD_PERSON | KIN_WORDS | KIN_TITLES
"""Words after "name" that make it someone else's name ("nama *dia*", "nama *ayah* saya")."""


DETERMINERS = frozenset("yung ung ang the".split())
"""Words for "the" before a relation word: "ako *yung* nanay", "i'm *the* mother" (Malay has none)."""


def _relative_introduced(words: list[str], k: int) -> bool:
    """Whether the words up to ``words[k]`` introduce the caller as someone's relative, so that
    the name after them is the caller's: "i'm her son *razak*", "saya anak dia *aina*", "ako po
    yung asawa niya *teresita*" (an introducer, then a relation word and a third-person word in
    either order, with particles such as "po" or "yung" between), "ako yung nanay *elena*" (an
    introducer, "the" and a relation word)."""
    near = [w for w in words[max(0, k - 5):k + 1] if w not in FILLERS and w not in DETERMINERS and w not in ALSO]
    if k >= 2 and words[k] in RELATIVES and words[k - 1] in DETERMINERS and len(near) >= 2 and near[-2] in INTRODUCERS:
        return True  # "ako yung nanay *elena cabrera*", "i'm the mother *zaleha*"
    if len(near) < 3 or near[-3] not in INTRODUCERS:
        return False
    pair = set(near[-2:])
    return bool(pair & RELATIVES) and bool(pair & THIRD_PERSON)


NICKNAME_ENDS = frozenset("je jer aje ja saja sahaja lah la lang nalang only enough".split())
"""Particles after a nickname given without a word for "me" ("panggil din *je*", "jun na *lang*")."""


def _nickname(said: str, start: int, end: int) -> tuple[list[str], int, int] | None:
    """The name a ``cue.nickname`` phrase at ``said[start:end]`` gives ("just call me *jun*",
    "panggil saya *mani*", "panggil kak *yah* je"): (words, start, end), or None. A phrase with
    no word for "me" ("panggil") needs a particle such as "je" after the name or in the
    phrase ("panggil je kak *ros*")."""
    found = _names_after(said, end, max_words=2)
    if found is None or any(mark in said[end:found[1]] for mark in ",.!?;:"):
        return None  # "nobody can call me, bisnes i rugi": punctuation, no name
    cue_words = _name_words(said[start:end])[1]
    if found[0][0] in NICKNAME_ENDS or found[0][0] in NAME_PARTICLES:
        return None  # "panggil je la nanti": a particle, no name
    if not SELF_WORDS.intersection(cue_words) and not NICKNAME_ENDS.intersection(cue_words):
        rest = _name_words(said[found[2]:])[1]
        if not rest or rest[0] not in NICKNAME_ENDS and rest[:2] != ["na", "lang"]:
            return None
    return found


def _greeted(words: list[str], i: int) -> bool:
    """Whether ``words[i]`` may be a name greeted right after an opener or a title ("hi *sharon*",
    "hi kuya *carlo*", "pagi kak *yah*"): not a function word of the three languages and not a
    kinship word ("hi anak saya aina")."""
    word = words[i]
    return (i > 0 and words[i - 1] in _GREETING and word not in word_languages() and word not in KIN_WORDS
            and word not in KIN_TITLES and word not in NUMBER_WORDS)


def _names_before(text: str, pos: int, max_words: int = 3, since: int = 0) -> tuple[list[str], int, int] | None:
    """The name words right before ``pos`` (particles such as "po" skipped, titles such as
    "dela" or "binti" inside kept out of the words), when they open a clause (:func:`_opens_clause`:
    after openers such as "hi", "good morning", "si", a greeted agent, or the end of a sentence),
    counting from ``since`` (the start of a phrase already known to state the name):
    (words, start, end), or None."""
    matches = list(NAME_WORD.finditer(text, since, pos))
    while matches and norm(matches[-1].group()) in _SKIP:
        matches.pop()
    taken: list[re.Match[str]] = []
    while matches and sum(norm(m.group()) not in TITLES for m in taken) < max_words:
        word = norm(matches[-1].group())
        if word in TITLES and taken:
            taken.append(matches.pop())
            continue
        if word in word_languages() or len(word) < 2 or word in _SKIP or word in NUMBER_WORDS or word in OPENERS:
            break
        if taken and text[matches[-1].end():taken[-1].start()].strip(" "):
            break  # punctuation between: the name starts after it
        taken.append(matches.pop())
    while taken and norm(taken[-1].group()) in TITLES:
        matches.append(taken.pop())  # "encik" before the name is not part of it, but may open the turn
    if not taken:
        return None
    if not _opens_clause(text, taken[-1].start(), since):
        return None
    words = [norm(m.group()) for m in reversed(taken) if norm(m.group()) not in TITLES]
    return words, taken[-1].start(), taken[0].end()


WEAK_INTRO = OPENERS | TITLES | frozenset("this is s thisis im i am m its it yes yeah ok okay oh sure".split())
"""The words of an English introduction that is also everyday speech ("this is", "i'm")."""


def _opens_clause(text: str, pos: int, since: int = 0) -> bool:
    """True when nothing but openers and titles ("hi", "good morning", "encik"), perhaps with the
    agent's name greeted ("hi jun"), or the end of a sentence comes between ``since`` and ``pos``."""
    before = text[since:pos].rstrip()
    if not before or before.endswith((",", ".", "!", "?", ":", ";")):
        return True
    words = [norm(w) for w in NAME_WORD.findall(re.split(r"[,.!?:;]", before)[-1])]
    other = [i for i, w in enumerate(words) if w not in _GREETING]
    return not other or (len(other) == 1 and other[0] > 0 and words[other[0] - 1] in _GREETING
                         and words[other[0]] not in word_languages())


CORRECTION_NEGATORS = frozenset("bukan bkn hindi hinde not".split())
"""Words with which a caller corrects the name the agent used ("azizah *bukan* aziz")."""
CORRECTION_FILLERS = frozenset("actually sebenarnya sebenarnye talaga pala lah la".split())
"""Words between a corrected name and the negator ("li *actually* l i not lee")."""


def _corrected_name(said: str, wrong: set[str], listed: frozenset[str] | set[str]) -> tuple[list[str], int, int] | None:
    """The name a customer turn gives in place of a ``wrong`` one the agent just used: "*azizah*
    bukan aziz", "*kristine* po hindi kristina", "*li* l i not lee" (the name before the negator,
    particles, openers and spelt letters skipped), "not aziz, *azizah*" (a ``listed`` name after
    the wrong one): (words, start, end), or None."""
    tokens, words = _name_words(said)

    def plausible(k: int) -> bool:
        word = words[k]
        return (len(word) > 1 and word not in word_languages() and word not in TITLES and word not in NUMBER_WORDS
                and word not in wrong and word not in CORRECTION_NEGATORS and word not in ANSWER_WORDS)

    for i, word in enumerate(words):
        if word not in wrong or i == 0 or words[i - 1] not in CORRECTION_NEGATORS:
            continue
        k = i - 2
        while k >= 0 and (words[k] in _SKIP or words[k] in OPENERS or words[k] in CORRECTION_FILLERS or len(words[k]) == 1):
            k -= 1  # "kristine po hindi", "nurhaliza ha bukan", "li l i not"
        if k >= 0 and plausible(k):
            return [words[k]], tokens[k].start(), tokens[k].end()
        k = i + 1
        while k < len(words) and words[k] in _SKIP:
            k += 1
        if k < len(words) and plausible(k) and words[k] in listed:
            return [words[k]], tokens[k].start(), tokens[k].end()
    return None


def _possessive_of_kin(said: str, start: int) -> bool:
    """Whether the phrase at ``said[start:]`` opens with "my" ("saya", "ko") right after a kinship
    word, so that it is a relative's "my", not the caller's introduction ("ayah *saya* haji osman")."""
    tokens, words = _name_words(said[:start + 20])
    at = next((i for i, t in enumerate(tokens) if t.start() >= start), None)
    if at is None or words[at] not in POSSESSIVES:
        return False
    if words[at + 1:at + 2] and words[at + 1] in NAME_NOUNS and not THIRD_PERSON.intersection(words[at + 2:at + 4]):
        return False  # "i'm her daughter, *my name* is grace tan": the caller's own name
    before = [w for w in words[:at] if w not in FILLERS]
    return bool(before) and before[-1] in KIN_WORDS


def _name_of_phrase(said: str, start: int, end: int, closing_cues: list[int],
                    listed: frozenset[str]) -> tuple[list[str], int, int] | None:
    """The name a ``customer_name_stated`` phrase at ``said[start:end]`` states: (words, start,
    end), or None. A phrase that ends with a ``cue.name_before`` phrase (starting at one of
    ``closing_cues``) or an ``AFTER_NAME`` word holds the name: "si *jun dela paz* po ito", "si
    *ben ocampo* to" (where only a title opens it, "encik kerja sini", a ``listed`` name only).
    Otherwise the name follows the phrase, except that an everyday English introduction in
    mid-sentence ("you think this is funny") gives a listed name only."""
    phrase = list(NAME_WORD.finditer(said, start, end))
    inside = [at for at in closing_cues if at > start]
    if not inside and len(phrase) > 1 and norm(phrase[-1].group()) in AFTER_NAME:
        inside = [phrase[-1].start()]
    if inside:
        found = _names_before(said, inside[0], since=start)
        if found and (norm(phrase[0].group()) in OPENERS or set(found[0]) <= listed):
            return found
    found = _names_after(said, end)
    if found and not set(found[0]) <= listed and not _opens_clause(said, start) \
            and {norm(m.group()) for m in phrase} <= WEAK_INTRO:
        return None
    return found


OTHER_PERSON = KIN_WORDS | frozenset(
    "his her their dia beliau niya kanya nya says said sabi kata patient pasyente pesakit borrower peminjam recipient penerima receiver".split())
"""Words before a full name that make it someone else's ("asawa ko si teodoro ramos", "his name is
roberto garcia", "passport says nurul ain")."""


OWN_MARKERS = frozenset("mismo myself sendiri".split())
"""Words with which a caller says the patient or account holder is the caller ("ako *mismo* yung patient")."""


def _someone_elses(before: list[str], markers: frozenset[str]) -> bool:
    """Whether the words ``before`` a name hold one of ``markers``, also with a possessive or
    plural "s" ("my wifes account")."""
    return bool(markers & {*before, *(w[:-1] for w in before if w.endswith("s"))})


def _full_name_said(said: str, names: frozenset[str] | set[str]) -> tuple[list[str], int, int] | None:
    """A customer turn that gives a full name anywhere, two or more ``names`` words in a row
    ("five j five sixty bernardo aquino", "alvin cruz nga pala"), unless a word of
    :data:`OTHER_PERSON` in the five words before makes it someone else's: (words, start, end), or None."""
    tokens, words = _name_words(said)
    for i in range(len(words) - 1):
        if words[i] not in names or words[i + 1] not in names or said[tokens[i].end():tokens[i + 1].start()].strip():
            continue
        before = words[max(0, i - 5):i]
        if _someone_elses(before, OTHER_PERSON) and not OWN_MARKERS.intersection(before):
            continue
        j = i + 2
        while j < len(words) and words[j] in names and not said[tokens[j - 1].end():tokens[j].start()].strip():
            j += 1
        return words[i:j], tokens[i].start(), tokens[j - 1].end()
    return None


def _crm_name_said(said: str, crm_words: set[str]) -> tuple[list[str], int, int] | None:
    """A customer turn that says the CRM name ("the account is under aisha rahman"), unless a
    kinship word before it makes it someone else's ("my husband ahmad"): (words, start, end), or None."""
    if not crm_words:
        return None
    tokens, words = _name_words(said)
    for i, word in enumerate(words):
        if word not in crm_words or len(word) <= 2:
            continue
        if not _someone_elses(words[max(0, i - 5):i], KIN_WORDS):
            j = i + 1
            while j < len(words) and words[j] in crm_words:
                j += 1
            return words[i:j], tokens[i].start(), tokens[j - 1].end()
    return None


def name_tokens(name: object) -> set[str]:
    """Normal forms of the parts of a CRM name that can be used alone (titles dropped)."""
    if not isinstance(name, str):
        return set()
    return {norm(p) for p in re.split(r"[\s,.]+", name) if len(p) > 1 and norm(p) not in TITLES}


@dataclass(frozen=True)
class CustomerName:
    """Emit ``uses_customer_name`` and keep only ``customer_name_stated`` hits followed by a name."""

    emits: ClassVar[frozenset[str]] = frozenset({"uses_customer_name", "customer_name_stated"})
    replaces: ClassVar[frozenset[str]] = frozenset({"customer_name_stated"})

    def detect(self, ctx: CallContext) -> pd.DataFrame:
        u = ctx.utterances
        text = dict(zip(zip(u["call_id"], u["turn"]), u["text"]))
        name_list = usable_names(ctx.names)
        stated_rows, stated_names = [], {}
        ends_before_name: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for cue in ctx.cue_turns("cue.name_before").itertuples(index=False):
            ends_before_name.setdefault((cue.call_id, cue.turn), []).append((cue.start_char, cue.end_char))
        own: dict[str, set[str]] = {}
        for row in ctx.cue_turns("cue.self_intro").itertuples(index=False):
            if row.speaker == "agent":
                found = _names_after(text[(row.call_id, row.turn)], row.end_char, titles=False, max_words=1)
                if found:
                    own.setdefault(row.call_id, set()).update(found[0])
        for row in ctx.hit_turns("customer_name_stated").itertuples(index=False):
            said = text[(row.call_id, row.turn)]
            closing_cues = [start for start, end in ends_before_name.get((row.call_id, row.turn), ())
                            if end == row.end_char]
            if _possessive_of_kin(said, row.start_char):
                continue  # "bagi pihak ayah saya haji osman": "saya" is the father's "my"
            found = _name_of_phrase(said, row.start_char, row.end_char, closing_cues, name_list)
            if found is None or (ING_NOT_NAME.match(found[0][0]) and found[0][0] not in name_list):
                continue
            words, start, end = found
            stated_names.setdefault(row.call_id, []).extend((row.turn, w) for w in words)
            # evidence: the name and its self-reference ("jun dela paz po ito"), or the phrase and the name after it
            start, end = (start, row.end_char) if end <= row.end_char else (row.start_char, end)
            stated_rows.append(row._replace(start_char=start, end_char=end, evidence=said[start:end]))
        stated_turns = {(r.call_id, r.turn) for r in stated_rows}
        for row in ctx.cue_turns("cue.name_before").itertuples(index=False):
            key = (row.call_id, row.turn)
            if row.speaker != "customer" or key in stated_turns:
                continue
            found = _names_before(text[key], row.start_char)
            if found is not None and not set(found[0]) <= own.get(row.call_id, set()):  # "hello liza ito na naman ako"
                stated_turns.add(key)
                stated_names.setdefault(row.call_id, []).extend((row.turn, w) for w in found[0])
                stated_rows.append(_row(row.call_id, row.turn, "customer", "customer_name_stated", found[1],
                                        row.end_char, text[key], 0.8))
        for row in ctx.cue_turns("cue.nickname").itertuples(index=False):
            key = (row.call_id, row.turn)
            found = _nickname(text[key], row.start_char, row.end_char) if row.speaker == "customer" else None
            if found is None:
                continue
            stated_names.setdefault(row.call_id, []).extend((row.turn, w) for w in found[0])
            if key not in stated_turns:
                stated_turns.add(key)
                stated_rows.append(_row(row.call_id, row.turn, "customer", "customer_name_stated", row.start_char,
                                        found[2], text[key], 0.8))
        requests, others = ctx.cue_turns("cue.name_request"), ctx.cue_turns("cue.other_name_request")
        other_requests = set(zip(others["call_id"], others["turn"]))
        name_requests = set(zip(requests["call_id"], requests["turn"])) - other_requests
        address = ctx.cue_turns("cue.address")
        address_ends = {(r.call_id, r.turn, r.end_char) for r in address.itertuples(index=False)}
        address_starts = {(r.call_id, r.turn, r.end_char): r.start_char for r in address.itertuples(index=False)}
        address_by_turn: dict[tuple[str, int], list[int]] = {}
        for r in address.itertuples(index=False):
            address_by_turn.setdefault((r.call_id, r.turn), []).append(r.end_char)
        crm = u.groupby("call_id", sort=False)["customer_name"].first() if "customer_name" in u else pd.Series(dtype=object)
        rows = []
        for call_id, turns in u.groupby("call_id", sort=False):
            crm_tokens = name_tokens(crm.get(call_id))
            crm_words = {w for w in crm_tokens if w not in COMMON_WORD_NAMES and w not in word_languages()}
            names = {w: -1 for w in crm_tokens}
            for turn, word in stated_names.get(call_id, ()):
                names.setdefault(word, turn)
            mine = own.get(call_id, set())
            listed = (name_list | crm_words) - mine
            customer_words: set[str] = set()
            heard: set[str] = set()
            answers: dict[str, tuple[int, str]] = {}  # listed word -> the unstated answer to a name request it is in
            asked = asked_other = False
            addressed: set[str] = set()
            pattern = None
            for turn, speaker, said in zip(turns["turn"], turns["speaker"], turns["text"]):
                if speaker == "customer":
                    found = None
                    said_words = _name_words(said)[1]
                    heard.update(w for w in said_words if w in listed and w not in COMMON_WORD_NAMES)
                    if (call_id, turn) not in stated_turns:
                        if asked:
                            # the bare answer to "may i have your name": "rosario dela cruz po"
                            customer_words.update(norm(w) for w in NAME_WORD.findall(said))
                            found = _names_after(said, 0)
                            if found and (found[0][0] in PLACE_WORDS or found[0][0] in UNDER_NAME
                                          or _someone_elses_name(said_words)):
                                found = None  # an address, "nakapangalan sa biyenan ko" or "nama ayah saya ..."
                        # no phrase at all: "saya faizal nak tanya", "teresita manalo po", the CRM name;
                        # a bare name answering "the patient's name" is the patient's, unless the
                        # caller says it is them ("ako mismo, ernesto garcia")
                        other = asked_other and not SELF_WORDS.intersection(_name_words(said)[1])
                        found = found or _crm_name_said(said, crm_words - mine) or (
                            None if other else _self_named(said, listed) or _full_name_said(said, listed)) or (
                            _corrected_name(said, addressed - mine, listed) if addressed else None)
                    if found:
                        for word in found[0]:
                            names.setdefault(word, turn)
                        pattern = None
                        stated_rows.append(_row(call_id, turn, "customer", "customer_name_stated", found[1], found[2], said, 0.7))
                    elif (asked or asked_other) and (call_id, turn) not in stated_turns and not _someone_elses_name(said_words):
                        for word in said_words:
                            if word in listed and word not in COMMON_WORD_NAMES:
                                answers.setdefault(word, (turn, said))
                        if asked_other:  # "the passenger's name?" "thivya t h i v y a": maybe the caller's
                            heard.update(w for w in said_words if len(w) > 2 and w not in word_languages()
                                         and w not in NUMBER_WORDS and w not in COMMON_WORD_NAMES)
                    asked = asked_other = False
                    addressed = set()
                    continue
                if speaker != "agent":
                    continue
                # the word after each honorific ("maam rosario"); those right after it are the words the
                # agent addresses the customer by, which the customer may correct ("bukan aziz")
                after_address = [(end, found) for end in address_by_turn.get((call_id, turn), ())
                                 if (found := _names_after(said, end, max_words=1))]
                addressed = {found[0][0] for end, found in after_address if not said[end:found[1]].strip(" ")}
                asked = (call_id, turn) in name_requests
                asked_other = (call_id, turn) in other_requests
                known = {w: t for w, t in names.items() if w not in mine}
                if pattern is None and known:
                    pattern = re.compile(r"\b(" + "|".join(map(_name_regex, sorted(known, key=len, reverse=True))) + r")\b")
                span = self._known_name(said, pattern, known, turn, (call_id, turn), address_ends)
                if span is None:
                    span = self._addressed_customer_word([found for _, found in after_address], customer_words, mine)
                to_caller = [found for end, found in after_address
                             if not said[end:found[1]].strip(" ") and _addresses_caller(said, address_starts[(call_id, turn, end)], end)]
                if span is None:
                    span = self._addressed_customer_word(to_caller, heard, mine)
                    if span is not None and norm(said[span[0]:span[1]]) in answers:
                        # "the passenger's name?" "... estrella navarro" "salamat po ma'am estrella": the caller's own
                        stated_rows.append(self._answer_confirmed(call_id, *answers.pop(norm(said[span[0]:span[1]])), listed))
                if span is None:  # a short form of a name the caller gave: "encik zul" for zulkifli
                    span = self._addressed_short_form(to_caller, heard | set(known), mine)
                if span is not None:
                    rows.append(_row(call_id, turn, "agent", "uses_customer_name", span[0], span[1], said, 0.9))
        stated = hits_frame([r if isinstance(r, dict) else r._asdict() for r in stated_rows])
        return pd.concat([stated, hits_frame(rows)], ignore_index=True)

    @staticmethod
    def _answer_confirmed(call_id: str, turn: int, said: str, listed: frozenset[str] | set[str]) -> dict[str, object]:
        """A ``customer_name_stated`` row for a customer turn that answered a request for a name
        (its own or someone else's) without a name phrase, once the agent has addressed the caller
        by a listed name in it: the run of listed words from the first one."""
        tokens, words = _name_words(said)
        i = next(k for k, w in enumerate(words) if w in listed and w not in COMMON_WORD_NAMES)
        j = i + 1
        while j < len(words) and (words[j] in listed or words[j] in NAME_PARTICLES):
            j += 1
        while words[j - 1] in NAME_PARTICLES:
            j -= 1  # "maslinda binti" + an unlisted word: the name ends before the particle
        return _row(call_id, turn, "customer", "customer_name_stated", tokens[i].start(), tokens[j - 1].end(), said, 0.7)

    @staticmethod
    def _known_name(said: str, pattern: re.Pattern[str] | None, names: dict[str, int], turn: int,
                    key: tuple[str, int], address_ends: set[tuple[str, int, int]]) -> tuple[int, int] | None:
        """Span of a known customer name (CRM or stated before ``turn``) in an agent turn."""
        if pattern is None:
            return None
        for match in pattern.finditer(said.lower()):
            word = norm(match.group(1))
            if word not in names or turn <= names[word]:
                continue
            if word in COMMON_WORD_NAMES and not _addressed(said, match.start(), match.end(), key, address_ends):
                continue
            return match.start(), match.end()
        return None

    @staticmethod
    def _addressed_customer_word(after_address: Iterable[tuple[list[str], int, int]], customer_words: set[str],
                                 own: set[str]) -> tuple[int, int] | None:
        """Span of a word the agent addresses with an honorific ("maam rosario"; ``after_address``:
        the word after each honorific, as :func:`_names_after` gives it) that the customer gave
        when asked for a name: the customer's name, even without "my name is"."""
        for words, start, end in after_address:
            if words[0] in customer_words and words[0] not in own:
                return start, end
        return None

    @staticmethod
    def _addressed_short_form(after_address: Iterable[tuple[list[str], int, int]], names: set[str],
                              own: set[str]) -> tuple[int, int] | None:
        """Span of a word the agent addresses with an honorific that is the first three or more
        letters of a longer name the caller gave ("encik *zul*" for zulkifli, "sir *nat*" for
        nathaniel), not a word of the three languages and not the agent's own name."""
        for words, start, end in after_address:
            word = words[0]
            if (len(word) >= 3 and word not in own and word not in word_languages() and word not in COMMON_WORD_NAMES
                    and any(len(name) > len(word) and name.startswith(word) for name in names)):
                return start, end
        return None


def _row(call_id: str, turn: int, speaker: str, behaviour: str, start: int, end: int, text: str, confidence: float) -> dict[str, object]:
    return {"call_id": call_id, "turn": turn, "speaker": speaker, "behaviour": behaviour, "start_char": start,
            "end_char": end, "evidence": text[start:end], "source": "csqa.customer_name.v1", "confidence": confidence}


PROFESSIONAL_TITLES = frozenset("dr doctor doc doktor doktora dra prof professor atty attorney engr cikgu teacher nurse misi".split())
"""Titles of staff the customer talks about ("doktor lee", "si doc santos"), not of the caller."""

THIRD_PARTY_LEADS = frozenset(
    "si ni kay sina nina kina for to with of under about by from untuk dengan nama kepada pasal oleh dari daripada "
    "does has is was claim permohonan booking sistem ic account akaun polisi policy".split()
)
"""Words before an honorific that make the person after it someone talked about ("for mr chandran",
"account ni sir roberto", "permohonan puan khadijah"), not the caller spoken to."""


def _addresses_caller(said: str, start: int, end: int) -> bool:
    """Whether the honorific at ``said[start:end]`` speaks to the caller: not a staff title and
    not after a word such as "for", "si" or "untuk" that makes its name someone talked about."""
    before = _name_words(said[:start])[1]
    return (not PROFESSIONAL_TITLES.intersection(_name_words(said[start:end])[1])
            and not (before and before[-1] in THIRD_PARTY_LEADS))


def _addressed(text: str, start: int, end: int, key: tuple[str, int], address_ends: set[tuple[str, int, int]]) -> bool:
    """True when the word at text[start:end] addresses someone: after an honorific, or alone at an edge."""
    before = text[:start].rstrip()
    if any((key[0], key[1], e) in address_ends for e in range(len(before) - 1, len(before) + 1)):
        return True
    at_start = not before or before.endswith((",", ".", "!", "?"))
    after = text[end:].lstrip()
    at_end = not after or after[0] in ",.!?" or norm(after.split()[0]) in {"po", "ha", "ya", "ah", "lah"}
    return at_start and (not after or after[0] in ",.!?") or at_end
