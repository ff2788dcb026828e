"""The access policy: who may do what. It denies by default.

Every service calls :func:`require` before it reads or writes. Pages may call
:func:`can` to decide what to show, but hiding a page is never the protection:
the service check is.

A rule is a predicate ``(actor, target) -> bool``. An action with no rule, a
missing actor or an unknown target type is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from db.observations import InvitationStatus
from db.organisation import Role
from qa.access.actor import Actor
from qa.errors import PermissionDenied


class Action(StrEnum):
    VIEW_OWN_PROFILE = "view_own_profile"
    CHANGE_OWN_PASSWORD = "change_own_password"
    MANAGE_OWN_SESSIONS = "manage_own_sessions"
    END_USER_SESSIONS = "end_user_sessions"
    SET_SESSION_LIMITS = "set_session_limits"
    VIEW_TEAM = "view_team"
    VIEW_PDU = "view_pdu"
    VIEW_DIRECTORY = "view_directory"
    MANAGE_USERS = "manage_users"
    MANAGE_ORGANISATION = "manage_organisation"
    IMPORT_STAFF = "import_staff"
    # LEARN case audits
    IMPORT_CASES = "import_cases"
    LOAD_INSTRUMENT = "load_instrument"
    MANAGE_THEMES = "manage_themes"
    MANAGE_AUDIT_EVENTS = "manage_audit_events"
    VIEW_ROTA = "view_rota"
    VIEW_AUDIT = "view_audit"
    EDIT_AUDIT = "edit_audit"
    RAISE_URGENT_CONCERN = "raise_urgent_concern"
    ACKNOWLEDGE_CONCERN = "acknowledge_concern"
    REPLY_TO_FEEDBACK = "reply_to_feedback"
    MARK_DISCUSSED = "mark_discussed"
    UPDATE_ACTION = "update_action"
    MODERATE = "moderate"
    # Observation of practice
    PLAN_OBSERVATION = "plan_observation"
    VIEW_OBSERVATION = "view_observation"
    RECORD_OBSERVATION = "record_observation"
    RESPOND_TO_OBSERVATION_INVITATION = "respond_to_observation_invitation"
    ACCEPT_PROPOSED_OBSERVATION_DATE = "accept_proposed_observation_date"
    SELF_ASSESS = "self_assess"
    REPLY_TO_OBSERVATION = "reply_to_observation"
    PROPOSE_GOAL = "propose_goal"
    AGREE_GOAL = "agree_goal"
    UPDATE_GOAL = "update_goal"
    VIEW_PRACTITIONER_DEVELOPMENT = "view_practitioner_development"
    VIEW_CALIBRATION = "view_calibration"
    VIEW_TEAM_PROFILE = "view_team_profile"
    SET_OBSERVATION_TARGET = "set_observation_target"
    # The practitioner's own space: notes and debriefs
    VIEW_ENTRY = "view_entry"
    EDIT_ENTRY = "edit_entry"
    RESPOND_TO_SUPPORT_REQUEST = "respond_to_support_request"
    MANAGE_SUPPORT_CONTACTS = "manage_support_contacts"
    VIEW_TEAM_WELLBEING = "view_team_wellbeing"
    # Supervision
    RECORD_SUPERVISION = "record_supervision"
    VIEW_SUPERVISION = "view_supervision"
    VIEW_PERSONAL_NOTES = "view_personal_notes"
    SIGN_SUPERVISION = "sign_supervision"
    VIEW_AGENDA = "view_agenda"
    SET_CADENCE = "set_cadence"
    # Access transparency
    VIEW_ACCESS_LOG = "view_access_log"
    # Data protection
    MANAGE_RETENTION = "manage_retention"
    ERASE_PRIVATE_ENTRIES = "erase_private_entries"
    EXPORT_MY_DATA = "export_my_data"
    # Notifications (issue 14)
    READ_OWN_NOTIFICATIONS = "read_own_notifications"
    CHOOSE_MY_NOTIFICATIONS = "choose_my_notifications"
    MANAGE_OUTBOX = "manage_outbox"


@dataclass(frozen=True)
class TeamScope:
    team_id: int
    pdu_id: int


@dataclass(frozen=True)
class PduScope:
    pdu_id: int | None  # None for a record outside any PDU (a person in no team)


@dataclass(frozen=True)
class AuditScope:
    """What the policy needs to know about one case audit."""

    pdu_id: int
    auditor_ids: frozenset[int]
    holder_id: int
    spo_id: int | None  # the case holder's SPO, who receives the feedback
    feedback_sent: bool  # False while draft or submitted-without-an-SPO
    is_draft: bool
    moderator_id: int | None = None  # set only on a blind moderation audit


@dataclass(frozen=True)
class ActionScope:
    pdu_id: int
    owner_id: int
    spo_id: int | None


@dataclass(frozen=True)
class ConcernScope:
    pdu_id: int
    spo_id: int | None


@dataclass(frozen=True)
class PractitionerScope:
    """A practitioner and the people with a standing interest in their practice."""

    practitioner_id: int
    spo_id: int | None
    pdu_id: int | None


@dataclass(frozen=True)
class ObservationScope:
    practitioner_id: int
    observer_id: int
    spo_id: int | None
    pdu_id: int | None
    planned: bool  # not yet shared with the practitioner
    acknowledged: bool = False
    invitation: InvitationStatus | None = None  # the practitioner's answer; None when not yet invited
    recorded: bool = False  # the observer has saved the session, with the person's consent


@dataclass(frozen=True)
class GoalScope:
    """A development goal: the two people who agree it, and who proposed it."""

    practitioner_id: int
    observer_id: int
    proposed_by_id: int | None
    agreed: bool
    shared: bool  # the observation has been shared with the practitioner


@dataclass(frozen=True)
class EntryScope:
    """A reflective note or debrief: its author, and who it is shared with right now."""

    author_id: int
    shared_with: frozenset[int] = frozenset()


@dataclass(frozen=True)
class SupportRequestScope:
    requester_id: int
    recipient_id: int


@dataclass(frozen=True)
class SessionScope:
    supervisor_id: int
    participant_ids: frozenset[int]
    supervisors_manager_id: int | None  # the SPO's own line manager, for oversight
    pdu_id: int | None


@dataclass(frozen=True)
class PersonScope:
    """One person, as the subject of a data-protection request (export or erasure)."""

    user_id: int


@dataclass(frozen=True)
class AccessLogScope:
    """The access log of one person: who has opened records about them."""

    subject_id: int


def _admin(actor: Actor, _target: Any) -> bool:
    return actor.has(Role.ADMIN)


def _anyone_signed_in(_actor: Actor, _target: Any) -> bool:
    return True


def _same(mine: int | None, theirs: int | None) -> bool:
    """Both in the same team or PDU. None means "in none", which is never a match, even for another None."""
    return mine is not None and mine == theirs


def _team_viewer(actor: Actor, target: Any) -> bool:
    if not isinstance(target, TeamScope):
        return False
    if actor.has(Role.ADMIN):
        return True
    if _same(actor.team_id, target.team_id):
        return True
    return actor.has(Role.QA_LEAD) and _same(actor.pdu_id, target.pdu_id)


def _pdu_viewer(actor: Actor, target: Any) -> bool:
    if not isinstance(target, PduScope):
        return False
    if actor.has(Role.ADMIN):
        return True
    return actor.has(Role.QA_LEAD) and _same(actor.pdu_id, target.pdu_id)


def _admin_or_qa_lead(actor: Actor, _target: Any) -> bool:
    return actor.has(Role.ADMIN) or actor.has(Role.QA_LEAD)


def _pdu_oversight(actor: Actor, pdu_id: int | None) -> bool:
    return actor.has(Role.ADMIN) or (actor.has(Role.QA_LEAD) and _same(actor.pdu_id, pdu_id))


def _audit_viewer(actor: Actor, target: Any) -> bool:
    if not isinstance(target, AuditScope):
        return False
    if _pdu_oversight(actor, target.pdu_id):
        return True
    if target.moderator_id is not None:
        return actor.id == target.moderator_id
    if actor.id in target.auditor_ids:
        return True
    # The case holder and their SPO see it once the feedback has been sent.
    return target.feedback_sent and actor.id in (target.holder_id, target.spo_id)


def _audit_editor(actor: Actor, target: Any) -> bool:
    if not isinstance(target, AuditScope) or not target.is_draft:
        return False
    if target.moderator_id is not None:
        return actor.id == target.moderator_id
    return actor.id in target.auditor_ids and actor.id != target.holder_id


def _concern_raiser(actor: Actor, target: Any) -> bool:
    return (
        isinstance(target, AuditScope)
        and target.moderator_id is None
        and (actor.id in target.auditor_ids or _pdu_oversight(actor, target.pdu_id))
    )


def _concern_acknowledger(actor: Actor, target: Any) -> bool:
    if not isinstance(target, ConcernScope):
        return False
    # The QA lead may acknowledge too, so an SPO's absence never leaves a risk unanswered.
    return actor.id == target.spo_id or _pdu_oversight(actor, target.pdu_id)


def _holder(actor: Actor, target: Any) -> bool:
    return isinstance(target, AuditScope) and target.feedback_sent and actor.id == target.holder_id


def _holders_spo(actor: Actor, target: Any) -> bool:
    return isinstance(target, AuditScope) and target.feedback_sent and actor.id == target.spo_id


def _action_updater(actor: Actor, target: Any) -> bool:
    if not isinstance(target, ActionScope):
        return False
    return actor.id in (target.owner_id, target.spo_id) or _pdu_oversight(actor, target.pdu_id)


def _pdu_overseer(actor: Actor, target: Any) -> bool:
    return isinstance(target, PduScope) and _pdu_oversight(actor, target.pdu_id)


def _qa_lead_of(actor: Actor, pdu_id: int | None) -> bool:
    return pdu_id is not None and actor.has(Role.QA_LEAD) and actor.pdu_id == pdu_id


def _observation_planner(actor: Actor, target: Any) -> bool:
    """SPOs and QDOs in the practitioner's PDU plan observations; a practitioner may invite a peer."""
    if not isinstance(target, ObservationScope) or target.practitioner_id == target.observer_id:
        return False
    if actor.id == target.practitioner_id:
        return True  # inviting someone to observe me
    if actor.id != target.observer_id:
        return False  # people plan observations they will do themselves
    if actor.id == target.spo_id or _qa_lead_of(actor, target.pdu_id):
        return True
    same_pdu = target.pdu_id is not None and actor.pdu_id == target.pdu_id
    return same_pdu and (actor.has(Role.SPO) or actor.grade == "QDO")


def _observation_viewer(actor: Actor, target: Any) -> bool:
    if not isinstance(target, ObservationScope):
        return False
    if actor.id in (target.practitioner_id, target.observer_id):
        return True
    if target.planned:
        return False  # nothing to oversee until the observer has shared it
    return actor.id == target.spo_id or _qa_lead_of(actor, target.pdu_id)


def _observation_recorder(actor: Actor, target: Any) -> bool:
    # Only once the practitioner has accepted: observation is done with people, not to them.
    return (
        isinstance(target, ObservationScope)
        and target.planned
        and target.invitation == InvitationStatus.ACCEPTED
        and actor.id == target.observer_id
    )


def _invitee(actor: Actor, target: Any) -> bool:
    """The practitioner answers (or changes their answer) until the session has been recorded."""
    return (
        isinstance(target, ObservationScope)
        and target.planned
        and not target.recorded
        and target.invitation is not None
        and actor.id == target.practitioner_id
    )


def _proposed_date_accepter(actor: Actor, target: Any) -> bool:
    return (
        isinstance(target, ObservationScope)
        and target.planned
        and target.invitation == InvitationStatus.NEW_DATE_PROPOSED
        and actor.id == target.observer_id
    )


def _self_assessor(actor: Actor, target: Any) -> bool:
    """Before the session (unless declined) or after sharing, until the practitioner acknowledges."""
    if not isinstance(target, ObservationScope) or actor.id != target.practitioner_id or target.acknowledged:
        return False
    return not (target.planned and target.invitation == InvitationStatus.DECLINED)


def _goal_proposer(actor: Actor, target: Any) -> bool:
    """The observer, once the session is recorded with consent; the practitioner, once it is shared."""
    if not isinstance(target, ObservationScope):
        return False
    if actor.id == target.observer_id:
        return target.recorded
    return actor.id == target.practitioner_id and not target.planned


def _goal_agreer(actor: Actor, target: Any) -> bool:
    """The other of the two people: never the one who proposed it, and only once shared."""
    return (
        isinstance(target, GoalScope)
        and target.shared
        and not target.agreed
        and actor.id in (target.practitioner_id, target.observer_id)
        and actor.id != target.proposed_by_id
    )


def _observation_replier(actor: Actor, target: Any) -> bool:
    return (
        isinstance(target, ObservationScope)
        and not target.planned
        and not target.acknowledged
        and actor.id == target.practitioner_id
    )


def _development_viewer(actor: Actor, target: Any) -> bool:
    if not isinstance(target, PractitionerScope):
        return False
    return actor.id in (target.practitioner_id, target.spo_id) or _qa_lead_of(actor, target.pdu_id)


def _goal_updater(actor: Actor, target: Any) -> bool:
    return isinstance(target, PractitionerScope) and actor.id in (target.practitioner_id, target.spo_id)


def _team_manager(actor: Actor, target: Any) -> bool:
    """A team's SPO, or oversight of its PDU: the people who look at whole-team figures."""
    if not isinstance(target, TeamScope):
        return False
    return (actor.has(Role.SPO) and _same(actor.team_id, target.team_id)) or _pdu_oversight(actor, target.pdu_id)


def _calibration_viewer(actor: Actor, target: Any) -> bool:
    return isinstance(target, PduScope) and _pdu_oversight(actor, target.pdu_id)


def _entry_reader(actor: Actor, target: Any) -> bool:
    # Deliberately no role here: not an admin, not a QA lead, not the author's SPO.
    return isinstance(target, EntryScope) and (actor.id == target.author_id or actor.id in target.shared_with)


def _entry_author(actor: Actor, target: Any) -> bool:
    return isinstance(target, EntryScope) and actor.id == target.author_id


def _support_recipient(actor: Actor, target: Any) -> bool:
    return isinstance(target, SupportRequestScope) and actor.id == target.recipient_id


def _session_recorder(actor: Actor, target: Any) -> bool:
    return isinstance(target, SessionScope) and actor.id == target.supervisor_id


def _session_participant(actor: Actor, target: Any) -> bool:
    return isinstance(target, SessionScope) and (actor.id == target.supervisor_id or actor.id in target.participant_ids)


def _session_viewer(actor: Actor, target: Any) -> bool:
    if not isinstance(target, SessionScope):
        return False
    if _session_participant(actor, target):
        return True
    # Oversight only: the SPO's own manager, or the PDU's QA lead. Never an admin as such.
    return actor.id == target.supervisors_manager_id or _qa_lead_of(actor, target.pdu_id)


def _agenda_viewer(actor: Actor, target: Any) -> bool:
    return isinstance(target, PractitionerScope) and actor.id in (target.practitioner_id, target.spo_id)


def _data_subject(actor: Actor, target: Any) -> bool:
    # Only the person themselves: no role may download someone else's data.
    return isinstance(target, PersonScope) and actor.id == target.user_id


def _eraser(actor: Actor, target: Any) -> bool:
    # An administrator, for someone else (the service also requires them to be deactivated).
    return isinstance(target, PersonScope) and actor.has(Role.ADMIN) and actor.id != target.user_id


def _own_access_log(actor: Actor, target: Any) -> bool:
    # Deliberately no role here, admins included: the log shows which private
    # reflections were shared with whom, which the admin-readable trail never does.
    return isinstance(target, AccessLogScope) and actor.id == target.subject_id


RULES: dict[Action, Callable[[Actor, Any], bool]] = {
    Action.VIEW_OWN_PROFILE: _anyone_signed_in,
    Action.CHANGE_OWN_PASSWORD: _anyone_signed_in,
    Action.MANAGE_OWN_SESSIONS: _data_subject,
    Action.END_USER_SESSIONS: _admin,
    Action.SET_SESSION_LIMITS: _admin,
    Action.VIEW_TEAM: _team_viewer,
    Action.VIEW_PDU: _pdu_viewer,
    Action.VIEW_DIRECTORY: _admin,
    Action.MANAGE_USERS: _admin,
    Action.MANAGE_ORGANISATION: _admin,
    Action.IMPORT_STAFF: _admin,
    Action.IMPORT_CASES: _admin_or_qa_lead,
    Action.LOAD_INSTRUMENT: _admin,
    Action.MANAGE_THEMES: _admin_or_qa_lead,
    Action.MANAGE_AUDIT_EVENTS: _pdu_overseer,
    Action.VIEW_ROTA: _pdu_overseer,
    Action.VIEW_AUDIT: _audit_viewer,
    Action.EDIT_AUDIT: _audit_editor,
    Action.RAISE_URGENT_CONCERN: _concern_raiser,
    Action.ACKNOWLEDGE_CONCERN: _concern_acknowledger,
    Action.REPLY_TO_FEEDBACK: _holder,
    Action.MARK_DISCUSSED: _holders_spo,
    Action.UPDATE_ACTION: _action_updater,
    Action.MODERATE: _pdu_overseer,
    Action.PLAN_OBSERVATION: _observation_planner,
    Action.VIEW_OBSERVATION: _observation_viewer,
    Action.RECORD_OBSERVATION: _observation_recorder,
    Action.RESPOND_TO_OBSERVATION_INVITATION: _invitee,
    Action.ACCEPT_PROPOSED_OBSERVATION_DATE: _proposed_date_accepter,
    Action.SELF_ASSESS: _self_assessor,
    Action.REPLY_TO_OBSERVATION: _observation_replier,
    Action.PROPOSE_GOAL: _goal_proposer,
    Action.AGREE_GOAL: _goal_agreer,
    Action.UPDATE_GOAL: _goal_updater,
    Action.VIEW_PRACTITIONER_DEVELOPMENT: _development_viewer,
    Action.VIEW_CALIBRATION: _calibration_viewer,
    Action.VIEW_TEAM_PROFILE: _team_manager,
    Action.SET_OBSERVATION_TARGET: _admin,
    Action.VIEW_ENTRY: _entry_reader,
    Action.EDIT_ENTRY: _entry_author,
    Action.RESPOND_TO_SUPPORT_REQUEST: _support_recipient,
    Action.MANAGE_SUPPORT_CONTACTS: _admin,
    Action.VIEW_TEAM_WELLBEING: _team_manager,
    Action.RECORD_SUPERVISION: _session_recorder,
    Action.VIEW_SUPERVISION: _session_viewer,
    Action.VIEW_PERSONAL_NOTES: _session_participant,
    Action.SIGN_SUPERVISION: _session_participant,
    Action.VIEW_AGENDA: _agenda_viewer,
    Action.SET_CADENCE: _admin,
    Action.VIEW_ACCESS_LOG: _own_access_log,
    Action.MANAGE_RETENTION: _admin,
    Action.ERASE_PRIVATE_ENTRIES: _eraser,
    Action.EXPORT_MY_DATA: _data_subject,
    Action.READ_OWN_NOTIFICATIONS: _data_subject,
    Action.CHOOSE_MY_NOTIFICATIONS: _data_subject,
    Action.MANAGE_OUTBOX: _admin,
}


def can(actor: Actor | None, action: Action, target: Any = None) -> bool:
    if actor is None or not isinstance(actor, Actor):
        return False
    rule = RULES.get(action)
    if rule is None:
        return False
    return bool(rule(actor, target))


def require(actor: Actor | None, action: Action, target: Any = None) -> Actor:
    if not can(actor, action, target):
        raise PermissionDenied()
    return actor  # type: ignore[return-value]
