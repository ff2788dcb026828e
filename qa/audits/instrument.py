"""Audit question sets ("instruments"): their structure, the built-in set, and loading new versions.

A question set is a JSON document::

    {"key": "risk_of_harm", "version": 1, "title": "...", "judgement_rule": "...",
     "sections": [{"key": "...", "title": "...",
                   "questions": [{"key": "...", "short": "...", "text": "...",
                                  "guidance": "...", "key_question": true}]}]}

Each (key, version) is stored once, exactly as loaded, in the ``instrument``
table, and never changes afterwards: audits point at the version they used, so
loading version 2 never alters what a version 1 audit asked or how it was
judged. ``judgement_rule`` only describes the rule; the rule the portal applies
is :data:`qa.audits.judgement.RULE_TEXT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, model_validator
from pydantic_core import ErrorDetails
from sqlmodel import Session, col, select

from db.audits import Instrument
from db.engine import session_scope
from db.ids import id_of
from db.organisation import User
from qa.access.actor import Actor
from qa.access.policy import Action, require
from qa.definitions import (
    TITLE_MAX,
    Frozen,
    Key,
    ensure_stored,
    parse,
    plain_error,
    read_builtin,
    store_new_version,
    text_rule,
)
from qa.errors import NotFound

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
DEFAULT_KEY = "risk_of_harm"

SECTION_TITLE_MAX = 120
SHORT_MAX = 80
QUESTION_TEXT_MAX = 400
GUIDANCE_MAX = 1000
RULE_MAX = 2000
MAX_SECTIONS = 20
MAX_QUESTIONS_PER_SECTION = 40
MAX_QUESTIONS = 200

TitleText = Annotated[str, text_rule(TITLE_MAX)]
SectionTitleText = Annotated[str, text_rule(SECTION_TITLE_MAX)]
ShortText = Annotated[str, text_rule(SHORT_MAX)]
QuestionText = Annotated[str, text_rule(QUESTION_TEXT_MAX)]
GuidanceText = Annotated[str, text_rule(GUIDANCE_MAX, min_length=0)]
RuleText = Annotated[str, text_rule(RULE_MAX, min_length=0)]


class Question(Frozen):
    key: Key
    text: QuestionText
    short: ShortText | None = None  # a short name for reasons, reports and tables
    guidance: GuidanceText = ""
    key_question: bool = Field(default=False, strict=True)

    @property
    def label(self) -> str:
        return self.short or self.text


class Section(Frozen):
    key: Key
    title: SectionTitleText
    questions: tuple[Question, ...] = Field(min_length=1, max_length=MAX_QUESTIONS_PER_SECTION)

    @property
    def key_questions(self) -> list[Question]:
        return [q for q in self.questions if q.key_question]


class InstrumentDefinition(Frozen):
    key: Key
    version: int = Field(ge=1, strict=True)
    title: TitleText
    judgement_rule: RuleText = ""
    sections: tuple[Section, ...] = Field(min_length=1, max_length=MAX_SECTIONS)

    @model_validator(mode="after")
    def _unique_keys(self) -> InstrumentDefinition:
        problems = []
        seen_sections: set[str] = set()
        seen_questions: set[str] = set()
        for section in self.sections:
            if section.key in seen_sections:
                problems.append(f"Section '{section.key}' appears twice.")
            seen_sections.add(section.key)
            for question in section.questions:
                if question.key in seen_questions:
                    problems.append(f"Question '{question.key}' appears twice.")
                seen_questions.add(question.key)
        if len(seen_questions) > MAX_QUESTIONS:
            problems.append(f"A question set may have at most {MAX_QUESTIONS} questions.")
        if problems:
            raise ValueError(" ".join(dict.fromkeys(problems)))
        return self

    @property
    def questions(self) -> list[Question]:
        """Every question, in order."""
        return [q for s in self.sections for q in s.questions]

    @property
    def question_count(self) -> int:
        return sum(len(s.questions) for s in self.sections)

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def section_of(self, question_key: str) -> Section | None:
        return next((s for s in self.sections if any(q.key == question_key for q in s.questions)), None)


# ------------------------------------------------------------- parsing


def _where(loc: tuple, data: Any) -> str:
    """Name the part of the file an error location points at, e.g. "Section 2 ('planning'), question 1"."""
    parts: list[str] = []
    node = data
    i = 0
    while i + 1 < len(loc) and loc[i] in ("sections", "questions") and isinstance(loc[i + 1], int):
        kind, index = loc[i], loc[i + 1]
        items = node.get(kind) if isinstance(node, dict) else None
        node = items[index] if isinstance(items, list) and index < len(items) else None
        name = node.get("key") if isinstance(node, dict) else None
        label = f"{'Section' if kind == 'sections' else 'question'} {index + 1}"
        if isinstance(name, str) and name.strip():
            label += f" ('{name.strip()}')"
        parts.append(label)
        i += 2
    return ", ".join(parts) if parts else "The question set"


_ENTRIES = {"sections": "section", "questions": "question"}


def _plain(error: ErrorDetails, data: Any) -> str:
    loc = tuple(error.get("loc", ()))
    field = loc[-1] if loc and isinstance(loc[-1], str) else None
    where = _where(loc[:-1] if field else loc, data)
    return plain_error(error, where=where, field=field, whole=_where(loc, data), entries=_ENTRIES)


def parse_definition(json_text: str | bytes) -> InstrumentDefinition:
    """Check a question set file and return it parsed. Pure: touches no database.

    Raises ValidationFailed({"file": ...}) naming every problem found in plain English.
    """
    return _parse(json_text)[1]


def _parse(json_text: str | bytes) -> tuple[str, InstrumentDefinition]:
    return parse(
        json_text,
        InstrumentDefinition,
        _plain,
        "The file must hold one JSON object with 'key', 'version', 'title' and 'sections'.",
    )


# ------------------------------------------------------------- built-in sets


@lru_cache(maxsize=1)
def _builtin_files() -> tuple[tuple[str, InstrumentDefinition], ...]:
    return read_builtin(INSTRUMENTS_DIR, parse_definition)


def builtin_definitions() -> list[InstrumentDefinition]:
    """Every question set shipped in qa/audits/instruments/, in file-name order."""
    return [definition for _, definition in _builtin_files()]


def ensure_builtin(session: Session) -> None:
    """Add any built-in (key, version) the database does not hold yet. Idempotent and cheap."""
    ensure_stored(session, _builtin_files())


# ------------------------------------------------------------- reading stored versions


@lru_cache(maxsize=128)
def _parse_stored(instrument_id: int, definition: str) -> InstrumentDefinition:
    # Keyed on the id and the stored text: a stored version never changes, and
    # keying on the text too keeps separate databases (tests) from mixing.
    return parse_definition(definition)


def definition_of(session: Session, instrument_id: int) -> InstrumentDefinition:
    """The questions of one stored version (cached: a stored version never changes)."""
    row = session.get(Instrument, instrument_id)
    if row is None:
        raise NotFound("That question set could not be found.")
    return _parse_stored(row.id, row.definition)


def latest(session: Session, key: str = DEFAULT_KEY) -> tuple[Instrument, InstrumentDefinition]:
    """The highest version of a question set, adding the built-in sets first if needed."""
    ensure_builtin(session)
    row = session.exec(
        select(Instrument).where(col(Instrument.key) == key).order_by(col(Instrument.version).desc())
    ).first()
    if row is None:
        raise NotFound(f"No question set called '{key}' is loaded.")
    return row, _parse_stored(row.id, row.definition)


# ------------------------------------------------------------- services for administrators


@dataclass(frozen=True)
class InstrumentRow:
    id: int
    key: str
    version: int
    title: str
    loaded_at: datetime
    loaded_by: str | None  # None for a built-in set
    questions: int
    key_questions: int
    current: bool  # the highest version of its key, used for new audit events


def load_instrument(actor: Actor, json_text: str | bytes) -> Instrument:
    """Store a new version of a question set. Existing versions are never changed."""
    require(actor, Action.LOAD_INSTRUMENT)
    text, definition = _parse(json_text)
    with session_scope() as session:
        ensure_builtin(session)
        return store_new_version(session, actor, definition, text, "set", f"{definition.question_count} questions")


def list_instruments(actor: Actor) -> list[InstrumentRow]:
    """Every stored version, newest first within each key."""
    require(actor, Action.LOAD_INSTRUMENT)
    with session_scope() as session:
        ensure_builtin(session)
        rows = session.exec(
            select(Instrument, User.full_name)
            .join(User, col(Instrument.loaded_by_id) == col(User.id), isouter=True)
            .where(Instrument.key != "practice_skills")  # the skills framework shares the table
            .order_by(col(Instrument.key), col(Instrument.version).desc())
        ).all()
        newest: dict[str, int] = {}
        for row, _name in rows:
            newest[row.key] = max(newest.get(row.key, 0), row.version)
        result = []
        for row, name in rows:
            definition = _parse_stored(row.id, row.definition)
            result.append(
                InstrumentRow(
                    id=id_of(row),
                    key=row.key,
                    version=row.version,
                    title=row.title,
                    loaded_at=row.loaded_at,
                    loaded_by=name,
                    questions=definition.question_count,
                    key_questions=sum(q.key_question for q in definition.questions),
                    current=row.version == newest[row.key],
                )
            )
        return result


def latest_for(actor: Actor, key: str = DEFAULT_KEY) -> tuple[Instrument, InstrumentDefinition]:
    """The current version of a question set, for the administration screen."""
    require(actor, Action.LOAD_INSTRUMENT)
    with session_scope() as session:
        return latest(session, key)
