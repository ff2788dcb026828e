"""Words for feelings, for a quick debrief after a difficult contact.

Many practitioners spend the day keeping their own feelings in check while
they are with a person on probation, and afterwards it can be hard to find the
words for what that felt like. This module offers a short, grouped list to pick
from. Nothing in it is a diagnosis or a score: it is just a shared vocabulary,
so that a practitioner can name a feeling in a couple of taps, and so that the
only team-level use of feelings (a count across at least five people) can be
done on fixed words rather than on anyone's free text.

Every word is lower case, at most :data:`WORD_MAX` characters, and appears in
exactly one family. The order of :data:`FAMILIES` and of the words inside each
family is the order the portal shows them in, and :data:`ALL_WORDS` keeps that
order; other modules use it to break ties.

Pure module: no database, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

WORD_MAX = 30


@dataclass(frozen=True, slots=True)
class Family:
    """A group of related feeling words, shown together under ``title``."""

    key: str
    title: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Prompt:
    """An optional tick-box prompt with a stable ``key`` (stored) and ``text`` (shown)."""

    key: str
    text: str


POSITIVE_FAMILY_KEY = "positive"

FAMILIES: tuple[Family, ...] = (
    Family(
        key="fear",
        title="Fear and worry",
        words=("anxious", "worried", "scared", "nervous", "on edge", "unsafe", "panicky"),
    ),
    Family(
        key="anger",
        title="Anger and frustration",
        words=("angry", "frustrated", "irritated", "wound up", "resentful", "furious", "powerless"),
    ),
    Family(
        key="sadness",
        title="Sadness and hurt",
        words=("sad", "upset", "hurt", "disappointed", "tearful", "let down", "lonely"),
    ),
    Family(
        key="shock",
        title="Shock",
        words=("shocked", "shaken", "stunned", "caught off guard", "numb", "disbelieving"),
    ),
    Family(
        key="exhaustion",
        title="Tiredness and running low",
        words=("drained", "exhausted", "overwhelmed", "flat", "weary", "stretched thin", "running on empty"),
    ),
    Family(
        key="unease",
        title="Unease and discomfort",
        words=("uncomfortable", "uneasy", "unsettled", "disgusted", "repelled", "troubled"),
    ),
    Family(
        key="self_doubt",
        title="Guilt, shame and self-doubt",
        words=("guilty", "ashamed", "embarrassed", "doubting myself", "out of my depth", "second-guessing"),
    ),
    Family(
        key=POSITIVE_FAMILY_KEY,
        title="Relief and good feelings",
        words=(
            "relieved",
            "proud",
            "hopeful",
            "satisfied",
            "compassionate",
            "connected",
            "grateful",
            "calm",
            "encouraged",
            "confident",
            "respected",
        ),
    ),
)

ALL_WORDS: tuple[str, ...] = tuple(word for family in FAMILIES for word in family.words)

_FAMILY_BY_WORD: dict[str, Family] = {word: family for family in FAMILIES for word in family.words}

if len(_FAMILY_BY_WORD) != len(ALL_WORDS):  # pragma: no cover - guards future edits
    raise RuntimeError("A feeling word appears in more than one family.")


def family_of(word: str) -> Family | None:
    """The family ``word`` belongs to, or None if it is not in the vocabulary.

    The match is exact (vocabulary words are lower case and single-spaced), so
    a word that passes :func:`is_known` can be stored as it is. Use
    :func:`canonical` first to accept stray capitals or spaces.
    """
    if not isinstance(word, str):
        return None
    return _FAMILY_BY_WORD.get(word)


def is_known(word: str) -> bool:
    """True when ``word`` is, exactly, one of the vocabulary's words."""
    return family_of(word) is not None


def canonical(word: str) -> str | None:
    """The vocabulary's spelling of ``word`` ignoring capitals and extra spaces, or None if unknown."""
    if not isinstance(word, str):
        return None
    cleaned = " ".join(word.split()).lower()
    return cleaned if cleaned in _FAMILY_BY_WORD else None


# Optional prompts for the signs that the work may be getting to you. They are
# offered, never required, and are worded as things that happen to everyone
# sometimes rather than as failings.
SIGN_PROMPTS: tuple[Prompt, ...] = (
    Prompt(key="drained", text="I felt worn out or drained after seeing them."),
    Prompt(key="dreading", text="I'm dreading the next appointment, or I'd rather not see them at all."),
    Prompt(
        key="over_involved",
        text="They're on my mind outside work, or I'm doing more for them than my role asks.",
    ),
    Prompt(key="threatened", text="I felt threatened or unsafe when I was with them."),
    Prompt(
        key="falling_out",
        text="I've found myself at odds with colleagues or other agencies over this person.",
    ),
)

SIGN_KEYS: tuple[str, ...] = tuple(prompt.key for prompt in SIGN_PROMPTS)
