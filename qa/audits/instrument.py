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

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.audits import Instrument
from db.engine import session_scope
from db.organisation import User, utcnow
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, require
from qa.errors import NotFound, ValidationFailed

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
DEFAULT_KEY = "risk_of_harm"

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,59}$"
TITLE_MAX = 200  # the instrument table's column
SECTION_TITLE_MAX = 120
SHORT_MAX = 80
QUESTION_TEXT_MAX = 400
GUIDANCE_MAX = 1000
RULE_MAX = 2000
MAX_SECTIONS = 20
MAX_QUESTIONS_PER_SECTION = 40
MAX_QUESTIONS = 200
MAX_FILE_BYTES = 256_000

Key = Annotated[str, StringConstraints(strip_whitespace=True, pattern=KEY_PATTERN)]


def _text(max_length: int, min_length: int = 1):
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)]


TitleText = _text(TITLE_MAX)
SectionTitleText = _text(SECTION_TITLE_MAX)
ShortText = _text(SHORT_MAX)
QuestionText = _text(QUESTION_TEXT_MAX)
GuidanceText = _text(GUIDANCE_MAX, min_length=0)
RuleText = _text(RULE_MAX, min_length=0)


class _Frozen(BaseModel):
    # Frozen because parsed definitions are cached and shared between callers.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_Frozen):
    key: Key
    text: QuestionText
    short: ShortText | None = None  # a short name for reasons, reports and tables
    guidance: GuidanceText = ""
    key_question: bool = Field(default=False, strict=True)

    @property
    def label(self) -> str:
        return self.short or self.text


class Section(_Frozen):
    key: Key
    title: SectionTitleText
    questions: tuple[Question, ...] = Field(min_length=1, max_length=MAX_QUESTIONS_PER_SECTION)

    @property
    def key_questions(self) -> list[Question]:
        return [q for q in self.questions if q.key_question]


class InstrumentDefinition(_Frozen):
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


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed({"file": message})


def _decode(json_text: str | bytes) -> str:
    if isinstance(json_text, bytes):
        if len(json_text) > MAX_FILE_BYTES:
            raise _fail(f"The file is too large. A question set must be under {MAX_FILE_BYTES // 1000} KB.")
        try:
            json_text = json_text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _fail("The file is not UTF-8 text. Save it as UTF-8 JSON and try again.") from None
    json_text = json_text.removeprefix("\ufeff")
    if len(json_text.encode("utf-8")) > MAX_FILE_BYTES:
        raise _fail(f"The file is too large. A question set must be under {MAX_FILE_BYTES // 1000} KB.")
    if not json_text.strip():
        raise _fail("The file is empty.")
    return json_text


def _no_repeated_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _fail(f"The field '{name}' appears twice in the same part of the file.")
        result[name] = value
    return result


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


def _knock_on(error: dict[str, Any]) -> bool:
    """A tuple reports "too short" when its items failed; the item errors already say why."""
    given = error.get("input")
    minimum = (error.get("ctx") or {}).get("min_length", 1)
    return error.get("type") == "too_short" and isinstance(given, list) and len(given) >= minimum


def _plain(error: dict[str, Any], data: Any) -> str:
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    field = loc[-1] if loc and isinstance(loc[-1], str) else None
    container = loc[:-1] if field else loc
    where = _where(container, data)
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "missing":
        return f"{where} is missing '{field}'."
    if kind == "extra_forbidden":
        return f"{where} has a field the portal does not know: '{field}'. Check its spelling."
    if kind == "string_too_short":
        return f"{where}: '{field}' is empty."
    if kind == "string_too_long":
        return f"{where}: '{field}' must be {ctx.get('max_length')} characters or fewer."
    if kind == "string_pattern_mismatch":
        return (
            f"{where}: the {field or 'key'} '{error.get('input')}' cannot be used. A key has 2 to 60 lowercase "
            "letters, digits or underscores and starts with a letter."
        )
    if kind == "string_type":
        return f"{where}: '{field}' must be text in quotes."
    if kind.startswith("int_"):
        return f"{where}: '{field}' must be a whole number, like 2."
    if kind == "greater_than_equal":
        return f"{where}: '{field}' must be {ctx.get('ge')} or more."
    if kind.startswith("bool_"):
        return f"{where}: '{field}' must be true or false."
    if kind == "too_short":
        what = {"sections": "section", "questions": "question"}.get(field or "", "entry")
        return f"{where} needs at least one {what}."
    if kind == "too_long":
        return f"{where}: '{field}' may have at most {ctx.get('max_length')} entries."
    if kind in ("list_type", "tuple_type"):
        return f"{where}: '{field}' must be a list in square brackets."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        target = _where(loc, data)
        return f"{target} must be an object in curly brackets with named fields."
    return f"{where}: {'' if field is None else repr(field) + ' '}{error.get('msg', 'is not valid')}."


def parse_definition(json_text: str | bytes) -> InstrumentDefinition:
    """Check a question set file and return it parsed. Pure: touches no database.

    Raises ValidationFailed({"file": ...}) naming every problem found in plain English.
    """
    return _parse(json_text)[1]


def _parse(json_text: str | bytes) -> tuple[str, InstrumentDefinition]:
    text = _decode(json_text)
    try:
        data = json.loads(text, object_pairs_hook=_no_repeated_fields)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise _fail(f"The file is not valid JSON: {exc.msg.lower()} at {where}.") from None
    if not isinstance(data, dict):
        raise _fail("The file must hold one JSON object with 'key', 'version', 'title' and 'sections'.")
    try:
        return text, InstrumentDefinition.model_validate(data)
    except ValidationError as exc:
        messages = list(dict.fromkeys(_plain(e, data) for e in exc.errors(include_url=False) if not _knock_on(e)))
        shown = messages[:6]
        if len(messages) > len(shown):
            shown.append(f"There are {len(messages) - len(shown)} more problems.")
        raise _fail(" ".join(shown)) from None


# ------------------------------------------------------------- built-in sets


@lru_cache(maxsize=1)
def _builtin_files() -> tuple[tuple[str, InstrumentDefinition], ...]:
    found = []
    for path in sorted(INSTRUMENTS_DIR.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        found.append((text, parse_definition(text)))
    return tuple(found)


def builtin_definitions() -> list[InstrumentDefinition]:
    """Every question set shipped in qa/audits/instruments/, in file-name order."""
    return [definition for _, definition in _builtin_files()]


def _insert_if_absent(session: Session, definition: InstrumentDefinition, text: str) -> int | None:
    """Insert one version unless it is there already; the new id, or None. Safe against a concurrent insert."""
    values = dict(
        key=definition.key,
        version=definition.version,
        title=definition.title,
        definition=text,
        loaded_by_id=None,
        loaded_at=utcnow(),
    )
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = (
            insert(Instrument)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["key", "version"])
            .returning(Instrument.id)
        )
        return session.execute(statement).scalar_one_or_none()
    row = Instrument(**values)
    session.add(row)
    session.flush()
    return row.id


def ensure_builtin(session: Session) -> None:
    """Add any built-in (key, version) the database does not hold yet. Idempotent and cheap."""
    files = _builtin_files()
    have = set(session.exec(select(Instrument.key, Instrument.version)).all())
    for text, definition in files:
        if (definition.key, definition.version) in have:
            continue
        new_id = _insert_if_absent(session, definition, text)
        if new_id is not None:
            trail.record(
                session, None, "loaded", "instrument", new_id, f"Built-in {definition.key} version {definition.version}"
            )


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
    row = session.exec(select(Instrument).where(Instrument.key == key).order_by(Instrument.version.desc())).first()
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


def store_new_version(session: Session, actor: Actor, parsed, text: str, noun: str, summary: str) -> Instrument:
    """Add a version (question set or skills framework) only if it is newer than every stored one."""
    versions = set(session.exec(select(Instrument.version).where(Instrument.key == parsed.key)).all())
    already = _fail(
        f"Version {parsed.version} of '{parsed.key}' is already loaded. Give the new {noun} a higher version number."
    )
    if parsed.version in versions:
        raise already
    if versions and parsed.version < max(versions):
        raise _fail(
            f"Version {parsed.version} of '{parsed.key}' is older than version {max(versions)}, "
            f"which is already loaded. Give the new {noun} a higher version number."
        )
    row = Instrument(key=parsed.key, version=parsed.version, title=parsed.title, definition=text, loaded_by_id=actor.id)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # someone loaded the same version a moment ago
        raise already from None
    trail.record(session, actor, "loaded", "instrument", row.id, f"{parsed.key} version {parsed.version} ({summary})")
    return row


def list_instruments(actor: Actor) -> list[InstrumentRow]:
    """Every stored version, newest first within each key."""
    require(actor, Action.LOAD_INSTRUMENT)
    with session_scope() as session:
        ensure_builtin(session)
        rows = session.exec(
            select(Instrument, User.full_name)
            .join(User, Instrument.loaded_by_id == User.id, isouter=True)
            .where(Instrument.key != "practice_skills")  # the skills framework shares the table
            .order_by(Instrument.key, Instrument.version.desc())
        ).all()
        newest: dict[str, int] = {}
        for row, _name in rows:
            newest[row.key] = max(newest.get(row.key, 0), row.version)
        result = []
        for row, name in rows:
            definition = _parse_stored(row.id, row.definition)
            result.append(
                InstrumentRow(
                    id=row.id,
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
