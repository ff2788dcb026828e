"""Emotional debriefs: quick to record after a difficult contact, private by default.

A debrief may come with a request for a conversation. The person asked sees
who is asking and how urgent it is, never the content, unless the author
also shares the debrief with them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, select

from db.access_log import RecordKind
from db.engine import session_scope
from db.ids import id_of
from db.organisation import User, utcnow
from db.reflection import (
    SHORT_MAX,
    Debrief,
    DebriefCreate,
    DebriefFeeling,
    EntryKind,
    EntryShare,
    SupportContact,
    SupportRequest,
)
from qa.access import access_log, trail
from qa.access.actor import Actor
from qa.access.policy import Action
from qa.errors import ValidationFailed
from qa.reflection import emotions, wellbeing_rules
from qa.reflection.sharing import entry_row, require_entry
from qa.reflection.support import tell_contact
from qa.settings import get_flag

THRESHOLD_KEY = "signpost_intensity_threshold"


@dataclass
class DebriefView:
    id: int
    author_id: int
    author_name: str
    created_at: datetime
    intensity: int
    feelings: list[str]
    setting: str | None
    need: str
    what_happened: str
    what_helped: str
    signs: list[str]
    is_mine: bool = True


@dataclass
class DebriefResult:
    id: int
    request_id: int | None
    signpost: list[SupportContact] = field(default_factory=list)


def _check_length(value: str, label: str, errors: dict[str, str]) -> None:
    if len(value) > SHORT_MAX:
        errors[label] = (
            f"This must be {SHORT_MAX} characters or fewer (you entered {len(value)}). Nothing has been cut."
        )


def record_debrief(actor: Actor, data: DebriefCreate, now: datetime | None = None) -> DebriefResult:
    """Save a debrief, and any support request made with it, as one transaction.

    ``data`` comes typed and cleaned (db.reflection.DebriefCreate); the rules are checked here, every problem
    reported at once.
    """
    now = now or utcnow()
    errors: dict[str, str] = {}
    feelings = data.feelings
    unknown = [f for f in feelings if not emotions.is_known(f)]
    if not feelings:
        errors["feelings"] = "Pick at least one word for how you feel."
    elif unknown:
        errors["feelings"] = "Choose feelings from the list."
    intensity = data.intensity
    if intensity is None or not 0 <= intensity <= 10:
        errors["intensity"] = "Choose how strong the feeling is, from 0 to 10."
    setting, need = data.setting, data.need
    signs = [s for s in data.signs if s in {p.key for p in emotions.SIGN_PROMPTS}]
    what_happened, what_helped = data.what_happened, data.what_helped
    _check_length(what_happened, "what_happened", errors)
    _check_length(what_helped, "what_helped", errors)
    recipient_id = data.support_from
    urgency = data.urgency
    with session_scope() as session:
        if recipient_id is not None:
            recipient = session.get(User, recipient_id)
            if recipient is None or not recipient.is_active or recipient_id == actor.id:
                errors["support_from"] = "Choose an active colleague to ask."
        if errors:
            raise ValidationFailed(errors)
        assert intensity is not None  # checked above: a missing intensity was refused with ValidationFailed
        debrief = Debrief(
            author_id=actor.id,
            created_at=now,
            intensity=intensity,
            setting=setting,
            need=need,
            content=json.dumps({"what_happened": what_happened, "what_helped": what_helped, "signs": signs}),
        )
        session.add(debrief)
        session.flush()
        for word in feelings:
            session.add(DebriefFeeling(debrief_id=id_of(debrief), feeling=word))
        request_id = None
        if recipient_id is not None:
            request = SupportRequest(
                requester_id=actor.id, recipient_id=recipient_id, debrief_id=id_of(debrief), urgency=urgency
            )
            session.add(request)
            session.flush()
            tell_contact(session, request)
            request_id = request.id
        debrief_id = id_of(debrief)
    points = _points(actor.id)
    contacts = support_contacts() if wellbeing_rules.should_signpost(need, points, now, signpost_threshold()) else []
    return DebriefResult(debrief_id, request_id, contacts)


def _points(author_id: int, since: datetime | None = None) -> list[wellbeing_rules.DebriefPoint]:
    with session_scope() as session:
        query = select(Debrief).where(Debrief.author_id == author_id)
        if since:
            query = query.where(Debrief.created_at >= since)
        debriefs = session.exec(query.order_by(col(Debrief.created_at))).all()
        feelings: dict[int, list[str]] = {}
        if debriefs:
            for row in session.exec(
                select(DebriefFeeling).where(col(DebriefFeeling.debrief_id).in_([d.id for d in debriefs]))
            ):
                feelings.setdefault(row.debrief_id, []).append(row.feeling)
        return [
            wellbeing_rules.DebriefPoint(d.created_at, d.intensity, tuple(feelings.get(id_of(d), ())), d.setting)
            for d in debriefs
        ]


def debrief(actor: Actor, debrief_id: int) -> DebriefView:
    with session_scope() as session:
        require_entry(session, actor, EntryKind.DEBRIEF, debrief_id, Action.VIEW_ENTRY)
        row = entry_row(session, Debrief, debrief_id)
        author = session.get(User, row.author_id)
        access_log.record_view(
            session, actor, row.author_id, RecordKind.SHARED_DEBRIEF, debrief_id
        )  # someone it was shared with
        content = json.loads(row.content or "{}")
        words = session.exec(select(DebriefFeeling.feeling).where(DebriefFeeling.debrief_id == row.id)).all()
        order = {w: i for i, w in enumerate(emotions.ALL_WORDS)}
        return DebriefView(
            debrief_id,
            row.author_id,
            author.full_name if author else "",
            row.created_at,
            row.intensity,
            sorted(words, key=lambda w: order.get(w, 999)),
            row.setting,
            row.need,
            content.get("what_happened", ""),
            content.get("what_helped", ""),
            content.get("signs", []),
            is_mine=row.author_id == actor.id,
        )


def my_debriefs(actor: Actor, limit: int = 50) -> list[DebriefView]:
    with session_scope() as session:
        ids = session.exec(
            select(col(Debrief.id))
            .where(col(Debrief.author_id) == actor.id)
            .order_by(col(Debrief.created_at).desc())
            .limit(limit)
        ).all()
    return [debrief(actor, i) for i in ids if i is not None]  # a primary key is never null


def delete_debrief(actor: Actor, debrief_id: int) -> None:
    """The author deletes one of their debriefs, with its feelings and shares; nobody else may.

    A support request made from it stays (its recipient has acted on it) but no longer points at it. The trail
    says that a debrief was deleted and by whom, never what it said.
    """
    with session_scope() as session:
        require_entry(session, actor, EntryKind.DEBRIEF, debrief_id, Action.EDIT_ENTRY)
        trail.record(session, actor, "deleted", "debrief", debrief_id, "deleted by its author")
        for feeling in session.exec(select(DebriefFeeling).where(DebriefFeeling.debrief_id == debrief_id)):
            session.delete(feeling)
        for share in session.exec(
            select(EntryShare).where(EntryShare.kind == EntryKind.DEBRIEF, EntryShare.entry_id == debrief_id)
        ):
            session.delete(share)
        for request in session.exec(select(SupportRequest).where(SupportRequest.debrief_id == debrief_id)):
            request.debrief_id = None
            session.add(request)
        session.delete(entry_row(session, Debrief, debrief_id))


# ------------------------------------------------------------ my own trends


@dataclass
class MyTrends:
    weekly: list
    top_feelings: list
    high_settings: list
    debriefs: int
    signpost: bool


def my_trends(actor: Actor, days: int = 180, now: datetime | None = None) -> MyTrends:
    """Only ever the author's own figures: there is no way to ask for someone else's."""
    now = now or utcnow()
    points = _points(actor.id, since=now - timedelta(days=days))
    threshold = signpost_threshold()
    return MyTrends(
        weekly=wellbeing_rules.load_by_week(points),
        top_feelings=wellbeing_rules.top_feelings(points),
        high_settings=wellbeing_rules.settings_linked_to_high_intensity(points, threshold),
        debriefs=len(points),
        signpost=wellbeing_rules.sustained_high(points, now, threshold),
    )


# ------------------------------------------------------------- signposting


def signpost_threshold() -> int:
    with session_scope() as session:
        raw = get_flag(session, THRESHOLD_KEY)
    try:
        value = int(raw) if raw is not None else wellbeing_rules.DEFAULT_THRESHOLD
    except ValueError:
        return wellbeing_rules.DEFAULT_THRESHOLD
    return value if 1 <= value <= 10 else wellbeing_rules.DEFAULT_THRESHOLD


def support_contacts() -> list[SupportContact]:
    """Where to go for support: independent and peer options first, then employer schemes."""
    with session_scope() as session:
        return list(
            session.exec(
                select(SupportContact)
                .where(SupportContact.active)
                .order_by(col(SupportContact.independent).desc(), col(SupportContact.name))
            )
        )
