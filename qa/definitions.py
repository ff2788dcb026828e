"""Versioned JSON definitions: what audit question sets and skills frameworks have in common.

Both are files an administrator uploads, both are stored once per (key, version) in the ``instrument`` table and
never changed, and both must explain every mistake in a file in plain English. The shape of each file and the
wording that names its parts stay in :mod:`qa.audits.instrument` and :mod:`qa.observations.framework`; reading the
file, turning pydantic's errors into sentences and storing a version live here, once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.audits import Instrument
from db.organisation import utcnow
from qa.access import trail
from qa.access.actor import Actor
from qa.errors import ValidationFailed

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,59}$"
TITLE_MAX = 200  # the instrument table's column
MAX_FILE_BYTES = 256_000
#: A file with many mistakes lists this many, then says how many more there are.
MESSAGES_SHOWN = 6

Key = Annotated[str, StringConstraints(strip_whitespace=True, pattern=KEY_PATTERN)]


def text_rule(max_length: int, min_length: int = 1) -> StringConstraints:
    """The rule for a stripped text field; empty counts as missing unless ``min_length`` is 0.

    Use it as ``Annotated[str, text_rule(...)]``, so the type checker sees a ``str`` alias.
    """
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


class Frozen(BaseModel):
    # Frozen because parsed definitions are cached and shared between callers.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Versioned(Protocol):
    """What storing needs from a parsed definition."""

    @property
    def key(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def title(self) -> str: ...


Parsed = TypeVar("Parsed", bound=BaseModel)


# ------------------------------------------------------------- reading a file


def fail(message: str) -> ValidationFailed:
    """The one way a definition is refused: a message about the whole file."""
    return ValidationFailed({"file": message})


def decode(json_text: str | bytes) -> str:
    """The file as text: refuses one too large, not UTF-8, or empty."""
    if isinstance(json_text, bytes):
        if len(json_text) > MAX_FILE_BYTES:
            raise fail(f"The file is too large. A question set must be under {MAX_FILE_BYTES // 1000} KB.")
        try:
            json_text = json_text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise fail("The file is not UTF-8 text. Save it as UTF-8 JSON and try again.") from None
    json_text = json_text.removeprefix("\ufeff")
    if len(json_text.encode("utf-8")) > MAX_FILE_BYTES:
        raise fail(f"The file is too large. A question set must be under {MAX_FILE_BYTES // 1000} KB.")
    if not json_text.strip():
        raise fail("The file is empty.")
    return json_text


def no_repeated_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal names silently; a repeated field is almost always a mistake.
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise fail(f"The field '{name}' appears twice in the same part of the file.")
        result[name] = value
    return result


def knock_on(error: ErrorDetails) -> bool:
    """A tuple reports "too short" when its items failed; the item errors already say why."""
    given = error.get("input")
    minimum = (error.get("ctx") or {}).get("min_length", 1)
    return error.get("type") == "too_short" and isinstance(given, list) and len(given) >= minimum


def parse(
    json_text: str | bytes,
    model: type[Parsed],
    plain: Callable[[ErrorDetails, Any], str],
    not_an_object: str,
) -> tuple[str, Parsed]:
    """Decode and check one file: (its text, as stored, and the parsed ``model``).

    ``plain`` words one pydantic error, given the raw data so it can name the part of the file;
    ``not_an_object`` is the message for a file that is valid JSON but not one object.
    Raises ValidationFailed({"file": ...}) naming every problem found.
    """
    text = decode(json_text)
    try:
        data = json.loads(text, object_pairs_hook=no_repeated_fields)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise fail(f"The file is not valid JSON: {exc.msg.lower()} at {where}.") from None
    if not isinstance(data, dict):
        raise fail(not_an_object)
    try:
        return text, model.model_validate(data)
    except ValidationError as exc:
        messages = list(dict.fromkeys(plain(e, data) for e in exc.errors(include_url=False) if not knock_on(e)))
        shown = messages[:MESSAGES_SHOWN]
        if len(messages) > len(shown):
            shown.append(f"There are {len(messages) - len(shown)} more problems.")
        raise fail(" ".join(shown)) from None


def plain_error(
    error: ErrorDetails,
    *,
    where: str,
    field: str | None,
    whole: str,
    entries: dict[str, str],
    subject: str | None = None,
) -> str:
    """One pydantic error in plain English.

    ``where`` names the part of the file holding the field, ``whole`` the part the error points at (for "must be
    an object"), ``subject`` the field as the sentence should name it (default: the field in quotes), and
    ``entries`` the singular of each list, for "needs at least one section".
    """
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    subject = subject if subject is not None else f"'{field}'"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "missing":
        return f"{where} is missing {subject}."
    if kind == "extra_forbidden":
        return f"{where} has a field the portal does not know: '{field}'. Check its spelling."
    if kind == "string_too_short":
        return f"{where}: {subject} is empty."
    if kind == "string_too_long":
        return f"{where}: {subject} must be {ctx.get('max_length')} characters or fewer."
    if kind == "string_pattern_mismatch":
        return (
            f"{where}: the {field or 'key'} '{error.get('input')}' cannot be used. A key has 2 to 60 lowercase "
            "letters, digits or underscores and starts with a letter."
        )
    if kind == "string_type":
        return f"{where}: {subject} must be text in quotes."
    if kind.startswith("int_"):
        return f"{where}: {subject} must be a whole number, like 2."
    if kind == "greater_than_equal":
        return f"{where}: {subject} must be {ctx.get('ge')} or more."
    if kind == "less_than_equal":
        return f"{where}: {subject} must be {ctx.get('le')} or less."
    if kind.startswith("bool_"):
        return f"{where}: {subject} must be true or false."
    if kind == "too_short":
        return f"{where} needs at least one {entries.get(field or '', 'entry')}."
    if kind == "too_long":
        return f"{where}: {subject} may have at most {ctx.get('max_length')} entries."
    if kind in ("list_type", "tuple_type"):
        return f"{where}: {subject} must be a list in square brackets."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{whole} must be an object in curly brackets with named fields."
    return f"{where}: {'' if field is None else subject + ' '}{error.get('msg', 'is not valid')}."


def read_builtin(folder: Path, parse_text: Callable[[str], Parsed]) -> tuple[tuple[str, Parsed], ...]:
    """(text, parsed) for every JSON file shipped in ``folder``, in file-name order."""
    found = []
    for path in sorted(folder.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        found.append((text, parse_text(text)))
    return tuple(found)


# ------------------------------------------------------------- storing versions


def insert_if_absent(session: Session, definition: Versioned, text: str) -> int | None:
    """Insert one version unless it is there already; the new id, or None. Safe against a concurrent insert."""
    values: dict[str, Any] = dict(
        key=definition.key,
        version=definition.version,
        title=definition.title,
        definition=text,
        loaded_by_id=None,
        loaded_at=utcnow(),
    )
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        from sqlalchemy.dialects import postgresql, sqlite

        # Both dialects spell "insert, or do nothing on a clash" the same way.
        insert: Callable[..., sqlite.Insert | postgresql.Insert] = (
            sqlite.insert if dialect == "sqlite" else postgresql.insert
        )
        statement = (
            insert(Instrument)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["key", "version"])
            .returning(col(Instrument.id))
        )
        return session.execute(statement).scalar_one_or_none()
    row = Instrument(**values)
    session.add(row)
    session.flush()
    return row.id


def ensure_stored(session: Session, files: Iterable[tuple[str, Versioned]]) -> None:
    """Add any built-in (key, version) the database does not hold yet. Idempotent and cheap."""
    files = list(files)
    keys = {definition.key for _, definition in files}
    have = set(
        session.exec(select(Instrument.key, Instrument.version).where(col(Instrument.key).in_(sorted(keys)))).all()
    )
    for text, definition in files:
        if (definition.key, definition.version) in have:
            continue
        new_id = insert_if_absent(session, definition, text)
        if new_id is not None:
            trail.record(
                session, None, "loaded", "instrument", new_id, f"Built-in {definition.key} version {definition.version}"
            )


def store_new_version(
    session: Session, actor: Actor, parsed: Versioned, text: str, noun: str, summary: str
) -> Instrument:
    """Add a version (question set or skills framework) only if it is newer than every stored one."""
    versions = set(session.exec(select(Instrument.version).where(Instrument.key == parsed.key)).all())
    already = fail(
        f"Version {parsed.version} of '{parsed.key}' is already loaded. Give the new {noun} a higher version number."
    )
    if parsed.version in versions:
        raise already
    if versions and parsed.version < max(versions):
        raise fail(
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
