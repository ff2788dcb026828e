"""The practice skills framework that observers of one-to-one practice rate against.

A framework is a JSON document::

    {"key": "practice_skills", "version": 1, "title": "...",
     "scale": [{"value": 1, "label": "..."}, ..., {"value": 4, "label": "..."}],
     "domains": [{"key": "...", "title": "...", "focus": "...",
                  "descriptors": {"1": "...", "2": "...", "3": "...", "4": "..."}}]}

The scale always runs from 1 to 4, the range observation ratings are stored in
(:data:`db.observations.RATING_MIN` to :data:`db.observations.RATING_MAX`).
Each descriptor says what an observer would see at that point for that domain.

Versions are stored like audit question sets, once and exactly as loaded, in the
``instrument`` table (see :mod:`qa.audits.instrument`). An observation points at the
version it used, so loading version 2 never changes what an earlier observation
was rated against.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_core import ErrorDetails
from sqlmodel import Session, col, select

from db.audits import Instrument
from db.engine import session_scope
from db.observations import RATING_MAX, RATING_MIN
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

FRAMEWORK_KEY = "practice_skills"
FRAMEWORKS_DIR = Path(__file__).resolve().parent / "frameworks"
SCALE_VALUES = tuple(range(RATING_MIN, RATING_MAX + 1))  # (1, 2, 3, 4)

LABEL_MAX = 40
DOMAIN_TITLE_MAX = 120
FOCUS_MAX = 300
DESCRIPTOR_MAX = 500
MAX_DOMAINS = 20


TitleText = Annotated[str, text_rule(TITLE_MAX)]
LabelText = Annotated[str, text_rule(LABEL_MAX)]
DomainTitleText = Annotated[str, text_rule(DOMAIN_TITLE_MAX)]
FocusText = Annotated[str, text_rule(FOCUS_MAX)]
DescriptorText = Annotated[str, text_rule(DESCRIPTOR_MAX)]

_POINTS = ", ".join(str(v) for v in SCALE_VALUES[:-1]) + f" and {SCALE_VALUES[-1]}"


class ScalePoint(Frozen):
    value: int = Field(ge=RATING_MIN, le=RATING_MAX, strict=True)
    label: LabelText


class Domain(Frozen):
    key: Key
    title: DomainTitleText
    focus: FocusText
    descriptors: dict[int, DescriptorText]

    @model_validator(mode="after")
    def _every_point_described(self) -> Domain:
        problems = []
        missing = [v for v in SCALE_VALUES if v not in self.descriptors]
        extra = sorted(v for v in self.descriptors if v not in SCALE_VALUES)
        if missing:
            points = ", ".join(str(v) for v in missing)
            problems.append(
                f"Domain '{self.key}' needs a description for every point from {SCALE_VALUES[0]} to "
                f"{SCALE_VALUES[-1]}; point{'s' if len(missing) > 1 else ''} {points} "
                f"{'are' if len(missing) > 1 else 'is'} missing."
            )
        if extra:
            points = ", ".join(str(v) for v in extra)
            problems.append(
                f"Domain '{self.key}' describes point{'s' if len(extra) > 1 else ''} {points}, but the scale "
                f"only runs from {SCALE_VALUES[0]} to {SCALE_VALUES[-1]}."
            )
        if problems:
            raise ValueError(" ".join(problems))
        return self

    def descriptor(self, value: int) -> str:
        return self.descriptors[value]


class SkillsFramework(Frozen):
    key: Key
    version: int = Field(ge=1, strict=True)
    title: TitleText
    scale: tuple[ScalePoint, ...]
    domains: tuple[Domain, ...] = Field(min_length=1, max_length=MAX_DOMAINS)

    @field_validator("key")
    @classmethod
    def _is_the_framework(cls, key: str) -> str:
        if key != FRAMEWORK_KEY:
            raise ValueError(
                f"The key '{key}' is not a skills framework key. A skills framework file must have "
                f"the key '{FRAMEWORK_KEY}'."
            )
        return key

    @field_validator("scale")
    @classmethod
    def _four_points_in_order(cls, scale: tuple[ScalePoint, ...]) -> tuple[ScalePoint, ...]:
        values = [p.value for p in scale]
        problems = []
        for value in dict.fromkeys(v for v in values if values.count(v) > 1):
            problems.append(f"Scale point {value} appears more than once.")
        labels: set[str] = set()
        for point in scale:
            if point.label.casefold() in labels:
                problems.append(f"The label '{point.label}' is used for more than one scale point.")
            labels.add(point.label.casefold())
        if tuple(values) != SCALE_VALUES:
            given = ", ".join(str(v) for v in values) or "none"
            problems.append(
                f"The scale must list exactly {len(SCALE_VALUES)} points, numbered {_POINTS}, in that order. "
                f"This file lists: {given}."
            )
        if problems:
            raise ValueError(" ".join(dict.fromkeys(problems)))
        return scale

    @model_validator(mode="after")
    def _unique_domains(self) -> SkillsFramework:
        seen: set[str] = set()
        problems = []
        for domain in self.domains:
            if domain.key in seen:
                problems.append(f"Domain '{domain.key}' appears twice.")
            seen.add(domain.key)
        if problems:
            raise ValueError(" ".join(dict.fromkeys(problems)))
        return self

    @property
    def domain_keys(self) -> list[str]:
        return [d.key for d in self.domains]

    def domain(self, key: str) -> Domain | None:
        return next((d for d in self.domains if d.key == key), None)


# ------------------------------------------------------------- pure helpers


def scale_label(framework: SkillsFramework, value: int) -> str:
    """The label of one point on the framework's scale, e.g. 3 -> "Skilled"."""
    for point in framework.scale:
        if point.value == value:
            return point.label
    raise ValueError(f"{value!r} is not a point on the scale ({_POINTS}).")


# ------------------------------------------------------------- parsing


def _where(loc: tuple, data: Any) -> str:
    """Name the part of the file an error location points at, e.g. "Domain 3 ('authority')"."""
    if len(loc) >= 2 and loc[0] in ("domains", "scale") and isinstance(loc[1], int):
        kind, index = loc[0], loc[1]
        items = data.get(kind) if isinstance(data, dict) else None
        node = items[index] if isinstance(items, list) and index < len(items) else None
        if kind == "scale":
            return f"Scale point {index + 1}"
        label = f"Domain {index + 1}"
        name = node.get("key") if isinstance(node, dict) else None
        if isinstance(name, str) and name.strip():
            label += f" ('{name.strip()}')"
        return label
    return "The skills framework"


_ENTRIES = {"domains": "domain", "scale": "scale point"}


def _plain(error: ErrorDetails, data: Any) -> str:
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    subject = None
    if kind != "value_error" and "descriptors" in loc and loc.index("descriptors") + 1 < len(loc):
        at = loc.index("descriptors")
        where = _where(loc[:at], data)
        point = loc[at + 1]
        if loc[-1] == "[key]":
            return (
                f'{where}: the descriptions must be numbered by scale point, "{SCALE_VALUES[0]}" to '
                f"\"{SCALE_VALUES[-1]}\"; '{point}' is not one of those."
            )
        field: str | None = "descriptors"
        subject = f"the description for point {point}"
    else:
        field = loc[-1] if loc and isinstance(loc[-1], str) else None
        where = _where(loc[:-1] if field else loc, data)
    if kind == "dict_type" and field == "descriptors":
        return (
            f"{where}: 'descriptors' must be an object in curly brackets with a description for each point, "
            f'"{SCALE_VALUES[0]}" to "{SCALE_VALUES[-1]}".'
        )
    return plain_error(error, where=where, field=field, whole=_where(loc, data), entries=_ENTRIES, subject=subject)


def parse_framework(json_text: str | bytes) -> SkillsFramework:
    """Check a skills framework file and return it parsed. Pure: touches no database.

    Raises ValidationFailed({"file": ...}) naming every problem found in plain English.
    """
    return _parse(json_text)[1]


def _parse(json_text: str | bytes) -> tuple[str, SkillsFramework]:
    return parse(
        json_text,
        SkillsFramework,
        _plain,
        "The file must hold one JSON object with 'key', 'version', 'title', 'scale' and 'domains'.",
    )


# ------------------------------------------------------------- built-in versions


@lru_cache(maxsize=1)
def builtin_framework_files() -> tuple[tuple[str, SkillsFramework], ...]:
    """(text, parsed) for every skills framework shipped in qa/observations/frameworks/, in file-name order."""
    return read_builtin(FRAMEWORKS_DIR, parse_framework)


def ensure_builtin(session: Session) -> None:
    """Add any built-in framework version the database does not hold yet. Idempotent and cheap."""
    ensure_stored(session, builtin_framework_files())


# ------------------------------------------------------------- reading stored versions


@lru_cache(maxsize=32)
def _parse_stored(instrument_id: int, definition: str) -> SkillsFramework:
    # Keyed on the id and the stored text: a stored version never changes, and
    # keying on the text too keeps separate databases (tests) from mixing.
    return parse_framework(definition)


def framework_of(session: Session, instrument_id: int) -> SkillsFramework:
    """The framework of one stored version (cached: a stored version never changes)."""
    row = session.get(Instrument, instrument_id)
    if row is None or row.key != FRAMEWORK_KEY:
        raise NotFound("That skills framework could not be found.")
    return _parse_stored(row.id, row.definition)


def latest(session: Session) -> tuple[Instrument, SkillsFramework]:
    """The highest version of the skills framework, adding the built-in versions first if needed."""
    ensure_builtin(session)
    row = session.exec(
        select(Instrument).where(col(Instrument.key) == FRAMEWORK_KEY).order_by(col(Instrument.version).desc())
    ).first()
    if row is None:
        raise NotFound("No skills framework is loaded.")
    return row, _parse_stored(row.id, row.definition)


# ------------------------------------------------------------- services for administrators


def load_framework(actor: Actor, json_text: str | bytes) -> Instrument:
    """Store a new version of the skills framework. Existing versions are never changed."""
    require(actor, Action.LOAD_INSTRUMENT)
    text, framework = _parse(json_text)
    with session_scope() as session:
        ensure_builtin(session)
        return store_new_version(session, actor, framework, text, "framework", f"{len(framework.domains)} domains")


def current_for(actor: Actor) -> SkillsFramework:
    """The framework in use, for the administrators' settings page."""
    require(actor, Action.LOAD_INSTRUMENT)
    with session_scope() as session:
        return latest(session)[1]
