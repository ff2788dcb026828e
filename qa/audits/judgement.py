"""The section judgement rule for case audits. Pure: no database, no Streamlit.

Each section of an audit gets one verdict, worked out from its answers by the
rule in :data:`RULE_TEXT`, which the screens show word for word. In short:

1. A section with any unanswered question is **not yet judged**.
2. Questions answered *Not applicable* are left out. If nothing is left, the
   section is **not applicable**.
3. If none of the key questions that are left applies, every question that is
   left counts as a key question (so a section without key questions, such as
   Engagement, can still be insufficient).
4. **Insufficient** if any key question was answered No.
5. **Sufficient** if every key question was answered Yes and no question at
   all was answered No. *Partly* on a non-key question does not lower it.
6. Otherwise **partly sufficient**: a key question was answered Partly, or a
   non-key question was answered No.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from db.audits import Answer
from qa.audits.instrument import InstrumentDefinition, Question, Section

RULE_TEXT = (
    "Each section is judged from its answers. Questions marked Not applicable are left out. "
    "Insufficient: a key question was answered No. "
    "Partly sufficient: no key question was answered No, but a key question was answered Partly "
    "or another question was answered No. "
    "Sufficient: every key question was answered Yes and no question was answered No "
    "(Partly on a question that is not a key question is allowed). "
    "Not applicable: every question in the section was marked Not applicable. "
    "If none of a section's key questions applies, every question that does apply counts as a key question. "
    "A section is not judged until every question in it has an answer."
)


class Verdict(StrEnum):
    """A section's judgement. Never stored (it is worked out from the answers), so the
    values are the words shown on screen and in exports: ``str(verdict)`` reads well."""

    SUFFICIENT = "Sufficient"
    PARTLY_SUFFICIENT = "Partly sufficient"
    INSUFFICIENT = "Insufficient"
    NOT_APPLICABLE = "Not applicable"
    NOT_JUDGED = "Not yet judged"

    @property
    def label(self) -> str:
        return self.value


@dataclass(frozen=True)
class SectionJudgement:
    section_key: str
    title: str
    verdict: Verdict
    reason: str  # plain English, safe to show


AnswerLike = Answer | str | None


def _as_answer(value: AnswerLike) -> Answer | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Answer) else Answer(value)


def _quoted(questions: list[Question]) -> str:
    names = [f"'{q.label}'" for q in questions]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _were(questions: list[Question], kind: str, answer: Answer) -> str:
    noun = kind + ("s" if len(questions) > 1 else "")
    verb = "were" if len(questions) > 1 else "was"
    return f"{noun} {_quoted(questions)} {verb} answered {answer.label}."


def judge_section(section: Section, answers: Mapping[str, AnswerLike]) -> SectionJudgement:
    """The verdict for one section, with the reason in plain English.

    ``answers`` maps question keys to an :class:`Answer` (or its string value);
    a missing key or ``None`` means not answered yet. Keys from other sections
    are ignored.
    """

    def result(verdict: Verdict, reason: str) -> SectionJudgement:
        return SectionJudgement(section.key, section.title, verdict, reason)

    given = {q.key: _as_answer(answers.get(q.key)) for q in section.questions}
    unanswered = [q for q in section.questions if given[q.key] is None]
    if unanswered:
        n = len(unanswered)
        count = "1 question in this section has" if n == 1 else f"{n} questions in this section have"
        return result(Verdict.NOT_JUDGED, f"{count} no answer yet.")

    applicable = [q for q in section.questions if given[q.key] is not Answer.NOT_APPLICABLE]
    if not applicable:
        return result(Verdict.NOT_APPLICABLE, "Every question in this section was marked Not applicable.")

    keys = [q for q in applicable if q.key_question]
    every_question_counts = not keys
    if every_question_counts:
        keys = applicable
    others = [q for q in applicable if q not in keys]
    kind = "Question" if every_question_counts else "Key question"
    note = " No key question applies here, so every question counts as one." if every_question_counts else ""

    key_no = [q for q in keys if given[q.key] is Answer.NO]
    if key_no:
        return result(Verdict.INSUFFICIENT, _were(key_no, kind, Answer.NO) + note)

    key_partly = [q for q in keys if given[q.key] is Answer.PARTLY]
    other_no = [q for q in others if given[q.key] is Answer.NO]
    if key_partly or other_no:
        parts = []
        if key_partly:
            parts.append(_were(key_partly, kind, Answer.PARTLY))
        if other_no:
            parts.append(_were(other_no, "Question", Answer.NO))
        return result(Verdict.PARTLY_SUFFICIENT, " ".join(parts) + note)

    if every_question_counts:
        return result(Verdict.SUFFICIENT, "Every question that applies was answered Yes.")
    return result(
        Verdict.SUFFICIENT, "Every key question that applies was answered Yes and no question was answered No."
    )


def judge_audit(definition: InstrumentDefinition, answers: Mapping[str, AnswerLike]) -> list[SectionJudgement]:
    """One judgement per section, in the question set's order."""
    return [judge_section(section, answers) for section in definition.sections]


def missing_answers(definition: InstrumentDefinition, answers: Mapping[str, AnswerLike]) -> list[str]:
    """Every question with no answer yet, as "Section title: question text", in order.

    Not applicable counts as an answer.
    """
    return [
        f"{section.title}: {question.text}"
        for section in definition.sections
        for question in section.questions
        if _as_answer(answers.get(question.key)) is None
    ]
