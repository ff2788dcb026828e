"""Supervision records: a session, what was discussed, decisions, actions, and sign-off by both.

Recording a session marks the agenda items it covered as discussed, in the
same transaction; an audit feedback sheet discussed here moves to
"discussed in supervision". A signed record is never overwritten: a change
keeps the old version in the history and asks everyone to sign again.
Personal-support notes marked private are seen by the participants only,
never in oversight views.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from db.access_log import RecordKind
from db.engine import session_scope
from db.ids import id_of
from db.organisation import Role, Team, User, utcnow
from db.reflection import EntryKind, EntryShare, JournalEntry
from db.supervision import (
    ACTION_MAX,
    DECISION_MAX,
    DISCUSSION_NOTE_MAX,
    ITEM_MAX,
    NOTE_MAX,
    AgendaItem,
    AgendaKind,
    CaseDiscussion,
    CaseDiscussionInput,
    DiscussedItem,
    SessionKind,
    SessionParticipant,
    SessionRecordBase,
    SessionRecordCreate,
    SessionRecordUpdate,
    SessionStatus,
    SessionVersion,
    SupervisionAction,
    SupervisionSession,
    SupervisorSignOff,
)
from qa import optimistic
from qa.access import access_log, trail
from qa.access.actor import Actor
from qa.access.policy import Action, SessionScope, can
from qa.audits import workflow as audit_workflow
from qa.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from qa.lookup import get_required
from qa.notifications.notify import besides, notify
from qa.records import RecordKind as LinkKind
from qa.records import RecordRef
from qa.reflection import sharing
from qa.reflection.journal import CASE_REF

#: What everyone but a shared note's readers sees of it in a supervision record, and in any export.
REFLECTION_DISCUSSED = "A shared reflection was discussed"


@dataclass
class SessionRecord:
    id: int
    version: int
    status: str
    supervisor_id: int
    supervisor_name: str
    participants: list[tuple[int, str, datetime | None, str | None]]  # id, name, signed at, comments
    kind: str
    held_on: date
    accountability: bool
    development: bool
    support: bool
    notes: str
    personal_notes: str | None  # None when this viewer may not see them
    personal_private: bool
    case_discussions: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    discussed: list[dict] = field(default_factory=list)
    supervisor_signed: bool = False
    can_edit: bool = False
    can_sign: bool = False
    is_oversight_view: bool = False


STALE_AMEND = (
    "Someone else saved this record while you were editing, so your changes have not been saved. "
    "Your text is still below: copy what you need, reload the latest version, then re-apply your changes."
)
STALE_SIGN = (
    "This record was changed after you opened it, so your confirmation has not been recorded. "
    "The record above now shows the latest version: read it, load the latest version below, then confirm again if it is fair. "
    "Your comments are still below."
)


def _scope(session: Session, record: SupervisionSession) -> SessionScope:
    participants = frozenset(
        session.exec(select(SessionParticipant.practitioner_id).where(SessionParticipant.session_id == record.id)).all()
    )
    spo = session.get(User, record.supervisor_id)
    team = session.get(Team, spo.team_id) if spo and spo.team_id else None
    return SessionScope(
        record.supervisor_id, participants, spo.supervisor_id if spo else None, team.pdu_id if team else None
    )


def _load(session: Session, actor: Actor, session_id: int, action: Action) -> tuple[SupervisionSession, SessionScope]:
    record = session.get(SupervisionSession, session_id)
    if record is None:
        raise NotFound("That supervision record could not be found.")
    scope = _scope(session, record)
    if not can(actor, action, scope):
        if not can(actor, Action.VIEW_SUPERVISION, scope):
            raise NotFound("That supervision record could not be found.")
        raise PermissionDenied()
    return record, scope


def _check_length(value: str, label: str, errors: dict[str, str], limit: int = NOTE_MAX) -> None:
    if len(value) > limit:
        errors[label] = f"This must be {limit} characters or fewer (you entered {len(value)}). Nothing has been cut."


@dataclass(frozen=True)
class _AgreedAction:
    """An action that passed :func:`_check`: its owner and due date are set."""

    description: str
    owner_id: int
    due_date: date


def _check(
    session: Session, actor: Actor, data: SessionRecordBase, participants: list[int], kind: SessionKind
) -> tuple[date, list[CaseDiscussionInput], list[_AgreedAction]]:
    """Every rule for a record, every problem at once; returns the date held, the case discussions and actions to keep."""
    errors: dict[str, str] = {}
    if not participants:
        errors["participant_ids"] = "Choose who the session was with."
    elif kind != SessionKind.GROUP and len(participants) > 1:
        errors["participant_ids"] = "Only a group case discussion can include several practitioners."
    for pid in participants:
        person = session.get(User, pid)
        if (
            person is None
            or not person.is_active
            or (person.supervisor_id != actor.id and person.team_id != actor.team_id)
        ):
            errors["participant_ids"] = "You can record supervision only with people you supervise or in your team."
    if data.held_on is None:
        errors["held_on"] = "Enter the date of the session."
    elif data.held_on > date.today():
        errors["held_on"] = "A session is recorded after it happens: the date cannot be in the future."
    _check_length(data.notes, "notes", errors)
    _check_length(data.personal_notes, "personal_notes", errors)
    discussions = []
    for i, case in enumerate(data.case_discussions, start=1):
        _check_length(case.decision, f"case_{i}", errors, DECISION_MAX)
        _check_length(case.rationale, f"case_{i}", errors, DECISION_MAX)
        if not case.case_ref and not case.decision and not case.rationale:
            continue
        if not CASE_REF.match(case.case_ref):
            errors[f"case_{i}"] = f"Case discussion {i}: give the case reference (CRN), never a name."
        elif not case.decision:
            errors[f"case_{i}"] = f"Case discussion {i}: record the decision discussed."
        discussions.append(case)
    actions = []
    for i, action in enumerate(data.actions, start=1):
        if not action.description:
            continue
        if len(action.description) > ACTION_MAX:
            errors[f"action_{i}"] = f"Action {i} must be {ACTION_MAX} characters or fewer."
        if action.due_date is None:
            errors[f"action_{i}"] = f"Action {i} needs a due date."
        if action.owner_id not in participants and action.owner_id != actor.id:
            errors[f"action_{i}"] = f"Action {i}: the owner must be you or someone in the session."
        if action.owner_id is not None and action.due_date is not None:  # otherwise refused above
            actions.append(_AgreedAction(action.description, action.owner_id, action.due_date))
    if errors or data.held_on is None:  # a missing date is among the errors
        raise ValidationFailed(errors)
    return data.held_on, discussions, actions


def _add_rows(
    session: Session,
    record_id: int,
    discussions: list[CaseDiscussionInput],
    actions: list[_AgreedAction],
) -> None:
    for case in discussions:
        session.add(
            CaseDiscussion(
                session_id=record_id, case_ref=case.case_ref, decision=case.decision, rationale=case.rationale
            )
        )
    for action in actions:
        session.add(
            SupervisionAction(
                session_id=record_id,
                description=action.description,
                owner_id=action.owner_id,
                due_date=action.due_date,
            )
        )


def record_session(actor: Actor, data: SessionRecordCreate) -> int:
    """The SPO records a session, marks the agenda items covered, and signs it.

    ``data`` comes typed and cleaned (db.supervision.SessionRecordCreate); the rules are checked here.
    """
    if not actor.has(Role.SPO):
        raise PermissionDenied("Only an SPO records supervision sessions.")
    with session_scope() as session:
        participants = data.participant_ids
        held_on, discussions, actions = _check(session, actor, data, participants, data.kind)
        record = SupervisionSession(
            supervisor_id=actor.id,
            kind=data.kind,
            held_on=held_on,
            notes=data.notes,
            personal_notes=data.personal_notes,
            personal_private=data.personal_private,
            accountability=data.accountability,
            development=data.development,
            support=data.support,
            status=SessionStatus.AWAITING_SIGN_OFF,
        )
        session.add(record)
        session.flush()
        record_id = id_of(record)
        for pid in participants:
            session.add(SessionParticipant(session_id=record_id, practitioner_id=pid))
        _add_rows(session, record_id, discussions, actions)
        for item in data.discussed:
            _mark_discussed(session, actor, record, participants, item)
        session.add(SupervisorSignOff(session_id=record_id, version=record.version))
        # Each participant is asked to confirm the record; whoever holds an agreed action is told of it.
        here = RecordRef(LinkKind.SUPERVISION_SESSION, record_id)
        occasion = f"supervision_recorded:{record_id}"
        notify(session, kind="supervision_recorded", recipient_ids=participants, record=here, occasion=occasion)
        for action in actions:
            occasion = f"supervision_action:{record_id}:{action.owner_id}"
            notify(
                session,
                kind="supervision_action",
                recipient_ids=besides(actor.id, action.owner_id),
                record=here,
                occasion=occasion,
            )
        trail.record(session, actor, "recorded", "supervision_session", record_id)
        return record_id


def _mark_discussed(
    session: Session, actor: Actor, record: SupervisionSession, participants: list[int], item: DiscussedItem
) -> None:
    kind = item.kind
    practitioner_id = item.practitioner_id or participants[0]
    if practitioner_id not in participants:
        raise ValidationFailed({"discussed": "An agenda item must belong to someone in the session."})
    note = item.note
    if len(note) > DISCUSSION_NOTE_MAX:
        raise ValidationFailed(
            {
                "discussed": (
                    f"A note on an agenda item must be {DISCUSSION_NOTE_MAX} characters or fewer "
                    f"(you entered {len(note)}). Nothing has been saved."
                )
            }
        )
    source_id = item.source_id
    closing = kind == AgendaKind.ACTION and item.close
    if source_id is None and (kind in (AgendaKind.AUDIT_FEEDBACK, AgendaKind.ADDED) or closing):
        raise ValidationFailed({"discussed": "That agenda item could not be found."})
    if kind == AgendaKind.AUDIT_FEEDBACK and source_id is not None:  # without an id it was refused above
        audit_workflow.discuss_in(session, actor, source_id)
    if kind == AgendaKind.SHARED_REFLECTION:
        # The record refers to the share; it never copies the note's private title (see _discussed_rows).
        share = session.get(EntryShare, source_id) if source_id is not None else None
        if (
            share is None
            or share.author_id != practitioner_id
            or share.shared_with_id != actor.id
            or share.revoked_at is not None
        ):
            raise ValidationFailed({"discussed": "That agenda item could not be found."})
    if closing and source_id is not None:  # without an id it was refused above
        _close_action(session, actor, source_id)
    if kind == AgendaKind.ADDED:
        row = session.get(AgendaItem, source_id)
        if row is None or row.practitioner_id != practitioner_id:
            raise ValidationFailed({"discussed": "That agenda item could not be found."})
        row.discussed_in_id, row.discussion_note = record.id, note
        session.add(row)
        return
    session.add(
        AgendaItem(
            practitioner_id=practitioner_id,
            kind=kind,
            source_id=source_id,
            added_by_id=actor.id,
            discussed_in_id=record.id,
            discussion_note=note,
            title="" if kind == AgendaKind.SHARED_REFLECTION else item.title[:ITEM_MAX],
        )
    )


def reflection_label(session: Session, actor: Actor, share_id: int | None) -> tuple[str, RecordRef | None]:
    """How a discussed shared reflection reads to this person, and the note to open if they may.

    Its title only for the note's author and the people it is shared with right now (the live share
    decides, as for the note itself); everyone else, including after the share is withdrawn, QA leads
    in oversight and administrators, reads only that a shared reflection was discussed.
    """
    share = session.get(EntryShare, share_id) if share_id is not None else None
    if share is None or EntryKind(share.kind) != EntryKind.NOTE:
        return REFLECTION_DISCUSSED, None
    try:
        scope = sharing.scope_of(session, EntryKind.NOTE, share.entry_id)
    except NotFound:  # erased or deleted since
        return REFLECTION_DISCUSSED, None
    if not can(actor, Action.VIEW_ENTRY, scope):
        return REFLECTION_DISCUSSED, None
    note = session.get(JournalEntry, share.entry_id)
    title = json.loads(note.content or "{}").get("title", "") if note is not None else ""
    return f"Shared reflection: {title or 'untitled note'}", RecordRef(LinkKind.SHARED_NOTE, share.entry_id)


def _discussed_rows(session: Session, actor: Actor, record_id: int) -> list[dict]:
    rows = []
    for d in session.exec(
        select(AgendaItem).where(AgendaItem.discussed_in_id == record_id).order_by(col(AgendaItem.id))
    ):
        title, ref = d.title, None
        if d.kind == AgendaKind.SHARED_REFLECTION:
            title, ref = reflection_label(session, actor, d.source_id)
        rows.append({"kind": d.kind, "title": title, "note": d.discussion_note, "record": ref})
    return rows


def _close_action(session: Session, actor: Actor, source_id: int) -> None:
    """Close an action agreed done in the session: audit actions have positive ids, supervision actions negative."""
    if source_id > 0:
        audit_workflow.close_action_in(session, actor, source_id)
        return
    action = session.get(SupervisionAction, -source_id)
    if action is None:
        raise ValidationFailed({"discussed": "That action could not be found."})
    record = get_required(session, SupervisionSession, action.session_id)
    if actor.id not in (action.owner_id, record.supervisor_id):
        raise PermissionDenied()
    action.done_at = utcnow()
    session.add(action)


def _snapshot(session: Session, record: SupervisionSession) -> dict:
    return {
        "version": record.version,
        "kind": record.kind,
        "held_on": record.held_on.isoformat(),
        "notes": record.notes,
        "personal_notes": record.personal_notes,
        "personal_private": record.personal_private,
        "accountability": record.accountability,
        "development": record.development,
        "support": record.support,
        "case_discussions": [
            {"case_ref": c.case_ref, "decision": c.decision, "rationale": c.rationale}
            for c in session.exec(
                select(CaseDiscussion)
                .where(col(CaseDiscussion.session_id) == record.id)
                .order_by(col(CaseDiscussion.id))
            )
        ],
    }


def session_record(actor: Actor, session_id: int) -> SessionRecord:
    with session_scope() as session:
        record, scope = _load(session, actor, session_id, Action.VIEW_SUPERVISION)
        participant = can(actor, Action.VIEW_PERSONAL_NOTES, scope)
        if not participant:
            trail.record(session, actor, "viewed", "supervision_session", record.id)  # oversight is logged
        # Each practitioner in the session can see who else has opened the record about them.
        access_log.record_views(
            session, actor, sorted(scope.participant_ids), RecordKind.SUPERVISION_SESSION, id_of(record)
        )
        rows = session.exec(
            select(SessionParticipant, User.full_name)
            .join(User, col(SessionParticipant.practitioner_id) == col(User.id))
            .where(SessionParticipant.session_id == record.id)
        ).all()
        supervisor = session.get(User, record.supervisor_id)
        actions = session.exec(
            select(SupervisionAction, User.full_name)
            .join(User, col(SupervisionAction.owner_id) == col(User.id))
            .where(SupervisionAction.session_id == record.id)
        ).all()
        signed = session.exec(
            select(SupervisorSignOff).where(
                SupervisorSignOff.session_id == record.id, SupervisorSignOff.version == record.version
            )
        ).first()
        show_personal = participant or not record.personal_private
        return SessionRecord(
            id=id_of(record),
            version=record.version,
            status=record.status,
            supervisor_id=record.supervisor_id,
            supervisor_name=supervisor.full_name if supervisor else "",
            participants=[(p.practitioner_id, name, p.signed_at, p.comments) for p, name in rows],
            kind=record.kind,
            held_on=record.held_on,
            accountability=record.accountability,
            development=record.development,
            support=record.support,
            notes=record.notes,
            personal_notes=record.personal_notes if show_personal else None,
            personal_private=record.personal_private,
            case_discussions=_snapshot(session, record)["case_discussions"],
            actions=[
                {
                    "id": a.id,
                    "description": a.description,
                    "owner": name,
                    "due_date": a.due_date,
                    "done": a.done_at is not None,
                }
                for a, name in actions
            ],
            discussed=_discussed_rows(session, actor, id_of(record)),
            supervisor_signed=signed is not None,
            can_edit=can(actor, Action.RECORD_SUPERVISION, scope),
            can_sign=participant,
            is_oversight_view=not participant,
        )


def sign(actor: Actor, session_id: int, comments: str | None = None, expected_version: int | None = None) -> str:
    """Confirm the record as it stands. A practitioner may add comments.

    With ``expected_version`` (the version the person read), a record changed
    since is refused with StaleEdit: nobody confirms a version they have not seen.
    """
    if comments is not None and len(comments) > 4000:
        raise ValidationFailed(
            {"comments": f"Comments must be 4000 characters or fewer (you entered {len(comments)})."}
        )
    with session_scope() as session:
        record, _scope_ = _load(session, actor, session_id, Action.SIGN_SUPERVISION)
        # Checks the version and locks the row, so an amendment cannot slip in before this commits.
        optimistic.claim(session, record, expected_version, StaleEdit(STALE_SIGN), bump=False)
        if actor.id == record.supervisor_id:
            if not session.exec(
                select(SupervisorSignOff).where(
                    SupervisorSignOff.session_id == record.id, SupervisorSignOff.version == record.version
                )
            ).first():
                session.add(SupervisorSignOff(session_id=id_of(record), version=record.version))
        else:
            row = session.get(SessionParticipant, (record.id, actor.id))
            assert row is not None, "only a participant may sign (SIGN_SUPERVISION)"
            row.signed_at = utcnow()
            if comments is not None:
                row.comments = comments.strip() or None
            session.add(row)
        session.flush()
        everyone = all(
            p.signed_at
            for p in session.exec(select(SessionParticipant).where(SessionParticipant.session_id == record.id))
        )
        spo_signed = session.exec(
            select(SupervisorSignOff).where(
                SupervisorSignOff.session_id == record.id, SupervisorSignOff.version == record.version
            )
        ).first()
        record.status = SessionStatus.SIGNED if everyone and spo_signed else SessionStatus.AWAITING_SIGN_OFF
        session.add(record)
        trail.record(session, actor, "signed", "supervision_session", record.id, f"version {record.version}")
        return record.status


def amend(actor: Actor, session_id: int, data: SessionRecordUpdate, expected_version: int | None = None) -> int:
    """Change a record. The version before the change is kept, and everyone signs again.

    ``data`` comes typed and cleaned (db.supervision.SessionRecordUpdate); the people in the session and its
    kind stay as recorded, and the rules are checked here as for a new record.

    ``expected_version`` is the version the form was opened at: if someone saved
    since, nothing is saved and StaleEdit is raised.
    """
    with session_scope() as session:
        record, scope = _load(session, actor, session_id, Action.RECORD_SUPERVISION)
        _held_on, discussions, actions = _check(session, actor, data, list(scope.participant_ids), record.kind)
        old_version = record.version
        if expected_version is not None and expected_version != old_version:
            raise StaleEdit(STALE_AMEND)
        people = session.exec(select(SessionParticipant).where(SessionParticipant.session_id == record.id)).all()
        # The confirmations and comments belong to the version they were given on: they go into its history,
        # so the new version never shows them as if they were still waiting.
        snapshot = json.dumps(_snapshot(session, record) | {"confirmations": _confirmations(session, people)})
        optimistic.claim(session, record, old_version, StaleEdit(STALE_AMEND))
        session.add(
            SessionVersion(session_id=id_of(record), version=old_version, snapshot=snapshot, changed_by_id=actor.id)
        )
        for name in (
            "held_on",
            "notes",
            "personal_notes",
            "personal_private",
            "accountability",
            "development",
            "support",
        ):
            setattr(record, name, getattr(data, name))
        for old in session.exec(select(CaseDiscussion).where(CaseDiscussion.session_id == record.id)):
            session.delete(old)
        _add_rows(session, id_of(record), discussions, actions)
        for participant in people:
            participant.signed_at, participant.comments = None, None
            session.add(participant)
        session.add(SupervisorSignOff(session_id=id_of(record), version=record.version))
        record.status, record.updated_at = SessionStatus.AWAITING_SIGN_OFF, utcnow()
        session.add(record)
        trail.record(session, actor, "amended", "supervision_session", record.id, f"now version {record.version}")
        return record.version


def _confirmations(session: Session, people: Sequence[SessionParticipant]) -> list[dict]:
    names = dict(
        session.exec(
            select(col(User.id), col(User.full_name)).where(col(User.id).in_([p.practitioner_id for p in people]))
        ).all()
    )
    return [
        {
            "name": names.get(p.practitioner_id, ""),
            "signed_at": p.signed_at.isoformat() if p.signed_at else None,
            "comments": p.comments or "",
        }
        for p in people
        if p.signed_at or p.comments
    ]


def history(actor: Actor, session_id: int) -> list[dict]:
    """Earlier versions of a record, oldest first (private personal notes withheld from oversight)."""
    with session_scope() as session:
        record, scope = _load(session, actor, session_id, Action.VIEW_SUPERVISION)
        participant = can(actor, Action.VIEW_PERSONAL_NOTES, scope)
        versions = []
        for row in session.exec(
            select(SessionVersion)
            .where(col(SessionVersion.session_id) == record.id)
            .order_by(col(SessionVersion.version))
        ):
            snap = json.loads(row.snapshot)
            if not participant and snap.get("personal_private"):
                snap["personal_notes"] = None
            snap["changed_at"] = row.changed_at
            for given in snap.setdefault("confirmations", []):  # none in versions kept before issue 13
                given["signed_at"] = datetime.fromisoformat(given["signed_at"]) if given["signed_at"] else None
            versions.append(snap)
        return versions


@dataclass(frozen=True)
class SessionRow:
    id: int
    held_on: date
    kind: str
    with_names: str  # the practitioners in the session
    status: str
    supervisor_name: str = ""
    awaiting_me: bool = False  # I took part and have not yet confirmed this version


def sessions_with(actor: Actor, practitioner_id: int | None = None) -> list[SessionRow]:
    """My sessions (as participant or supervisor), or one supervisee's, newest first."""
    with session_scope() as session:
        if practitioner_id is None:
            ids = set(
                session.exec(
                    select(SessionParticipant.session_id).where(SessionParticipant.practitioner_id == actor.id)
                ).all()
            )
            ids |= {
                i
                for i in session.exec(
                    select(SupervisionSession.id).where(SupervisionSession.supervisor_id == actor.id)
                ).all()
                if i is not None  # a saved row's id never is
            }
        else:
            person = session.get(User, practitioner_id)
            if person is None or actor.id not in (practitioner_id, person.supervisor_id):
                raise PermissionDenied()
            ids = set(
                session.exec(
                    select(SessionParticipant.session_id).where(SessionParticipant.practitioner_id == practitioner_id)
                ).all()
            )
        if not ids:
            return []
        records = session.exec(
            select(SupervisionSession)
            .where(col(SupervisionSession.id).in_(ids))
            .order_by(col(SupervisionSession.held_on).desc())
        ).all()
        rows = []
        for record in records:
            parts = session.exec(
                select(User.full_name, SessionParticipant.practitioner_id, SessionParticipant.signed_at)
                .join(SessionParticipant, col(SessionParticipant.practitioner_id) == col(User.id))
                .where(SessionParticipant.session_id == record.id)
            ).all()
            supervisor = session.get(User, record.supervisor_id)
            awaiting = any(pid == actor.id and signed is None for _name, pid, signed in parts)
            rows.append(
                SessionRow(
                    id_of(record),
                    record.held_on,
                    record.kind,
                    ", ".join(sorted(n for n, _p, _s in parts)),
                    record.status,
                    supervisor.full_name if supervisor else "",
                    awaiting,
                )
            )
        return rows


@dataclass(frozen=True)
class Discussion:
    """Where something was discussed in supervision."""

    held_on: date
    record: RecordRef | None  # the supervision record, when this person may open it


def audit_discussed_in(actor: Actor, audit_id: int) -> Discussion | None:
    """The supervision session where an audit's feedback sheet was ticked as discussed, if any.

    For anyone who may see the audit; the link to the record only for those who may open it.
    """
    with session_scope() as session:
        audit_workflow.load_for(session, actor, audit_id, Action.VIEW_AUDIT)
        held = session.exec(
            select(SupervisionSession)
            .join(AgendaItem, col(AgendaItem.discussed_in_id) == col(SupervisionSession.id))
            .where(col(AgendaItem.kind) == AgendaKind.AUDIT_FEEDBACK, col(AgendaItem.source_id) == audit_id)
            .order_by(col(SupervisionSession.held_on).desc(), col(SupervisionSession.id).desc())
        ).first()
        if held is None or held.id is None:
            return None
        may_open = can(actor, Action.VIEW_SUPERVISION, _scope(session, held))
        return Discussion(held.held_on, RecordRef(LinkKind.SUPERVISION_SESSION, held.id) if may_open else None)


def complete_action(actor: Actor, action_id: int) -> None:
    with session_scope() as session:
        action = session.get(SupervisionAction, action_id)
        if action is None:
            raise NotFound("That action could not be found.")
        record = get_required(session, SupervisionSession, action.session_id)
        if actor.id not in (action.owner_id, record.supervisor_id):
            raise PermissionDenied()
        action.done_at = utcnow()
        session.add(action)
        trail.record(session, actor, "action_done", "supervision_session", record.id, f"action {action.id}")


def supervisees(actor: Actor) -> list[tuple[int, str]]:
    with session_scope() as session:
        people = session.exec(
            select(User).where(User.supervisor_id == actor.id, User.is_active).order_by(User.full_name)
        ).all()
        return [(id_of(u), u.full_name) for u in people]


def team_colleagues(actor: Actor) -> list[tuple[int, str]]:
    """People an SPO may bring to a group case discussion: supervisees and team members."""
    with session_scope() as session:
        people = session.exec(
            select(User)
            .where(
                User.is_active, User.id != actor.id, (User.supervisor_id == actor.id) | (User.team_id == actor.team_id)
            )
            .order_by(User.full_name)
        ).all()
        return [(id_of(u), u.full_name) for u in people]
