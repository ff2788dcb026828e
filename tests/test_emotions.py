"""The feelings vocabulary, the sign prompts, the reflective model guides and tags."""

import re

import pytest

from db.reflection import ReflectiveModel
from qa.reflection import emotions
from qa.reflection.emotions import (
    ALL_WORDS,
    FAMILIES,
    POSITIVE_FAMILY_KEY,
    SIGN_PROMPTS,
    canonical,
    family_of,
    is_known,
)
from qa.reflection.reflective_models import MODELS, TAG_MAX, TAGS, guide, normalise_tag

REQUIRED_FAMILIES = {"fear", "anger", "sadness", "shock", "exhaustion", "unease", "self_doubt", "positive"}
BANNED = re.compile(r"\boffenders?\b", re.IGNORECASE)


# --- emotions -----------------------------------------------------------------


def test_required_families_present_and_non_empty():
    keys = [family.key for family in FAMILIES]
    assert len(keys) == len(set(keys))
    assert REQUIRED_FAMILIES <= set(keys)
    for family in FAMILIES:
        assert family.title
        assert family.words, family.key


def test_at_least_36_unique_words():
    assert len(ALL_WORDS) >= 36
    assert len(set(ALL_WORDS)) == len(ALL_WORDS)


def test_words_are_short_lower_case_and_tidy():
    for word in ALL_WORDS:
        assert word == word.lower()
        assert word == " ".join(word.split())
        assert 0 < len(word) <= emotions.WORD_MAX


def test_all_words_keeps_vocabulary_order():
    assert ALL_WORDS == tuple(w for family in FAMILIES for w in family.words)
    assert ALL_WORDS[0] == FAMILIES[0].words[0]


def test_family_of_finds_each_word():
    for family in FAMILIES:
        for word in family.words:
            assert family_of(word) is family
            assert is_known(word)


def test_lookup_is_exact_so_known_words_can_be_stored_as_they_are():
    assert family_of("  Anxious ") is None
    assert not is_known("Anxious")


def test_canonical_tidies_case_and_spaces():
    assert canonical("  Anxious ") == "anxious"
    assert canonical("Running   on EMPTY") == "running on empty"
    assert canonical("zzz") is None
    assert canonical(None) is None


def test_unknown_words():
    assert family_of("zzz") is None
    assert family_of("") is None
    assert family_of(None) is None
    assert not is_known("offender")
    assert not is_known("")


def test_positive_family():
    positive = family_of("relieved")
    assert positive.key == POSITIVE_FAMILY_KEY
    for word in ("proud", "hopeful", "satisfied", "compassionate", "connected"):
        assert family_of(word).key == POSITIVE_FAMILY_KEY


def test_expected_words_in_expected_families():
    assert family_of("disgusted").key == "unease"
    assert family_of("uncomfortable").key == "unease"
    assert family_of("drained").key == "exhaustion"
    assert family_of("guilty").key == "self_doubt"
    assert family_of("shocked").key == "shock"
    assert family_of("frustrated").key == "anger"
    assert family_of("hurt").key == "sadness"


def test_sign_prompts():
    keys = [prompt.key for prompt in SIGN_PROMPTS]
    assert len(keys) == len(set(keys))
    assert {"drained", "dreading", "over_involved", "threatened"} <= set(keys)
    assert emotions.SIGN_KEYS == tuple(keys)
    for prompt in SIGN_PROMPTS:
        assert prompt.text.strip()
        assert not BANNED.search(prompt.text)


# --- reflective models --------------------------------------------------------

EXPECTED_KEYS = {
    ReflectiveModel.FREE: ("notes",),
    ReflectiveModel.SCHEIN: ("observation", "reaction", "judgement", "intervention"),
    ReflectiveModel.GIBBS: ("description", "feelings", "evaluation", "analysis", "conclusion", "action_plan"),
    ReflectiveModel.ROLFE: ("what", "so_what", "now_what"),
}


def test_every_model_has_a_guide():
    assert set(MODELS) == set(ReflectiveModel)


@pytest.mark.parametrize("model", list(ReflectiveModel))
def test_model_prompts(model):
    g = guide(model)
    assert g.model is model
    assert g.title and g.summary
    assert tuple(p.key for p in g.prompts) == EXPECTED_KEYS[model]
    assert g.keys == EXPECTED_KEYS[model]
    for prompt in g.prompts:
        assert prompt.heading.strip()
        assert prompt.question.strip()
        # one or two sentences each
        sentences = [s for s in re.split(r"(?<=[.?!])\s+", prompt.question.strip()) if s]
        assert 1 <= len(sentences) <= 2, prompt.question
        assert not BANNED.search(prompt.question)


def test_guide_accepts_the_stored_string():
    assert guide("Gibbs") is MODELS[ReflectiveModel.GIBBS]
    assert guide("free writing") is MODELS[ReflectiveModel.FREE]
    with pytest.raises(ValueError):
        guide("Kolb's mystery model")


def test_feelings_prompts_invite_honesty():
    text = " ".join(p.question for g in MODELS.values() for p in g.prompts).lower()
    assert "honest" in text
    assert "only you" in text or "private" in text


def test_suggested_tags_exactly():
    assert TAGS == (
        "risk of harm",
        "safeguarding",
        "domestic abuse",
        "mental health",
        "substance use",
        "compliance and enforcement",
        "engagement",
        "diversity",
        "boundaries",
        "learning from an audit or observation",
    )
    for tag in TAGS:
        assert normalise_tag(tag) == tag


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Risk   of Harm ", "risk of harm"),
        ("SAFEGUARDING", "safeguarding"),
        ("mental\thealth", "mental health"),
        ("", None),
        ("    ", None),
        (None, None),
        ("x" * TAG_MAX, "x" * TAG_MAX),
        ("  " + "y" * TAG_MAX + "  ", "y" * TAG_MAX),
    ],
)
def test_normalise_tag(raw, expected):
    assert normalise_tag(raw) == expected


def test_normalise_tag_too_long():
    with pytest.raises(ValueError, match="40 characters"):
        normalise_tag("z" * (TAG_MAX + 1))
