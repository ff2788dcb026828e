"""The catalogue of notification kinds: each kind's key, its plain wording, the record it opens.

A notification says only *that* something is waiting and *where*: the wording
here is the whole of what the inbox and a minimal email say. It never carries a
note's, debrief's, support request's or feedback sheet's text, nor anyone's name.

``can_turn_off`` is False for urgent concerns: their email cannot be switched
off (qa/notifications/preferences.py refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.records import RecordKind

__all__ = ["KINDS", "Kind", "kind"]


@dataclass(frozen=True)
class Kind:
    key: str
    #: The whole message, in plain English, as the inbox shows it.
    wording: str
    #: What the notification's link opens (None: no record).
    opens: RecordKind | None
    #: Whether a person may turn this kind's email off.
    can_turn_off: bool = True
    #: Raised by an event as it happens (False: a time-based reminder from the sender's command).
    on_event: bool = True


_AUDIT, _SHEET, _EVENT, _OBSERVATION, _SESSION = (
    RecordKind.CASE_AUDIT,
    RecordKind.FEEDBACK_SHEET,
    RecordKind.AUDIT_EVENT,
    RecordKind.OBSERVATION,
    RecordKind.SUPERVISION_SESSION,
)
_TIMED = {"on_event": False}  # a time-based reminder (qa/notifications/reminders.py)

_ALL = (
    # LEARN case audits
    Kind("audit_assigned", "An audit has been assigned to you", _AUDIT),
    Kind("feedback_ready", "Audit feedback is ready on a case", _SHEET),
    Kind("holder_replied", "A case holder has replied to audit feedback", _SHEET),
    Kind("actions_closed", "Every action from an audit has been closed", _SHEET),
    Kind("action_assigned", "An audit action has been assigned to you", _SHEET),
    Kind("action_due_soon", "An audit action of yours is due within 3 working days", _SHEET, **_TIMED),
    Kind("action_overdue", "An audit action of yours is overdue", _SHEET, **_TIMED),
    Kind("urgent_concern", "An urgent concern has been raised on a case", _AUDIT, can_turn_off=False),
    Kind("concern_escalated", "An urgent concern is unacknowledged after 2 working days", _AUDIT, False, **_TIMED),
    Kind("moderation_waiting", "Every audit in a LEARN event is in: moderation is waiting", _EVENT),
    Kind("sample_not_accepted", "A LEARN sample is not accepted 5 working days before the day", _EVENT, **_TIMED),
    # Observation of practice
    Kind("observation_proposed", "You have been invited to an observation", _OBSERVATION),
    Kind("observation_accepted", "An observation invitation has been accepted", _OBSERVATION),
    Kind("observation_declined", "An observation invitation has been declined", _OBSERVATION),
    Kind("observation_new_date", "A new date has been proposed for an observation", _OBSERVATION),
    Kind("observation_date_agreed", "The date you proposed for an observation has been agreed", _OBSERVATION),
    Kind("observation_shared", "An observation of your practice has been recorded and shared", _OBSERVATION),
    Kind("observation_replied", "A reply has been added to an observation", _OBSERVATION),
    # Supervision
    Kind("supervision_due", "A supervision is due within 7 days", RecordKind.SUPERVISEE, **_TIMED),
    Kind("supervision_overdue", "A supervision is overdue", RecordKind.SUPERVISEE, **_TIMED),
    Kind("agenda_items", "The agenda for your next supervision has new items", None),
    Kind("supervision_recorded", "A supervision record is waiting for your confirmation", _SESSION),
    Kind("supervision_action", "An action from supervision has been assigned to you", _SESSION),
    # The practitioner's own space
    Kind("note_shared", "A note has been shared with you", RecordKind.SHARED_NOTE),
    Kind("debrief_shared", "A debrief has been shared with you", RecordKind.SHARED_DEBRIEF),
    Kind("share_withdrawn", "Something shared with you has been taken back", None),
    Kind("support_request", "Someone has asked you for support", RecordKind.SUPPORT_REQUEST),
    # Running the portal
    Kind("person_to_place", "Someone new needs a team or a supervisor", RecordKind.USER),
)

#: Every kind, by key.
KINDS: dict[str, Kind] = {k.key: k for k in _ALL}


def kind(key: str) -> Kind:
    """The kind with this key (KeyError for an unknown key: a programming error)."""
    return KINDS[key]
