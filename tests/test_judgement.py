"""The section judgement rule: table-driven, so the rule reads like its documentation."""

import pytest

from db.audits import Answer
from qa.audits.instrument import InstrumentDefinition, Section, builtin_definitions
from qa.audits.judgement import RULE_TEXT, SectionJudgement, Verdict, judge_audit, judge_section, missing_answers

Y, P, N, NA = Answer.YES, Answer.PARTLY, Answer.NO, Answer.NOT_APPLICABLE

# Two key questions (k1, k2) and two others (o1, o2).
SECTION = Section.model_validate(
    {
        "key": "planning",
        "title": "Planning",
        "questions": [
            {
                "key": "k1",
                "short": "Plan targets critical factors",
                "text": "Does the plan target the critical factors?",
                "key_question": True,
            },
            {"key": "k2", "short": "Contingency plan", "text": "Is there a contingency plan?", "key_question": True},
            {"key": "o1", "short": "Balanced measures", "text": "Are the measures balanced?"},
            {"key": "o2", "text": "Were partner agencies linked in?"},
        ],
    }
)

# A section with no key questions at all, like the optional Engagement section.
NO_KEYS = Section.model_validate(
    {
        "key": "engagement",
        "title": "Engagement",
        "questions": [
            {"key": "e1", "short": "Views sought", "text": "Were the person's views sought?"},
            {"key": "e2", "short": "Views used", "text": "Were the person's views used?"},
        ],
    }
)


def answers(k1=None, k2=None, o1=None, o2=None):
    return {"k1": k1, "k2": k2, "o1": o1, "o2": o2}


@pytest.mark.parametrize(
    ("given", "verdict", "reason"),
    [
        # Sufficient: every key question Yes, nothing No.
        (
            answers(Y, Y, Y, Y),
            Verdict.SUFFICIENT,
            "Every key question that applies was answered Yes and no question was answered No.",
        ),
        (answers(Y, Y, P, NA), Verdict.SUFFICIENT, None),  # Partly on a non-key question is allowed
        (answers(Y, NA, Y, Y), Verdict.SUFFICIENT, None),  # a key question that does not apply is left out
        # Partly sufficient: no key No, but a key Partly or another question No.
        (answers(Y, P, Y, Y), Verdict.PARTLY_SUFFICIENT, "Key question 'Contingency plan' was answered Partly."),
        (
            answers(P, P, Y, Y),
            Verdict.PARTLY_SUFFICIENT,
            "Key questions 'Plan targets critical factors' and 'Contingency plan' were answered Partly.",
        ),
        (answers(Y, Y, N, Y), Verdict.PARTLY_SUFFICIENT, "Question 'Balanced measures' was answered No."),
        (
            answers(P, Y, N, N),
            Verdict.PARTLY_SUFFICIENT,
            "Key question 'Plan targets critical factors' was answered Partly. "
            "Questions 'Balanced measures' and 'Were partner agencies linked in?' were answered No.",
        ),
        # Insufficient: any key question No, whatever else.
        (answers(N, Y, Y, Y), Verdict.INSUFFICIENT, "Key question 'Plan targets critical factors' was answered No."),
        (answers(Y, N, P, N), Verdict.INSUFFICIENT, "Key question 'Contingency plan' was answered No."),
        (
            answers(N, N, Y, Y),
            Verdict.INSUFFICIENT,
            "Key questions 'Plan targets critical factors' and 'Contingency plan' were answered No.",
        ),
        # Not applicable: everything Not applicable.
        (answers(NA, NA, NA, NA), Verdict.NOT_APPLICABLE, "Every question in this section was marked Not applicable."),
        # No key question applies: the questions that do apply all count as key.
        (answers(NA, NA, Y, Y), Verdict.SUFFICIENT, "Every question that applies was answered Yes."),
        (answers(NA, NA, Y, P), Verdict.PARTLY_SUFFICIENT, None),
        (answers(NA, NA, N, Y), Verdict.INSUFFICIENT, None),
        # Not judged until every question has an answer, even if a key question is already No.
        (answers(Y, Y, Y, None), Verdict.NOT_JUDGED, "1 question in this section has no answer yet."),
        (answers(N, None, None, Y), Verdict.NOT_JUDGED, "2 questions in this section have no answer yet."),
        ({}, Verdict.NOT_JUDGED, "4 questions in this section have no answer yet."),
    ],
)
def test_the_section_rule(given, verdict, reason):
    judgement = judge_section(SECTION, given)
    assert judgement.verdict is verdict
    assert judgement.section_key == "planning" and judgement.title == "Planning"
    if reason is not None:
        assert judgement.reason == reason


@pytest.mark.parametrize(
    ("e1", "e2", "verdict"),
    [
        (Y, Y, Verdict.SUFFICIENT),
        (Y, P, Verdict.PARTLY_SUFFICIENT),
        (Y, N, Verdict.INSUFFICIENT),
        (N, N, Verdict.INSUFFICIENT),
        (NA, Y, Verdict.SUFFICIENT),
        (NA, NA, Verdict.NOT_APPLICABLE),
    ],
)
def test_a_section_without_key_questions_counts_every_question(e1, e2, verdict):
    judgement = judge_section(NO_KEYS, {"e1": e1, "e2": e2})
    assert judgement.verdict is verdict
    if verdict is Verdict.INSUFFICIENT:
        assert "every question counts" in judgement.reason


def test_answers_may_be_stored_strings():
    given = {"k1": "yes", "k2": "partly", "o1": "not applicable", "o2": ""}
    assert judge_section(SECTION, given).verdict is Verdict.NOT_JUDGED  # "" means not answered
    given["o2"] = "no"
    assert judge_section(SECTION, given).verdict is Verdict.PARTLY_SUFFICIENT


def test_answers_for_other_sections_are_ignored():
    given = answers(Y, Y, Y, Y) | {"zz": N}
    assert judge_section(SECTION, given).verdict is Verdict.SUFFICIENT


def test_verdicts_read_well_on_screen_and_in_exports():
    assert (
        [str(v) for v in Verdict]
        == [v.label for v in Verdict]
        == [
            "Sufficient",
            "Partly sufficient",
            "Insufficient",
            "Not applicable",
            "Not yet judged",
        ]
    )


def two_sections() -> InstrumentDefinition:
    return InstrumentDefinition.model_validate(
        {"key": "test_set", "version": 1, "title": "Test set", "sections": [SECTION.model_dump(), NO_KEYS.model_dump()]}
    )


def test_judge_audit_gives_one_judgement_per_section_in_order():
    result = judge_audit(two_sections(), answers(Y, N, Y, Y) | {"e1": Y, "e2": Y})
    assert [j.section_key for j in result] == ["planning", "engagement"]
    assert [j.verdict for j in result] == [Verdict.INSUFFICIENT, Verdict.SUFFICIENT]
    assert all(isinstance(j, SectionJudgement) for j in result)


def test_missing_answers_lists_unanswered_questions_in_order_with_their_section():
    definition = two_sections()
    given = {"k1": Y, "k2": None, "o1": NA, "e2": N}
    assert missing_answers(definition, given) == [
        "Planning: Is there a contingency plan?",
        "Planning: Were partner agencies linked in?",
        "Engagement: Were the person's views sought?",
    ]
    everything = {q.key: NA for q in definition.questions}
    assert missing_answers(definition, everything) == []  # Not applicable is an answer


def test_the_default_set_can_be_judged_end_to_end():
    definition = builtin_definitions()[0]
    all_yes = {q.key: Y for q in definition.questions}
    assert {j.verdict for j in judge_audit(definition, all_yes)} == {Verdict.SUFFICIENT}
    children = dict(all_yes, a_victims_children=N)
    assessment = judge_audit(definition, children)[0]
    assert assessment.verdict is Verdict.INSUFFICIENT
    assert assessment.reason == "Key question 'Risks to victims and children analysed' was answered No."


def test_the_rule_text_describes_every_verdict():
    for words in ("Sufficient", "Partly sufficient", "Insufficient", "Not applicable", "not judged"):
        assert words in RULE_TEXT
