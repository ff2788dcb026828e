"""The reflective journal: private notes, written with a reflective model.

Notes belong to their author. Only the author, and anyone they have shared a
particular note with, can read it; nobody else can learn that it exists.
The text is encrypted at rest (db/encryption.py). Nothing about notes is
written to the organisation's audit trail.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import col, select

from db.access_log import RecordKind
from db.engine import session_scope
from db.ids import id_of
from db.organisation import User, utcnow
from db.reflection import TEXT_MAX, EntryKind, EntryShare, JournalEntry, ReflectiveModel
from qa.access import access_log
from qa.access.actor import Actor
from qa.access.policy import Action
from qa.errors import NotFound, ValidationFailed
from qa.reflection.reflective_models import TAG_MAX, guide, normalise_tag
from qa.reflection.sharing import entry_row, require_entry

TITLE_MAX = 200
TAGS_MAX = 20  # tags on one note, each at most reflective_models.TAG_MAX characters
#: The box where an author types their own tags, separated by commas: room for every tag at its longest.
CUSTOM_TAGS_MAX = TAGS_MAX * (TAG_MAX + 2)
CASE_REF = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")  # never a leading "-" (formula-like)


@dataclass
class NoteView:
    id: int
    author_id: int
    author_name: str
    model: str
    entry_date: date
    title: str
    sections: dict[str, str]
    tags: list[str]
    case_ref: str | None
    audit_id: int | None
    observation_id: int | None
    is_draft: bool
    updated_at: datetime
    is_mine: bool = True
    shared_with: list[str] = field(default_factory=list)


def _content(entry: JournalEntry) -> dict:
    try:
        return json.loads(entry.content or "{}")
    except ValueError:
        return {}


def _view(entry: JournalEntry, author_name: str, actor: Actor) -> NoteView:
    content = _content(entry)
    return NoteView(
        id=id_of(entry),
        author_id=entry.author_id,
        author_name=author_name,
        model=entry.model,
        entry_date=entry.entry_date,
        title=content.get("title", ""),
        sections=content.get("sections", {}),
        tags=content.get("tags", []),
        case_ref=entry.case_ref,
        audit_id=entry.audit_id,
        observation_id=entry.observation_id,
        is_draft=entry.is_draft,
        updated_at=entry.updated_at,
        is_mine=entry.author_id == actor.id,
    )


def new_note(actor: Actor, model: ReflectiveModel | str = ReflectiveModel.FREE, entry_date: date | None = None) -> int:
    with session_scope() as session:
        entry = JournalEntry(author_id=actor.id, model=ReflectiveModel(model), entry_date=entry_date or date.today())
        session.add(entry)
        session.flush()
        return id_of(entry)


def _clean(
    title: str, sections: dict[str, str], tags: list[str], case_ref: str | None, model: ReflectiveModel
) -> tuple[str, dict, list, str | None]:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        errors["title"] = f"The title must be {TITLE_MAX} characters or fewer (you entered {len(title)})."
    keys = {p.key for p in guide(model).prompts}
    cleaned = {}
    for key, text in (sections or {}).items():
        if key not in keys:
            continue
        if len(text or "") > TEXT_MAX:
            errors[key] = (
                f"This part must be {TEXT_MAX} characters or fewer (you entered {len(text)}). Nothing has been cut."
            )
        cleaned[key] = text or ""
    tag_list = []
    for raw in tags or []:
        try:
            tag = normalise_tag(raw)
        except ValueError as exc:
            errors["tags"] = str(exc)
            continue
        if tag and tag not in tag_list:
            tag_list.append(tag)
    if len(tag_list) > TAGS_MAX:
        errors["tags"] = f"A note can have at most {TAGS_MAX} tags (you gave {len(tag_list)})."
    ref = (case_ref or "").strip().upper() or None
    if ref and not CASE_REF.match(ref):
        errors["case_ref"] = (
            "A case reference is letters, digits and hyphens only, starting with a letter or digit, up to 20 characters: "
            "the CRN, never a name."
        )
    if errors:
        raise ValidationFailed(errors)
    return title, cleaned, tag_list, ref


def save_note(
    actor: Actor,
    note_id: int,
    *,
    title: str = "",
    sections: dict[str, str] | None = None,
    tags: list[str] | None = None,
    case_ref: str | None = None,
    audit_id: int | None = None,
    observation_id: int | None = None,
    entry_date: date | None = None,
    finished: bool | None = None,
) -> datetime:
    """Save the whole note (drafts are saved like this as the author types). Returns when."""
    with session_scope() as session:
        require_entry(session, actor, EntryKind.NOTE, note_id, Action.EDIT_ENTRY)
        entry = entry_row(session, JournalEntry, note_id)
        title, cleaned, tag_list, ref = _clean(
            title, sections or {}, tags or [], case_ref, ReflectiveModel(entry.model)
        )
        _check_links(actor, audit_id, observation_id)
        entry.content = json.dumps({"title": title, "sections": cleaned, "tags": tag_list})
        entry.case_ref, entry.audit_id, entry.observation_id = ref, audit_id, observation_id
        if entry_date is not None:
            entry.entry_date = entry_date
        if finished is not None:
            entry.is_draft = not finished
        entry.updated_at = utcnow()
        session.add(entry)
        return entry.updated_at


def _check_links(actor: Actor, audit_id: int | None, observation_id: int | None) -> None:
    """A note may point at an audit or observation only if its author can see it."""
    from qa.audits import workflow as audit_workflow
    from qa.errors import PermissionDenied
    from qa.observations import workflow as observations

    try:
        if audit_id is not None:
            audit_workflow.ensure_visible(actor, audit_id)
        if observation_id is not None:
            observations.ensure_visible(actor, observation_id)
    except (NotFound, PermissionDenied):
        raise ValidationFailed({"link": "You can only link a note to an audit or observation you can see."}) from None


def note(actor: Actor, note_id: int) -> NoteView:
    with session_scope() as session:
        scope = require_entry(session, actor, EntryKind.NOTE, note_id, Action.VIEW_ENTRY)
        entry = entry_row(session, JournalEntry, note_id)
        author = session.get(User, entry.author_id)
        view = _view(entry, author.full_name if author else "", actor)
        access_log.record_view(
            session, actor, entry.author_id, RecordKind.SHARED_NOTE, note_id
        )  # someone it was shared with
        if view.is_mine and scope.shared_with:
            view.shared_with = sorted(
                session.exec(select(col(User.full_name)).where(col(User.id).in_(scope.shared_with))).all()
            )
        return view


def delete_note(actor: Actor, note_id: int) -> None:
    with session_scope() as session:
        require_entry(session, actor, EntryKind.NOTE, note_id, Action.EDIT_ENTRY)
        for share in session.exec(
            select(EntryShare).where(EntryShare.kind == EntryKind.NOTE, EntryShare.entry_id == note_id)
        ):
            session.delete(share)
        session.delete(entry_row(session, JournalEntry, note_id))


def my_notes(
    actor: Actor, text: str = "", tag: str | None = None, date_from: date | None = None, date_to: date | None = None
) -> list[NoteView]:
    """Search my own journal. The text is encrypted, so matching happens here, on my notes only."""
    needle = (text or "").strip().lower()
    with session_scope() as session:
        query = select(JournalEntry).where(JournalEntry.author_id == actor.id)
        if date_from:
            query = query.where(JournalEntry.entry_date >= date_from)
        if date_to:
            query = query.where(JournalEntry.entry_date <= date_to)
        entries = session.exec(query.order_by(col(JournalEntry.entry_date).desc(), col(JournalEntry.id).desc())).all()
        views = [_view(e, actor.full_name, actor) for e in entries]
    found = []
    for view in views:
        if tag and tag not in view.tags:
            continue
        if needle:
            haystack = " ".join([view.title, *view.sections.values(), *view.tags, view.case_ref or ""]).lower()
            if needle not in haystack:
                continue
        found.append(view)
    return found


def my_tags(actor: Actor) -> list[str]:
    seen: list[str] = []
    for view in my_notes(actor):
        for tag in view.tags:
            if tag not in seen:
                seen.append(tag)
    return sorted(seen)
